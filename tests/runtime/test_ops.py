"""/healthz and /metrics of a bot, in process: what they say, and when health turns 503."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.chat.base import ChatAdapter
from bot.models import Alert, Digest, Target
from bot.runtime.bot import NewsBot
from bot.runtime.ops import OpsServer
from bot.settings.model import load_settings
from bot.settings.sections import OpsConfig
from bot.store.db import utcnow
from bot.yamlfile import ConfigError
from tests.chat.conftest import Home, clean_env
from tests.localserver import FeedServer

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


class Recorder(ChatAdapter):
    """The terminal, as far as routes know; records instead of printing."""

    platform = "console"

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.up = True

    @property
    def connected(self) -> bool:
        return self.up

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.posted.append(alert.title)
        return None

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    clean_env(monkeypatch)
    h = Home(tmp_path)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", h.database_url)
    return h


def make_bot(home: Home, **extra: Any) -> tuple[NewsBot, Recorder]:
    extra.setdefault("ops", {"listen_port": 0})
    extra.setdefault("console", {"listen_port": 0})
    settings = load_settings(home.write_config([{"platform": "console", "items": ["all"]}], **extra))
    chat = Recorder()
    return NewsBot(settings, {"console": chat}), chat


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(
        f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(total=10)
    ) as response:
        return response.status, await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, labels), parsed by prometheus_client itself."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>http://wire.example/{i}</link><guid>g{i}</guid>"
        f"<pubDate>{format_datetime(utcnow())}</pubDate>"
        f"<description>{t}. Officials said so on Monday.</description></item>"
        for i, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>http://wire.example/</link>{items}</channel></rss>"
    ).encode()


def test_healthz_and_metrics_follow_what_the_bot_does(home: Home, feed_server: FeedServer, closed_port: int) -> None:
    feed_server.static("/rss", rss("North Korea sends more shells to Russia", "Weather in Lyon"))
    feeds = [
        {"url": feed_server.url("/rss"), "name": "Wire"},
        {"url": f"http://127.0.0.1:{closed_port}/rss", "name": "Dead"},
    ]
    bot, chat = make_bot(home, feeds=feeds)

    async def scenario() -> None:
        ops = bot.make_ops_server()
        port = await ops.start()
        assert port
        try:
            status, body = await get(port, "/healthz")
            health = json.loads(body)
            assert status == 200, body
            assert health["status"] == "ok"
            assert health["adapters"] == {"console": True}
            assert health["outbox_pending"] == 0

            bot.worker.stopping = True  # hold deliveries back, to see them queued
            await bot.seeds.scan()
            for feed in bot.settings.feeds:
                await bot.poll_feed(feed)
            status, text = await get(port, "/metrics")
            assert status == 200
            m = samples(text)
            assert m[("newsbot_articles_seen_total", ())] == 3  # the seed and two feed items
            assert m[("newsbot_articles_matched_total", ())] == 2
            assert m[("newsbot_alerts_queued_total", ())] == 2
            assert m[("newsbot_outbox_pending", ())] == 2
            assert m[("newsbot_match_seconds_count", ())] == 3  # one per document
            assert m[("newsbot_feed_polls_total", (("feed", "Wire"),))] == 1
            assert m[("newsbot_feed_polls_total", (("feed", "Dead"),))] == 1
            assert m[("newsbot_feed_errors_total", (("feed", "Dead"),))] == 1
            assert ("newsbot_feed_errors_total", (("feed", "Wire"),)) not in m
            assert m[("newsbot_feed_poll_seconds_count", ())] == 2
            assert any(name == "newsbot_build_info" for name, _ in m)

            bot.worker.stopping = False
            await bot.deliver()
            assert len(chat.posted) == 2
            m = samples((await get(port, "/metrics"))[1])
            assert m[("newsbot_deliveries_delivered_total", (("platform", "console"),))] == 2
            assert m[("newsbot_outbox_pending", ())] == 0

            chat.up = False
            status, body = await get(port, "/healthz")
            assert status == 200 and json.loads(body)["adapters"] == {"console": False}

            bot.health.last_tick = time.monotonic() - 120  # the scheduler stopped ticking
            status, body = await get(port, "/healthz")
            assert status == 503
            assert json.loads(body)["status"] == "stuck"
            assert "no scheduler tick for 120s" in json.loads(body)["problems"][0]
        finally:
            await ops.stop()
            await bot.close()

    asyncio.run(scenario())


def test_a_dead_feed_scheduler_makes_healthz_fail(home: Home) -> None:
    bot, _ = make_bot(home)

    async def scenario() -> None:
        ops = bot.make_ops_server()
        port = await ops.start()
        assert port
        try:
            await bot.health.tick()

            async def ended() -> None:  # e.g. a bug ended its loop
                return None

            task = asyncio.get_running_loop().create_task(ended())
            await task
            bot.health.vital["the feed scheduler"] = task
            status, body = await get(port, "/healthz")
            assert status == 503 and "the feed scheduler has stopped" in body
        finally:
            await ops.stop()
            await bot.close()

    asyncio.run(scenario())


def test_two_bots_in_one_process_count_apart(home: Home, tmp_path: Path) -> None:
    first, _ = make_bot(home)
    second, _ = make_bot(home)
    first.metrics.articles_seen.inc(5)
    assert samples(second.metrics.render().decode())[("newsbot_articles_seen_total", ())] == 0
    asyncio.run(first.close())
    asyncio.run(second.close())


def test_a_port_in_use_is_logged_and_the_bot_runs_on(
    home: Home, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot, _ = make_bot(home, ops={"listen_port": port})

        async def scenario() -> int | None:
            ops = bot.make_ops_server()
            try:
                return await ops.start()
            finally:
                await ops.stop()
                await bot.close()

        with caplog.at_level(logging.ERROR, logger="bot.runtime.ops"):
            assert asyncio.run(scenario()) is None
    assert f"ops: cannot listen on 127.0.0.1:{port}" in caplog.text
    assert "ops.listen_port" in caplog.text


def test_ops_settings(home: Home) -> None:
    assert OpsConfig().listen_host == "127.0.0.1" and OpsConfig().listen_port == 9464
    off = load_settings(home.write_config([], ops={"listen_port": None}))
    assert not OpsServer(off.ops, None).enabled  # type: ignore[arg-type]
    off = load_settings(home.write_config([], ops={"enabled": False}))
    assert not OpsServer(off.ops, None).enabled  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as exc:
        load_settings(home.write_config([], ops={"listen_port": 70000}))
    assert "newsbot.yaml:" in str(exc.value) and "listen_port" in str(exc.value)


class Slow(ChatAdapter):
    """A platform that takes its time to answer each post."""

    platform = "console"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.posted: list[str] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.started.set()
        await asyncio.sleep(0.5)
        self.posted.append(target.channel)
        return f"m-{target.channel}"

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None


def test_a_stopping_worker_finishes_the_post_in_flight_and_starts_no_other(tmp_path: Path) -> None:
    from bot.delivery.worker import DeliveryWorker
    from bot.models import Article
    from bot.store.repositories import open_store

    store = open_store(f"sqlite:///{tmp_path}/t.db")
    article = Article("files:seeds", "seed file", "doc.txt", "Headline", "Body.")
    alert = Alert("al1", article.title, article.source_name, "en", (), (), created_at=utcnow())
    store.articles.record(article, alert, [Target("console", c) for c in ("C1", "C2", "C3")])
    chat = Slow()
    worker = DeliveryWorker(store.outbox, store.outcomes, {"console": chat})

    async def scenario() -> int:
        drain = asyncio.get_running_loop().create_task(worker.drain())
        await chat.started.wait()
        worker.stopping = True
        return await drain

    assert asyncio.run(scenario()) == 1
    assert chat.posted == ["C1"]
    assert store.outbox.delivery_counts() == {"sent": 1, "pending": 2}
    store.close()


def test_the_docker_healthcheck_asks_healthz_on_the_default_port() -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    check = next(line for line in dockerfile.splitlines() if "urlopen" in line)
    assert f"http://127.0.0.1:{OpsConfig().listen_port}/healthz" in check
