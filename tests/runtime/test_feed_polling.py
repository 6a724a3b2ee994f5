"""Polling many feeds politely: health, backoff, admin notices, limits, bad feeds."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from bot.chat.base import ChatAdapter
from bot.models import Alert, Digest, Target
from bot.runtime.bot import NewsBot
from bot.settings.model import load_settings
from bot.settings.sections import FeedConfig
from tests.localserver import FEEDS, FeedServer, Gauge, challenge_page, endless, rss, trickle

pytestmark = pytest.mark.network
ROOT = Path(__file__).resolve().parents[2]


class Recorder(ChatAdapter):
    """An admin channel that keeps what it was told."""

    platform = "slack"

    def __init__(self) -> None:
        self.notices: list[str] = []
        self.alerts: list[Alert] = []
        self.updates: list[tuple[str, Alert]] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.alerts.append(alert)
        return f"m{len(self.alerts)}"

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        self.updates.append((message_id, alert))
        return message_id

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        self.notices.append(text)
        return None


def make_bot(
    tmp_path: Path, feeds: list[str], extra: str = "", fetch_timeout: str = "20s"
) -> tuple[NewsBot, Recorder]:
    """A bot polling ``feeds``. The fetch timeout is far above what a loopback page takes
    even on a machine at load 14 (2 s was not); a test of a stalled server sets its own."""
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "seeds").mkdir(exist_ok=True)
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config" / "watchlist.yaml")
    feed_yaml = "".join(f"  - {{url: '{u}', interval: 1m}}\n" for u in feeds)
    (tmp_path / "config" / "newsbot.yaml").write_text(
        f"seeds: [seeds]\nfeeds:\n{feed_yaml or '  []'}\nfetch_timeout: {fetch_timeout}\n"
        "slack: {admin_channel: C-ADMIN}\nroutes: [{platform: slack, channel: C-NEWS}]\n" + extra
    )
    settings = load_settings(
        tmp_path / "config" / "newsbot.yaml",
        env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/data/newsbot.db"},
    )
    admin = Recorder()
    return NewsBot(settings, {"slack": admin}), admin


def run(bot: NewsBot, coro: Any) -> Any:
    async def go() -> Any:
        try:
            return await coro
        finally:
            await bot.close()

    return asyncio.run(go())


NOW = datetime.now(UTC)
NEWS = {
    "title": "Nordkorea liefert weitere Raketen an Russland",
    "link": "https://nachrichten.example.de/nk-101",
    "guid": "nk-101",
    "description": "Nordkorea hat nach Angaben aus Seoul weitere ballistische Raketen an "
    "Russland geliefert, sagte ein Sprecher.",
    "pubDate": format_datetime(NOW - timedelta(hours=1)),
}


def test_failing_feed_backs_off_tells_admins_once_and_again_on_recovery(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.static("/rss", b"down", status=500, content_type="text/plain")
    url = feed_server.url("/rss")
    bot, admin = make_bot(tmp_path, [url])
    feed = bot.settings.feeds[0]

    async def go() -> list[timedelta]:
        delays = []
        for _ in range(4):
            before = datetime.now(UTC)
            await bot.poll_feed(feed)
            delays.append(bot.poller.next_poll[url] - before)
        feed_server.static("/rss", rss([NEWS]))
        await bot.poll_feed(feed)
        return delays

    delays = run(bot, go())
    minute = timedelta(minutes=1)
    # 1, 2, 4, 8 intervals (plus at most 10% jitter): a failing feed is polled less often.
    for delay, factor in zip(delays, (1, 2, 4, 8), strict=True):
        assert factor * minute <= delay <= factor * minute * 1.1 + timedelta(seconds=1)
    assert len(admin.notices) == 2
    assert "failing (3 polls in a row): HTTP 500" in admin.notices[0]
    assert "is back after 4 failed polls" in admin.notices[1]


def test_health_is_recorded_and_listed_with_never_polled_feeds(
    tmp_path: Path, feed_server: FeedServer, closed_port: int
) -> None:
    from bot.commands.queries import feeds_overview

    feed_server.static("/rss", rss([NEWS]))
    good, dead = feed_server.url("/rss"), f"http://127.0.0.1:{closed_port}/rss"
    bot, _ = make_bot(tmp_path, [good, dead])

    async def go() -> None:
        await bot.poller.poll_all()

    asyncio.run(go())
    states = {s.url: s for s in bot.store.feeds.feed_states()}
    assert states[good].items_seen == 1 and states[good].last_success_at is not None
    assert states[good].next_poll_at is not None
    assert states[dead].consecutive_failures == 1
    assert states[dead].last_error == "cannot reach host 127.0.0.1 (connection refused)"
    never = FeedConfig(url="https://never.example/rss", name="Never Polled")
    lines = feeds_overview(bot.store.feeds, configured=[*bot.settings.feeds, never]).text.splitlines()
    ok, down = sorted(lines[:2], reverse=True)  # in the order they were first polled
    assert ok.startswith("ok   Local Wire: polled") and ok.endswith("1 item seen")
    assert down.startswith(f"DOWN {dead}: 1 failed poll (cannot reach host")
    assert down.endswith("next try in 1 min")
    assert lines[2] == "new  Never Polled: not polled yet"
    run(bot, asyncio.sleep(0))


def test_anti_bot_page_is_reported_as_such(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.routes["/rss"] = challenge_page(403)
    bot, _ = make_bot(tmp_path, [feed_server.url("/rss")])
    run(bot, bot.poll_feed(bot.settings.feeds[0]))
    store = NewsBot(bot.settings, {}).store
    state = store.feeds.feed_state(feed_server.url("/rss"))
    assert state is not None
    assert state.last_error == "blocked by an anti-bot page (HTTP 403)"
    store.close()


def test_retry_after_is_honoured(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.static("/rss", b"slow down", status=429, content_type="text/plain",
                       Retry_After="3600")
    url = feed_server.url("/rss")
    bot, _ = make_bot(tmp_path, [url])
    before = datetime.now(UTC)
    run(bot, bot.poll_feed(bot.settings.feeds[0]))
    assert bot.poller.next_poll[url] - before >= timedelta(hours=1)


def test_permanent_redirect_updates_the_stored_url(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.static("/new", rss([NEWS]), etag='"n1"')
    feed_server.redirect("/old", "/new", status=301)
    old = feed_server.url("/old")
    bot, _ = make_bot(tmp_path, [old])

    async def go() -> None:
        await bot.poll_feed(bot.settings.feeds[0])
        await bot.poll_feed(bot.settings.feeds[0])

    run(bot, go())
    paths = [p for p, _ in feed_server.requests]
    assert paths == ["/old", "/new", "/new"]  # the second poll goes straight to the new URL
    store = NewsBot(bot.settings, {}).store
    state = store.feeds.feed_state(old)
    assert state is not None and state.current_url == feed_server.url("/new")
    store.close()


def test_per_host_limit_is_respected(tmp_path: Path, feed_server: FeedServer) -> None:
    gauge = Gauge()
    for i in range(8):
        feed_server.routes[f"/f{i}"] = gauge.slow(rss([{**NEWS, "guid": f"g{i}"}]), 0.3)
    bot, _ = make_bot(
        tmp_path, [feed_server.url(f"/f{i}") for i in range(8)], "max_fetches_per_host: 2\n"
    )
    results = run(bot, bot.poller.poll_all())
    assert all(not isinstance(r, BaseException) and r is not None for r in results)
    assert gauge.peak == 2


def test_one_bad_feed_never_stops_the_others(
    tmp_path: Path, feed_server: FeedServer, closed_port: int
) -> None:
    """Every hard input in one poll cycle, next to one good feed that still alerts."""
    fs = feed_server
    fs.static("/good", rss([NEWS]))
    fs.static("/truncated", rss([NEWS])[:60])
    fs.static("/html", (FEEDS / "page.html").read_bytes(), content_type="text/html")
    fs.routes["/huge"] = endless(50 * 1024 * 1024, declare_length=False)
    fs.routes["/slow"] = trickle(fs.stop, seconds=60)  # ended by the timeout below
    fs.feed_file("/bomb", "bomb.xml")
    fs.redirect("/loop", "/loop", status=302)
    fs.routes["/blocked"] = challenge_page(403)
    fs.static("/garbage", b"\x00\x01\x02 binary", content_type="application/octet-stream")
    bad = ["/truncated", "/html", "/huge", "/slow", "/bomb", "/loop", "/blocked", "/garbage"]
    urls = [fs.url(p) for p in bad] + [f"http://127.0.0.1:{closed_port}/x", fs.url("/good")]
    bot, admin = make_bot(tmp_path, urls, "max_feed_bytes: 1048576\n", fetch_timeout="5s")

    async def go() -> None:
        await bot.start()
        await bot.scan_once()

    run(bot, go())
    assert [a.title for a in admin.alerts] == [NEWS["title"]]
    store = NewsBot(bot.settings, {}).store
    errors = {s.url: s.last_error for s in store.feeds.feed_states()}
    store.close()
    assert errors[fs.url("/good")] is None
    assert errors[fs.url("/huge")] == "response larger than 1 MB, refused"
    assert errors[fs.url("/slow")] == "timed out after 5s"
    assert errors[fs.url("/html")] == "not a feed (got HTML)"
    assert "entit" in (errors[fs.url("/bomb")] or "")
    assert errors[fs.url("/loop")] == "too many redirects (more than 5)"
    assert errors[fs.url("/blocked")] == "blocked by an anti-bot page (HTTP 403)"
    assert all(errors[u] for u in urls[:-1])


def test_secrets_in_a_feed_url_never_reach_notices_metrics_logs_or_feeds(
    tmp_path: Path, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed URL with credentials and an API key: people and scrapers see only
    scheme://host:port/path, wherever the bot names the feed."""
    from bot.commands.queries import feeds_overview

    feed_server.static("/rss", b"down", status=500, content_type="text/plain")
    port = feed_server.url("/rss").split(":")[2].split("/")[0]
    url = f"http://reader:hunter2pw@127.0.0.1:{port}/rss?api_key=k3y-0f-the-publisher"
    bot, admin = make_bot(tmp_path, [url])
    feed = bot.settings.feeds[0]

    async def go() -> None:
        for _ in range(3):
            await bot.poll_feed(feed)
        feed_server.static("/rss", rss([NEWS]))
        await bot.poll_feed(feed)

    with caplog.at_level("INFO"):
        asyncio.run(go())
    shown = "\n".join(
        [
            *admin.notices,
            bot.metrics.render().decode(),
            # the bot's own lines (httpx's request log is held at WARNING by setup_logging)
            *(r.getMessage() for r in caplog.records if r.name.startswith("bot")),
            feeds_overview(bot.store.feeds, configured=bot.settings.feeds).text,
        ]
    )
    bot.store.close()
    assert len(admin.notices) == 2  # down, then back
    assert f"http://127.0.0.1:{port}/rss" in admin.notices[0]
    for secret in ("hunter2pw", "reader", "k3y-0f-the-publisher", "api_key"):
        assert secret not in shown
