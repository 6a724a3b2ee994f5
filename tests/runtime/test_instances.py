"""Several instances on one PostgreSQL database share the work and survive one another.

Repositories level: feed leases and delivery claims taken by two instances at once never overlap,
and a dead instance's leases run out. Lock level: a chat platform's advisory lock passes
to a standby when the process holding it is SIGKILLed. The process test (longrun): two
``newsbot run`` against one database, the one holding both chat connections SIGKILLed
mid-cycle, and every alert still delivered exactly once to the fake Slack and Discord.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.models import Target
from bot.runtime.cluster import AdvisoryLock
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from tests.store.test_store import alert_for, article

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.network
ROOT = Path(__file__).resolve().parents[2]


def _claim_all(store: Repositories, urls: list[str], owner: str, got: list[str]) -> None:
    while True:
        claimed = store.feeds.claim_feeds(urls, owner, timedelta(minutes=1), 3)
        if not claimed:
            return
        got += claimed
        time.sleep(0.005)  # polling them


def test_two_instances_claiming_at_once_never_get_the_same_feed(pg_url: str) -> None:
    a, b = open_store(pg_url), open_store(pg_url)
    urls = [f"https://news{i % 7}.example/feed{i}.xml" for i in range(60)]
    now = utcnow()
    a.feeds.ensure_feeds({u: now for u in urls})
    b.feeds.ensure_feeds({u: now for u in urls})  # the second instance to start adds nothing
    got_a: list[str] = []
    got_b: list[str] = []
    threads = [
        threading.Thread(target=_claim_all, args=(a, urls, "a", got_a)),
        threading.Thread(target=_claim_all, args=(b, urls, "b", got_b)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(got_a) & set(got_b)
    assert sorted(got_a + got_b) == sorted(urls)  # each once, none left out
    assert got_a and got_b  # a few at a time: neither hoards them all
    a.close()
    b.close()


def test_a_dead_instances_feed_leases_run_out_a_live_ones_do_not(pg_url: str) -> None:
    """On the claim's own clock (``now``), not the wall clock: a loaded machine that takes
    a second between two statements cannot make a live lease look expired."""
    a, b = open_store(pg_url), open_store(pg_url)
    urls = ["https://wire.example/a.xml", "https://wire.example/b.xml"]
    lease = timedelta(seconds=60)
    t0 = utcnow()
    a.feeds.ensure_feeds({u: t0 for u in urls})
    assert a.feeds.claim_feeds(urls[:1], "a", lease, 5, now=t0) == urls[:1]
    assert b.feeds.claim_feeds(urls[1:], "b", lease, 5, now=t0) == urls[1:]
    b.leases.renew_leases("b", 2 * lease)  # b is alive; a died after its claim
    assert b.feeds.claim_feeds(urls, "b", lease, 5, now=t0 + lease / 2) == []  # a's still runs
    assert b.feeds.claim_feeds(urls, "b", lease, 5, now=t0 + lease * 1.5) == urls[:1]
    a.close()
    b.close()


def test_each_delivery_is_claimed_by_one_instance(pg_url: str) -> None:
    a, b = open_store(pg_url), open_store(pg_url)
    channels = [Target("slack", f"C{i:02d}") for i in range(40)]
    for i in range(3):
        art = article(guid=f"urn:wire:{i}", url=f"https://wire.example/{i}", text=f"Story {i}.")
        assert a.articles.record(art, alert_for(art, alert_id=f"alert{i}"), channels)
    claims: dict[str, list[int]] = {"a": [], "b": []}

    def drain(store: Repositories, owner: str) -> None:
        while batch := store.outbox.claim_due(["slack"], limit=7, owner=owner):
            claims[owner] += [d.id for d in batch]

    threads = [threading.Thread(target=drain, args=(s, o)) for s, o in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not set(claims["a"]) & set(claims["b"])
    assert len(claims["a"]) + len(claims["b"]) == 120
    a.close()
    b.close()


HOLDER = """
import asyncio, sys
from datetime import timedelta
from bot.runtime.cluster import AdvisoryLock

async def main():
    lock = AdvisoryLock(sys.argv[1], "chat gateway slack", timedelta(seconds=0.2))
    assert await lock.acquire(asyncio.Event())
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.slow
def test_the_platform_lock_passes_to_the_standby_when_its_holder_is_killed(pg_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_url], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"

        async def standby() -> float:
            lock = AdvisoryLock(pg_url, "chat gateway slack", timedelta(seconds=0.2))
            stop = asyncio.Event()
            tries = 0
            try_once = lock._try

            def counted() -> bool:
                nonlocal tries
                got = try_once()
                tries += 1
                return got

            lock._try = counted  # type: ignore[method-assign]
            attempt = asyncio.create_task(lock.acquire(stop))
            while tries < 3:  # asked three times, refused each time: the holder lives
                assert not attempt.done()
                await asyncio.sleep(0.02)
            assert not attempt.done()
            killed = time.monotonic()
            holder.kill()
            assert await asyncio.wait_for(attempt, 60)
            took = time.monotonic() - killed
            await lock.release()
            return took

        took = asyncio.run(standby())
        print(f"the standby took over {took:.1f}s after the kill")  # speed: newsbot bench
    finally:
        holder.kill()
        holder.wait(10)


def test_a_holder_whose_connection_dies_learns_it_lost_the_lock(pg_url: str) -> None:
    from sqlalchemy import create_engine, text

    async def go() -> None:
        lock = AdvisoryLock(pg_url, "chat gateway discord", timedelta(seconds=0.1))
        assert await lock.acquire(asyncio.Event())
        admin = create_engine(pg_url)
        with admin.begin() as conn:  # as if the server restarted, or a network cut
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'newsbot lock chat gateway discord' "
                "AND datname = current_database()"  # not another run's bot on this server
            ))
        admin.dispose()
        await asyncio.wait_for(lock.lost(), 5)
        other = AdvisoryLock(pg_url, "chat gateway discord", timedelta(seconds=0.1))
        assert await asyncio.wait_for(other.acquire(asyncio.Event()), 5)
        # Taken by another instance meanwhile: the holder must not take it back...
        assert await asyncio.wait_for(lock.regain(asyncio.Event()), 5) is False
        await other.release()
        # ... and once nobody holds it, it is the old holder's again.
        assert await asyncio.wait_for(lock.regain(asyncio.Event()), 5) is True
        third = AdvisoryLock(pg_url, "chat gateway discord", timedelta(seconds=0.1))
        stop = asyncio.Event()
        stop.set()  # "take it only if it is free now"
        assert await third.acquire(stop) is False
        await third.release()
        await lock.release()

    asyncio.run(go())


# -- two `newsbot run` processes, one database ---------------------------------------------


QUIET_FEEDS = 21
"""Feeds with nothing new, answering slowly: with the stories' seven, enough polling that
an instance holds feed leases most of the time (the kill must fall mid-cycle)."""
FEED_DELAY = 1.5


@pytest.mark.longrun
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_instances_one_killed_mid_cycle_deliver_every_alert_exactly_once(
    tmp_path: Path,
    pg_url: str,
    wire_slack: FakeSlack,
    wire_discord: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sqlalchemy import create_engine, text

    from tests import localserver
    from tests.botproc import (
        BotHome,
        BotProcess,
        Newsroom,
        all_arrived,
        bot_settings,
        compare,
        expected_channels,
        kill_now,
        received,
        wait_until,
    )
    from tests.fakes.discord import ADMIN, GUILD_ID
    from tests.newsgen import LANGUAGES, generate

    stories = generate(70)
    expected = expected_channels(stories)
    by_feed, by_file = stories[::2], stories[1::2]
    polls: list[tuple[str, float, float]] = []
    db = create_engine(pg_url)

    def leases_of(owner: str) -> list[str]:
        with db.connect() as conn:
            rows = conn.execute(text("SELECT url FROM feeds WHERE lease_owner = :o"), {"o": owner})
            return [r[0] for r in rows]

    slack, discord = wire_slack, wire_discord
    started = time.monotonic()
    with localserver.serve() as feeds:
        home = BotHome(tmp_path / "bot")
        newsroom = Newsroom(home, feeds, LANGUAGES)
        quiet = {f"/quiet/{i}.rss": localserver.rss([], title=f"Quiet {i}") for i in range(QUIET_FEEDS)}
        for path, body in quiet.items():
            feeds.static(path, body, content_type="application/rss+xml")
        for path, handler in list(feeds.routes.items()):
            feeds.routes[path] = _timed(path, handler, polls)
        settings = bot_settings(newsroom.urls, ADMIN, GUILD_ID)
        settings["feeds"] += [{"url": feeds.url(p), "interval": "30s"} for p in quiet]
        settings.update(
            max_fetches=2,
            bursts={"max_alerts": 5, "window": "15s"},
            cluster={"lease": "6s", "lock_retry": "1s"},
            ops={"listen_port": 0},
        )
        home.write_config(settings)
        env = {**slack.env(), **discord.env()}
        a = BotProcess(home, {**env, "NEWSBOT_INSTANCE_ID": "a"}, name="a", database_url=pg_url)
        b = BotProcess(home, {**env, "NEWSBOT_INSTANCE_ID": "b"}, name="b", database_url=pg_url)
        kill: dict[str, object] = {}
        try:
            newsroom.feed(by_feed[:12])
            newsroom.seed(by_file[:12])
            a.start()
            for platform in ("slack", "discord"):
                wait_until(lambda p=platform: f"holds the {p} connection" in a.log(), 120,
                           f"a holding {platform}", a)
            b.start()
            wait_until(lambda: _standing_by(b.log()), 120, "b standing by", b)
            standby = _healthz(b.log())
            assert standby["status"] == "ok" and standby["holds"] == [], standby

            fired = threading.Event()
            posts = {"n": 0}

            def hook(channel: str, message: dict[str, object]) -> None:
                posts["n"] += 1
                if fired.is_set() or posts["n"] < 3:
                    return
                held = leases_of("a")
                if held:  # mid-cycle: a is polling feeds and posting
                    kill_now(a.pid)
                    kill.update(post=posts["n"], channel=channel, leases=held,
                                at=time.monotonic() - started)
                    fired.set()

            slack.on_post(hook)
            discord.on_post(hook)
            newsroom.feed(by_feed[12:24])
            newsroom.seed(by_file[12:24])
            wait_until(fired.is_set, 300, "a post while a holds feed leases", a, every=0.05)
            slack.on_post(None)
            discord.on_post(None)
            a.kill()
            killed_at = time.monotonic()
            for platform in ("slack", "discord"):
                wait_until(lambda p=platform: f"holds the {p} connection" in b.log(), 60,
                           f"b taking over {platform}", b)
            took_over = time.monotonic() - killed_at
            holder = _healthz(b.log())
            assert {"slack", "discord"} <= set(holder["holds"]), holder
            newsroom.feed(by_feed[24:])
            newsroom.seed(by_file[24:])
            wait_until(lambda: all_arrived(expected, slack, discord), 420,
                       "every alert in every channel", b, every=0.5)
            delivered = time.monotonic() - started
            time.sleep(4)  # a late duplicate would show up now
            a.start()  # back from the dead: a standby now
            wait_until(lambda: _standing_by(a.log()), 120, "a standing by", a)
            stopped = time.monotonic()
            assert b.stop() == 0  # a clean stop hands the platforms over at once
            for platform in ("slack", "discord"):
                wait_until(lambda p=platform: f"holds the {p} connection" in a.log(), 60,
                           f"a taking {platform} back", a)
            handed_over = time.monotonic() - stopped
            a.stop()
        finally:
            slack.on_post(None)
            discord.on_post(None)
            for bot in (a, b):
                if bot.alive:
                    bot.kill()

        got = received(slack, discord)
        missing, doubled, stray = compare(expected, got)
        with db.connect() as conn:
            outbox = dict(conn.execute(text(
                "SELECT claimed_by || ':' || status, count(*) FROM deliveries GROUP BY 1")).all())
        history = len(slack.received("conversations.history"))
    db.dispose()
    overlapping = _overlaps(polls)
    summary = [
        "two instances on PostgreSQL, a SIGKILLed mid-cycle:",
        f"  killed at post {kill.get('post')} ({kill.get('channel')}), {kill.get('at', 0):.0f}s in, "
        f"holding leases on {len(kill.get('leases', []))} feeds",  # type: ignore[arg-type]
        f"  b held both platforms {took_over:.1f}s after the kill; everything delivered at "
        f"{delivered:.0f}s; slack history lookups {history}",
        f"  b stopped cleanly: a held both {handed_over:.1f}s after the SIGTERM",
        f"  feed polls {len(polls)}, overlapping polls of one feed {len(overlapping)}",
        f"  outbox by instance: {outbox}",
        f"  missing {sum(map(len, missing.values()))}, doubled {sum(map(len, doubled.values()))}, "
        f"stray {sum(map(len, stray.values()))}",
    ]
    with capsys.disabled():
        print("\n" + "\n".join(summary))
    assert not missing, f"lost alerts: {missing}\n{a.tail()}\n{b.tail()}"
    assert not doubled, f"delivered twice: {doubled}\n{a.tail()}\n{b.tail()}"
    assert not stray, stray
    assert not overlapping, f"one feed polled by both instances at once: {overlapping}"
    assert not [k for k in outbox if not k.endswith(":sent")], outbox


def _healthz(log: str) -> dict[str, Any]:
    """The instance's ``/healthz`` (its port is in its log: ``listen_port: 0``)."""
    import json
    import re
    import urllib.request

    port = re.search(r"/healthz and /metrics on http://127\.0\.0\.1:(\d+)", log)
    assert port, "no ops port in the log"
    with urllib.request.urlopen(f"http://127.0.0.1:{port[1]}/healthz", timeout=5) as resp:
        return dict(json.loads(resp.read()))


def _standing_by(log: str) -> bool:
    """Both platforms held elsewhere, and the instance serving ``/healthz``."""
    return "/healthz and /metrics on" in log and all(f"gateway {p} is held by another instance; standing by" in log
               for p in ("slack", "discord"))


def _timed(path: str, handler: Any, log: list[tuple[str, float, float]]) -> Any:
    def handle(h: object) -> None:
        start = time.monotonic()
        time.sleep(FEED_DELAY)
        handler(h)
        log.append((path, start, time.monotonic()))

    return handle


def _overlaps(polls: list[tuple[str, float, float]]) -> list[str]:
    """Feeds two requests were fetching at the same moment (double polls)."""
    out = []
    by_feed: dict[str, list[tuple[float, float]]] = {}
    for path, start, end in polls:
        by_feed.setdefault(path, []).append((start, end))
    for path, spans in by_feed.items():
        spans.sort()
        out += [path for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False) if s2 < e1]
    return out


def test_scan_once_leaves_a_platform_held_by_a_running_instance_to_it(
    pg_url: str, tmp_path: Path
) -> None:
    """``scan --once`` beside a running bot: it matches and queues, but the terminal's
    alerts are the running holder's to print; once nobody holds it, the scan prints them."""
    import shutil

    from tests.cli.test_cli import ROOT, SEED
    from tests.clirun import newsbot

    (tmp_path / "config").mkdir()
    (tmp_path / "seeds").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config")
    (tmp_path / "config" / "newsbot.yaml").write_text("seeds: [seeds]\nops: {enabled: false}\n")
    shutil.copy(ROOT / SEED, tmp_path / "seeds")
    env = {"NEWSBOT_DATABASE_URL": pg_url}

    async def hold() -> AdvisoryLock:
        lock = AdvisoryLock(pg_url, "chat gateway console", timedelta(seconds=1))
        assert await lock.acquire(asyncio.Event())
        return lock

    lock = asyncio.run(hold())  # as a running `newsbot run` holds it
    try:
        first = newsbot("scan", "--once", cwd=tmp_path, env=env)
        assert first.returncode == 0, first.stderr
        assert "scan: 1 new document, 1 alert" in first.stderr
        assert "La Corée du Nord" not in first.stdout
        assert "console is delivered by the instance that holds it" in first.stderr
    finally:
        asyncio.run(lock.release())
    second = newsbot("scan", "--once", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "scan: 0 new documents, 0 alerts" in second.stderr
    assert second.stdout.count("La Corée du Nord sera aux côtés de la Russie") == 1


@pytest.mark.slow
def test_a_database_that_cannot_be_reached_stops_the_start_in_words(
    tmp_path: Path, closed_port: int
) -> None:
    """The supervisor restarts it; the log says why, without the password. (``run`` as a
    process: its exit code is what the supervisor acts on.)"""
    from tests.clirun import newsbot, newsbot_process

    url = f"postgresql+psycopg://newsbot:s3cret-pw@127.0.0.1:{closed_port}/newsbot"
    for command, launch in ((("scan", "--once"), newsbot), (("run",), newsbot_process)):
        res = launch(*command, cwd=tmp_path, env={"NEWSBOT_DATABASE_URL": url})
        assert res.returncode == 2, res.stderr
        assert "cannot reach the database" in res.stderr
        assert "Traceback" not in res.stderr and "s3cret-pw" not in res.stderr


CUT_LOCK = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE application_name = 'newsbot lock chat gateway console' "
    "AND datname = current_database()"  # not another run's bot on this server
)


@pytest.mark.slow
def test_a_holder_whose_lock_connection_is_cut_takes_it_back_and_keeps_delivering(
    pg_url: str, tmp_path: Path
) -> None:
    """The database cuts the lock's connection (a restart, a network cut) and nobody else
    wants the platform: the bot takes its lock back and goes on delivering."""
    from sqlalchemy import create_engine, text

    from tests.botproc import BotHome, BotProcess, wait_until

    home = BotHome(tmp_path / "bot")
    home.write_config({"seeds": ["seeds"], "ops": {"enabled": False}})
    bot = BotProcess(home, {"NEWSBOT_INSTANCE_ID": "solo"}, database_url=pg_url)
    bot.start()
    try:
        wait_until(lambda: "holds the console connection" in bot.log(), 120, "the lock", bot)
        admin = create_engine(pg_url)
        with admin.begin() as conn:
            cut = conn.execute(text(CUT_LOCK)).scalar()
        admin.dispose()
        assert cut == 1
        wait_until(lambda: "holds the console lock again" in bot.log(), 60, "the lock again", bot)
        home.add_seed("dispatch.txt", (ROOT / "seeds" / "000_b5e3709a28e5c677.txt").read_text())
        wait_until(lambda: "La Corée du Nord sera aux côtés" in bot.log(), 120,
                   "the alert of a seed dropped after the cut", bot)
        assert bot.alive, bot.tail()
    finally:
        code = bot.stop()
    assert code == 0, bot.tail()
    assert "Traceback" not in bot.log()


@pytest.mark.slow
def test_a_holder_whose_lock_another_instance_took_stops_rather_than_risk_two_connections(
    pg_url: str, tmp_path: Path
) -> None:
    """The lock's connection is cut and another session takes the lock before the bot can
    take it back: the bot exits non-zero saying why, for its supervisor to restart it
    as a standby."""
    from sqlalchemy import create_engine, text

    from bot.runtime.cluster import lock_key
    from tests.botproc import BotHome, BotProcess, wait_until

    home = BotHome(tmp_path / "bot")
    home.write_config({"seeds": ["seeds"], "ops": {"enabled": False}})
    bot = BotProcess(home, {"NEWSBOT_INSTANCE_ID": "solo"}, database_url=pg_url)
    bot.start()
    other = create_engine(pg_url)
    try:
        wait_until(lambda: "holds the console connection" in bot.log(), 120, "the lock", bot)
        with other.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            assert conn.execute(text(CUT_LOCK)).scalar() == 1
            a, b = lock_key("chat gateway console")
            # Waits for the cut session to end, then holds the lock as another instance.
            conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": a, "b": b})
            assert bot.proc is not None
            code = bot.proc.wait(60)
    finally:
        bot.kill()
        other.dispose()
    assert code == 2, bot.tail()
    assert "another instance took it" in bot.log()
    assert "Traceback" not in bot.log()


@pytest.mark.slow
def test_bench_instances_polls_every_feed_once_per_cycle_with_two_processes(pg_url: str) -> None:
    """The benchmark on a small scale: two processes split the feeds, none polled twice.
    (A process of its own: the benchmark shortens the feed scheduler's recheck for its run.)"""
    import re

    from tests.clirun import newsbot_process as newsbot

    server = pg_url.rsplit("/", 1)[0] + "/test"
    res = newsbot("bench", "instances",
                  env={"NEWSBOT_BENCH_FEEDS": "60", "NEWSBOT_BENCH_POSTGRES": server})
    assert res.returncode == 0, res.stderr
    rows = re.findall(r"^([12]) +(\d) \([^)]*\) +[\d.]+ +(\d+) +(\d+) +(\d+) +([\d /]+)$",
                      res.stdout, re.M)
    assert len(rows) == 4, res.stdout
    for instances, _cycle, requests, double, unpolled, shares in rows:
        assert (requests, double, unpolled) == ("60", "0", "0"), res.stdout
        split = [int(n) for n in shares.split("/")]
        assert len(split) == int(instances) and sum(split) == 60
