"""The clock of the bot: when each feed is polled next, the seed-folder scan and the
delivery tick.

Seeds, delivery and WebSub renewals are APScheduler jobs on the bot's own event loop
(single-instance and coalescing). Feeds have their own small loop, :class:`FeedScheduler`,
because a feed's next poll depends on how the last one went (interval and jitter when it
worked, exponential backoff when it failed, the publisher's Retry-After when asked to
wait, a longer safety-net interval when the feed pushes through WebSub), which a fixed
interval trigger cannot express.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.store import utcnow

if TYPE_CHECKING:
    from bot.app import NewsBot
    from bot.settings import FeedConfig

log = logging.getLogger(__name__)

DELIVERY_TICK = timedelta(seconds=2)
WEBSUB_TICK = timedelta(minutes=10)
MAX_JITTER = timedelta(seconds=30)


def poll_delay(
    interval: timedelta,
    failures: int = 0,
    *,
    backoff_max: timedelta = timedelta(hours=2),
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> timedelta:
    """How long until a feed's next poll.

    Healthy: its interval. Failing: the interval doubled per consecutive failure after the
    first, capped at ``backoff_max`` (never below the interval). A ``Retry-After`` from the
    publisher is a floor. Then up to 10% (at most 30 s) of jitter, only ever added, so
    feeds configured alike drift apart and nobody is asked earlier than they said.
    """
    base = interval
    if failures > 1:
        doubled = interval * (2 ** min(failures - 1, 20))
        base = max(interval, min(backoff_max, doubled))
    if retry_after is not None:
        base = max(base, timedelta(seconds=retry_after))
    jitter = min(MAX_JITTER, base / 10).total_seconds()
    return base + timedelta(seconds=(rng or random).uniform(0, jitter))


def startup_delay(index: int, total: int, spread: timedelta = timedelta(seconds=10)) -> timedelta:
    """Spread first polls over a few seconds so many feeds do not fire at once."""
    if total <= 1:
        return timedelta(0)
    return spread * (index / total)


class FeedScheduler:
    """Polls every configured feed when it is due; one poll per feed at a time.

    The bot records each feed's next poll time (``NewsBot.next_poll``), in the store as
    well, so a feed that was backing off before a restart keeps backing off after it.
    Concurrency is bounded by the bot's fetch limiter, not here: a due poll waits for a
    slot.
    """

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self._heap: list[tuple[datetime, int, str, int]] = []
        """(due, tie-breaker, url, generation): an entry whose generation is not the feed's
        current one was superseded by a config edit and is skipped."""
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._feeds: dict[str, FeedConfig] = {}
        self._generation: dict[str, int] = {}
        self._polling: set[str] = set()
        self._started = False

    def _push(self, when: datetime, feed: FeedConfig) -> None:
        generation = self._generation.setdefault(feed.url, 0)
        heapq.heappush(self._heap, (when, next(self._order), feed.url, generation))
        self._wake.set()

    async def first_polls(self) -> None:
        """Due now (spread over a few seconds), or later when the store says it backs off."""
        states = {s.url: s for s in await asyncio.to_thread(self.bot.store.feed_states)}
        # Read after the await: a config edit meanwhile is already in the settings.
        feeds = self.bot.settings.feeds
        self._feeds = {f.url: f for f in feeds}
        self._started = True
        now = utcnow()
        for i, feed in enumerate(feeds):
            when = now + startup_delay(i, len(feeds))
            state = states.get(feed.url)
            if state and state.consecutive_failures and state.next_poll_at:
                when = max(when, state.next_poll_at)
            self._push(when, feed)

    def reconfigure(self, feeds: Sequence[FeedConfig]) -> None:
        """The config's feed list changed while running: poll new feeds now, stop polling
        removed ones (a poll in flight finishes), and give a changed interval effect at once
        when it makes the feed due sooner."""
        if not self._started:
            return  # the first polls read the settings when they start
        wanted = {f.url: f for f in feeds}
        now = utcnow()
        for url in set(self._feeds) - set(wanted):
            del self._feeds[url]
            self._generation[url] = self._generation.get(url, 0) + 1
        added = [f for f in feeds if f.url not in self._feeds]
        for feed in feeds:
            old = self._feeds.get(feed.url)
            self._feeds[feed.url] = feed
            if old is None or old.interval == feed.interval or feed.url in self._polling:
                continue
            due = self.bot.next_poll.get(feed.url, now)
            sooner = now + poll_delay(feed.interval)
            if sooner < due:
                self._generation[feed.url] = self._generation.get(feed.url, 0) + 1
                self._push(sooner, feed)
        for i, feed in enumerate(added):
            self._generation[feed.url] = self._generation.get(feed.url, 0) + 1
            self._push(now + startup_delay(i, len(added)), feed)

    async def run(self) -> None:
        await self.first_polls()
        try:
            while True:
                self._wake.clear()
                now = utcnow()
                while self._heap and self._heap[0][0] <= now:
                    _, _, url, generation = heapq.heappop(self._heap)
                    feed = self._feeds.get(url)
                    if feed is None or generation != self._generation.get(url):
                        continue  # removed from the config, or rescheduled
                    self._polling.add(url)
                    task = asyncio.create_task(self._poll(feed), name=f"poll {url}")
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                wait = (self._heap[0][0] - now).total_seconds() if self._heap else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            for task in list(self._running):
                task.cancel()
            if self._running:
                await asyncio.wait(self._running, timeout=10)

    async def _poll(self, feed: FeedConfig) -> None:
        try:
            await self.bot.poll_feed(feed)
        except Exception:  # a bug on one feed must not end the polling of all of them
            log.exception("feed %s: poll failed", feed.name or feed.url)
        finally:
            self._polling.discard(feed.url)
        current = self._feeds.get(feed.url)
        if current is None:
            return  # removed from the config while it was being polled
        when = self.bot.next_poll.get(feed.url) or utcnow() + poll_delay(current.interval)
        self._push(when, current)


def single_flight(job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
    """A job that returns at once while its previous run is still going.

    A seed scan that loads spaCy or a drain that waits out a rate limit outlasts its
    interval; the next tick has nothing to add, and APScheduler would log a warning for
    every tick it skipped.
    """
    running = False

    async def tick() -> Any:
        nonlocal running
        if running:
            return None
        running = True
        try:
            return await job()
        finally:
            running = False

    tick.__name__ = getattr(job, "__name__", "job")
    return tick


def build_scheduler(bot: NewsBot) -> AsyncIOScheduler:
    """The APScheduler jobs: the seed scan, the delivery tick and WebSub renewals."""
    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    now = utcnow()
    scheduler.add_job(
        single_flight(bot.scan_seeds),
        "interval",
        seconds=bot.settings.scan_interval.total_seconds(),
        next_run_time=now,
        id="seeds",
        name="scan seed folders",
    )
    scheduler.add_job(
        bot.deliver_tick,
        "interval",
        seconds=DELIVERY_TICK.total_seconds(),
        next_run_time=now,
        id="deliver",
        name="deliver outbox",
    )
    if bot.websub is not None:
        scheduler.add_job(
            bot.websub.renew_due,
            "interval",
            seconds=WEBSUB_TICK.total_seconds(),
            next_run_time=now + WEBSUB_TICK,
            id="websub",
            name="renew WebSub leases",
        )
    return scheduler
