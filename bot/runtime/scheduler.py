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
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime.dbcall import DbCall
from bot.runtime.waiting import wait_set
from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.store.db import utcnow
from bot.store.feeds import FeedRepository
from bot.store.outage import DatabaseOutage, is_outage

log = logging.getLogger(__name__)

DELIVERY_TICK = timedelta(seconds=2)
STARTUP_SPREAD = timedelta(seconds=10)
WEBSUB_TICK = timedelta(minutes=10)
MAX_JITTER = timedelta(seconds=30)
PRUNE_TICK = timedelta(hours=1)
PRUNE_DELAY = timedelta(minutes=1)
"""The first pruning waits for the start-up polls to be under way."""


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


def startup_delay(index: int, total: int, spread: timedelta = STARTUP_SPREAD) -> timedelta:
    """Spread first polls over a few seconds so many feeds do not fire at once."""
    if total <= 1:
        return timedelta(0)
    return spread * (index / total)


RECHECK = 10.0
"""Seconds between looks at the feed table when nothing is due sooner: another instance
may have shortened a feed's interval, or died holding leases."""


class FeedScheduler:
    """Polls every configured feed when it is due; one poll per feed at a time, across
    every instance that shares the store.

    The store is the schedule: each feed's row says when it is due (its interval and
    jitter after a poll, backoff while it fails, the publisher's Retry-After) and who is
    polling it. An instance claims due feeds (:meth:`FeedRepository.claim_feeds`, a lease) only as
    many as it has fetch slots free, so instances sharing a database divide the feeds
    between them instead of one hoarding them; its heartbeat renews the leases while it
    polls. A restart keeps the schedule: a feed polled a minute ago is not polled again.

    ``poll`` polls one feed; ``db`` runs the store's calls off the event loop;
    ``settings`` gives the running settings (the feeds, the fetch slots); ``owner`` and
    ``lease`` are this instance's name and lease length in the claims.
    """

    def __init__(
        self,
        poll: Callable[[FeedConfig], Awaitable[object]],
        store: FeedRepository,
        *,
        db: DbCall,
        settings: Callable[[], Settings],
        owner: str,
        lease: timedelta,
        outage: DatabaseOutage,
        spread: timedelta = STARTUP_SPREAD,
    ) -> None:
        self.poll = poll
        self.store = store
        self.db = db
        self.settings = settings
        self.owner = owner
        """This instance, as its claims name it."""
        self.lease = lease
        self.outage = outage
        self.spread = spread
        """Over how long the first polls of new feeds are spread."""
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        """The polls in flight, by feed URL."""
        self._edits: set[asyncio.Task[None]] = set()
        """Store writes a config edit started (new feeds' rows, sooner due times)."""
        self._feeds: dict[str, FeedConfig] = {}
        self._started = False

    async def first_polls(self) -> None:
        """Give new feeds a row, due now (spread over a few seconds); others keep theirs."""
        feeds = self.settings().feeds
        self._feeds = {f.url: f for f in feeds}
        self._started = True
        await self._add(feeds)

    async def _add(self, feeds: Sequence[FeedConfig]) -> None:
        now = utcnow()
        first_due = {
            f.url: now + startup_delay(i, len(feeds), self.spread) for i, f in enumerate(feeds)
        }
        await self.db(self.store.ensure_feeds, first_due)
        self._wake.set()

    def reconfigure(self, feeds: Sequence[FeedConfig]) -> None:
        """The config's feed list changed while running: poll new feeds now, stop polling
        removed ones (a poll in flight finishes), and give a changed interval effect at once
        when it makes the feed due sooner."""
        if not self._started:
            return  # the first polls read the settings when they start
        wanted = {f.url: f for f in feeds}
        for url in set(self._feeds) - set(wanted):
            del self._feeds[url]
        added = [f for f in feeds if f.url not in self._feeds]
        sooner: list[tuple[str, datetime]] = []
        now = utcnow()
        for feed in feeds:
            old = self._feeds.get(feed.url)
            self._feeds[feed.url] = feed
            if old is not None and old.interval != feed.interval:
                sooner.append((feed.url, now + poll_delay(feed.interval)))

        async def apply() -> None:
            for url, when in sooner:
                await self.db(self.store.feed_due_sooner, url, when)
            await self._add(added)

        # Waits out a database outage: a feed added meanwhile is not forgotten.
        task = asyncio.get_running_loop().create_task(
            self.outage.retry("applying a config edit to the feeds", apply),
            name="feeds reconfigured",
        )
        self._edits.add(task)
        task.add_done_callback(self._edits.discard)

    def _done(self, key: str) -> None:
        self._running.pop(key, None)
        self._wake.set()

    def _capacity(self) -> int:
        """How many feeds to claim now: none while this instance has a full round of
        fetch slots' worth in hand, else enough to have two rounds.

        Claiming a round at a time, not a feed per finished poll, keeps the claims (each
        a query over every configured feed) to a few per thousand polls; holding at most
        two rounds leaves the rest of the due feeds to the other instances.
        """
        polls = len(self._running)
        round_ = self.settings().max_fetches
        return 0 if polls > round_ else 2 * round_ - polls

    async def run(self) -> None:
        """Claim and start due polls until cancelled. A database outage pauses the loop
        (:class:`~bot.store.outage.DatabaseOutage` retries the round), never ends it."""
        outage = self.outage
        await outage.retry("adding the configured feeds", self.first_polls)
        try:
            while True:
                self._wake.clear()
                wait = await outage.retry("claiming due feeds", self._round)
                if wait is None:
                    await self._wake.wait()  # every slot busy: wait for a poll to end
                    continue
                await wait_set(self._wake, wait)
        finally:
            running = [*self._running.values(), *self._edits]
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running, timeout=10)

    async def _round(self) -> float | None:
        """Claim what is due and start its polls; how long to wait before the next round
        (None: until a poll ends)."""
        idle = [u for u in self._feeds if u not in self._running]
        capacity = self._capacity()
        claimed: list[str] = []
        if capacity and idle:
            claimed = await self.db(
                self.store.claim_feeds, idle, self.owner, self.lease, capacity
            )
        for url in claimed:
            feed = self._feeds.get(url)
            if feed is None:  # removed while claiming
                await self.db(self.store.release_feed, url, self.owner)
                continue
            task = asyncio.create_task(self._poll(feed), name=f"poll {url}")
            self._running[url] = task
        if capacity == 0 or (claimed and len(claimed) == capacity):
            return None
        wait = RECHECK
        idle = [u for u in self._feeds if u not in self._running]
        if idle and not claimed:
            due = await self.db(self.store.next_feed_due, idle)
            if due is not None:
                # Due now but not claimed: another instance was claiming it.
                wait = min(RECHECK, max(0.2, (due - utcnow()).total_seconds()))
        elif claimed:
            wait = 0.0
        return wait

    async def _poll(self, feed: FeedConfig) -> None:
        outage = self.outage
        started = outage.clock()
        try:
            await self.poll(feed)
        except Exception as exc:
            if is_outage(exc):
                # Nothing was marked polled: the feed stays due, and the release below
                # waits for the database, so it is polled again once it is back.
                outage.down(f"polling {feed.label}", exc, started)
            else:  # a bug on one feed must not end the polling of all of them
                log.exception("feed %s: poll failed", feed.label)
                with contextlib.suppress(Exception):  # poll again after the interval
                    when = utcnow() + poll_delay(feed.interval)
                    await self.db(self.store.update_feed, feed.url, next_poll_at=when)
        finally:
            try:
                await asyncio.shield(outage.retry(
                    "releasing a polled feed",
                    partial(self.db, self.store.release_feed, feed.url, self.owner),
                ))
            finally:
                self._done(feed.url)


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


def coalesced(job: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """A job that never runs twice at once, and that runs once more when asked while it
    runs: the seed scan, asked for by its interval and by the folder watcher, must not miss
    a file dropped just after the running scan listed the folder."""
    running = False
    again = False

    async def tick() -> None:
        nonlocal running, again
        if running:
            again = True
            return
        running = True
        try:
            while True:
                again = False
                await job()
                if not again:
                    return
        finally:
            running = False

    tick.__name__ = getattr(job, "__name__", "job")
    return tick


def build_scheduler(
    *,
    seeds: Callable[[], Awaitable[Any]],
    scan_interval: timedelta,
    deliver: Callable[[], Awaitable[Any]],
    websub: Callable[[], Awaitable[Any]] | None = None,
    prune: Callable[[], Awaitable[Any]] | None = None,
    delivery_tick: timedelta = DELIVERY_TICK,
) -> AsyncIOScheduler:
    """The APScheduler jobs: the seed scan, the delivery tick, WebSub renewals and the
    pruning of article text past its retention."""
    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    now = utcnow()
    scheduler.add_job(
        seeds,
        "interval",
        seconds=scan_interval.total_seconds(),
        next_run_time=now,
        id="seeds",
        name="scan seed folders",
    )
    scheduler.add_job(
        deliver,
        "interval",
        seconds=delivery_tick.total_seconds(),
        next_run_time=now,
        id="deliver",
        name="deliver outbox",
    )
    if websub is not None:
        scheduler.add_job(
            websub,
            "interval",
            seconds=WEBSUB_TICK.total_seconds(),
            next_run_time=now + WEBSUB_TICK,
            id="websub",
            name="renew WebSub leases",
        )
    if prune is not None:
        scheduler.add_job(
            prune,
            "interval",
            seconds=PRUNE_TICK.total_seconds(),
            next_run_time=now + PRUNE_DELAY,
            id="prune",
            name="prune article text",
        )
    return scheduler
