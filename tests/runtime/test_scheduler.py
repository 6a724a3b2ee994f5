"""The scheduler's jobs, and that matching runs off the event loop."""

from __future__ import annotations

import asyncio
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.ingest.pipeline as pipeline_mod
from bot.chat.console import ConsoleAdapter
from bot.runtime.bot import NewsBot
from bot.settings.model import load_settings

ROOT = Path(__file__).resolve().parents[2]


def make_bot(tmp_path: Path, feeds: str = "[]") -> NewsBot:
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "config" / "newsbot.yaml").write_text(
        f"seeds: [seeds]\nscan_interval: 45s\nfeeds: {feeds}\n"
    )
    settings = load_settings(
        tmp_path / "config" / "newsbot.yaml",
        env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"},
    )
    return NewsBot(settings, {"console": ConsoleAdapter()})


def test_apscheduler_runs_seeds_and_delivery_and_feeds_have_their_own_clock(
    tmp_path: Path,
) -> None:
    newsbot = make_bot(tmp_path, "\n  - {url: 'http://127.0.0.1:9/a.xml', interval: 2m}")

    async def jobs() -> dict[str, timedelta]:
        sched = newsbot.make_scheduler()
        return {j.id: j.trigger.interval for j in sched.get_jobs()}

    assert asyncio.run(jobs()) == {
        "seeds": timedelta(seconds=45), "deliver": timedelta(seconds=2), "prune": timedelta(hours=1)
    }
    newsbot.store.close()


def test_matching_runs_in_a_worker_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """spaCy work must never block the loop that keeps chat connections alive."""
    newsbot = make_bot(tmp_path)
    threads: list[str] = []
    real = pipeline_mod.analyze

    def spy(*args: Any, **kw: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(pipeline_mod, "analyze", spy)

    async def go() -> str:
        loop_thread = threading.current_thread().name
        report = await newsbot.seeds.scan()
        assert report.alerted == 1
        await newsbot.close()
        return loop_thread

    loop_thread = asyncio.run(go())
    assert threads and all(t != loop_thread for t in threads)



def test_poll_delay_backs_off_with_a_cap_and_honours_retry_after() -> None:
    import random

    from bot.runtime.scheduler import poll_delay

    rng = random.Random(1)
    five = timedelta(minutes=5)
    cap = timedelta(hours=2)

    def at(failures: int, retry_after: float | None = None) -> timedelta:
        return poll_delay(five, failures, backoff_max=cap, retry_after=retry_after, rng=rng)

    assert five <= at(0) <= five + timedelta(seconds=30)  # jitter only ever adds
    assert timedelta(minutes=10) <= at(2) <= timedelta(minutes=10, seconds=30)
    assert timedelta(minutes=40) <= at(4) < timedelta(minutes=41)
    assert cap <= at(30) <= cap + timedelta(seconds=30)  # capped, however long it fails
    assert at(1, retry_after=3600) >= timedelta(hours=1)


def test_feed_scheduler_polls_each_feed_when_due(tmp_path: Path) -> None:
    """The loop polls at the time the last poll recorded in the store, not on a grid."""
    from bot.store.db import utcnow

    newsbot = make_bot(
        tmp_path,
        "\n  - {url: 'http://127.0.0.1:9/fast.xml'}\n  - {url: 'http://127.0.0.1:9/slow.xml'}",
    )
    polls: list[str] = []

    async def fake_poll(feed: Any) -> None:
        polls.append(feed.url.rsplit("/", 1)[1])
        gap = 0.05 if "fast" in feed.url else 10.0  # as if slow.xml were backing off
        newsbot.store.feeds.update_feed(feed.url, next_poll_at=utcnow() + timedelta(seconds=gap))

    newsbot.poll_feed = fake_poll  # type: ignore[method-assign]

    def fast_after_slow() -> int:
        return polls[polls.index("slow.xml"):].count("fast.xml") if "slow.xml" in polls else 0

    async def go() -> None:
        newsbot.startup_spread = timedelta(seconds=1)
        task = asyncio.create_task(newsbot.make_feed_scheduler().run())
        # First polls are spread over 1 s here (slow.xml at 0.5 s; 10 s by default). Twenty
        # polls of fast.xml after slow.xml's first are twenty rounds in which slow.xml was
        # not yet due.
        deadline = asyncio.get_running_loop().time() + 60
        while fast_after_slow() < 20:
            assert asyncio.get_running_loop().time() < deadline, f"timed out: {polls}"
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    newsbot.store.close()
    assert polls.count("slow.xml") == 1
    assert polls.count("fast.xml") >= 20


def test_a_job_still_running_is_not_started_again_nor_queued() -> None:
    """A drain waiting out a rate limit outlasts its 2 s tick: later ticks return at once."""
    from bot.runtime.scheduler import single_flight

    started = 0
    release = asyncio.Event()

    async def slow_drain() -> int:
        nonlocal started
        started += 1
        await release.wait()
        return 7

    tick = single_flight(slow_drain)

    async def scenario() -> list[int | None]:
        first = asyncio.create_task(tick())
        await asyncio.sleep(0)
        skipped = [await tick(), await tick()]
        release.set()
        return [await first, *skipped, await tick()]

    assert asyncio.run(scenario()) == [7, None, None, 7]
    assert started == 2


def test_a_paused_feed_is_not_polled_until_resumed(tmp_path: Path) -> None:
    """Paused in the web console: the scheduler claims it no more, and polls it again as
    soon as it is resumed."""
    from bot.store.db import utcnow

    newsbot = make_bot(
        tmp_path,
        "\n  - {url: 'http://127.0.0.1:9/fast.xml'}\n  - {url: 'http://127.0.0.1:9/paused.xml'}",
    )
    paused = "http://127.0.0.1:9/paused.xml"
    newsbot.store.feeds.pause_feed(paused, True)
    polls: list[str] = []

    async def fake_poll(feed: Any) -> None:
        polls.append(feed.url.rsplit("/", 1)[1])
        newsbot.store.feeds.update_feed(feed.url, next_poll_at=utcnow() + timedelta(seconds=0.05))

    newsbot.poll_feed = fake_poll  # type: ignore[method-assign]

    async def until(check: Any, what: str) -> None:
        deadline = asyncio.get_running_loop().time() + 60
        while not check():
            assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}: {polls}"
            await asyncio.sleep(0.02)

    async def go() -> None:
        newsbot.startup_spread = timedelta(seconds=0.1)
        task = asyncio.create_task(newsbot.make_feed_scheduler().run())
        await until(lambda: polls.count("fast.xml") >= 20, "twenty polls of the other feed")
        assert "paused.xml" not in polls
        newsbot.store.feeds.pause_feed(paused, False)
        await until(lambda: "paused.xml" in polls, "the resumed feed polled")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    newsbot.store.close()
