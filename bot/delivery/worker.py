"""The delivery worker: the only reader of the outbox (its sender the only caller of send).

Per platform, one drain at a time claims what is due (marked in flight) and hands each
delivery or digest to :class:`~bot.delivery.sender.Sender`, which posts it and marks what
became of it. Rows claimed and not sent (the worker was stopped, the database failed) go
back in the queue; rows that may have been posted go back "in doubt".

Not too much at once: before posting, :mod:`bot.delivery.pacing` decides per channel whether an
alert goes now or waits, with others, for one digest (a burst, quiet hours).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.chat.base import ChatAdapter
from bot.delivery.pacing import Pacing, plan
from bot.delivery.sender import DeliveryCounter, FailureHook, RetryPolicy, Sender, span
from bot.models import Target
from bot.store.db import utcnow
from bot.store.outage import DatabaseOutage
from bot.store.outbox import OutboxRepository, PendingDelivery
from bot.store.outcomes import OutcomeRepository

log = logging.getLogger(__name__)


STALE_CLAIM = timedelta(minutes=15)
"""How long a claimed delivery may stay "sending" before it counts as orphaned: far beyond
a post's timeouts (30 s a request, Discord's longest rate-limit wait 30 s, a few retries)."""


class DeliveryWorker:
    """Drains the outbox, one platform at a time, through a :class:`Sender`."""

    def __init__(
        self,
        outbox: OutboxRepository,
        outcomes: OutcomeRepository,
        adapters: Mapping[str, ChatAdapter],
        policy: RetryPolicy | None = None,
        batch: int = 20,
        on_failed: FailureHook | None = None,
        pacing: Callable[[], Pacing] | None = None,
        metrics: DeliveryCounter | None = None,
        stale_after: timedelta = STALE_CLAIM,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self.outbox = outbox
        self.outage = outage or DatabaseOutage()
        """A database outage pauses a drain (and the hand-back of what it claimed) until
        the database is back, instead of ending it with the rows still claimed."""
        self.adapters = dict(adapters)
        self.sender = Sender(
            outcomes, self.adapters, policy or RetryPolicy(), on_failed=on_failed, metrics=metrics
        )
        self.batch = batch
        self.pacing = pacing or Pacing
        """Read at every drain, so an edit of the bursts or quiet hours applies at once."""
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[int]] = {}
        self._again: set[str] = set()
        self.stopping = False
        """Set at shutdown: the delivery in flight finishes, no further one starts."""
        self.active: set[str] | None = None
        """The platforms this instance delivers for (it holds their connection); None: all.
        Instances sharing a database deliver each platform from one of them."""
        self.owner: str | None = None
        """This instance's name, written on the deliveries it claims."""
        self.stale_after = stale_after
        """A claim held this long was orphaned (see :meth:`_release_stale`)."""
        self._swept: dict[str, datetime] = {}

    @property
    def on_failed(self) -> FailureHook | None:
        """Told once when a delivery is given up on (the sender calls it)."""
        return self.sender.on_failed

    @on_failed.setter
    def on_failed(self, hook: FailureHook | None) -> None:
        self.sender.on_failed = hook

    def platforms(self) -> list[str]:
        return [p for p in self.adapters if self.active is None or p in self.active]

    def standby(self) -> None:
        """Deliver for no platform until :meth:`take` says which are ours."""
        self.active = set()

    def take(self, platform: str) -> None:
        """This instance now holds ``platform``: deliver its alerts, starting now."""
        if self.active is not None:
            self.active.add(platform)
        self.kick()

    def give_up(self, platform: str) -> None:
        if self.active is not None:
            self.active.discard(platform)

    async def recover(self, platforms: list[str] | None = None) -> None:
        """Requeue what a killed process left in flight, marked in doubt: before posting
        one again the worker asks the platform whether it arrived. ``platforms``: those
        this instance just took over (the instance that held them is gone)."""
        n = await asyncio.to_thread(self.outbox.release_in_flight, platforms)
        if n:
            log.warning(
                "%d deliveries were in flight when the bot stopped; checking each channel "
                "before posting them again",
                n,
            )

    async def drain(self) -> int:
        """Deliver everything that is due now, on every platform; returns how many alerts
        were delivered (what this call's drains delivered).

        Each platform drains in a task of its own, one at a time per platform: a platform
        that is down (its client retrying) never holds up another. A call that finds a
        platform's drain running waits for it and then drains what was queued meanwhile,
        so "queued, then drained" always holds.
        """
        counts = await asyncio.gather(*(self._drain_locked(p) for p in self.platforms()))
        return sum(counts)

    def kick(self) -> None:
        """Start a drain of each platform that has none running, without waiting for it;
        a platform that is draining drains once more when it is done (new rows queued)."""
        for platform in self.platforms():
            task = self._tasks.get(platform)
            if task is not None and not task.done():
                self._again.add(platform)
                continue
            self._tasks[platform] = asyncio.get_running_loop().create_task(
                self._drain_locked(platform), name=f"deliver {platform}"
            )

    def running(self) -> list[asyncio.Task[int]]:
        """Drains in progress (a shutdown lets them finish the post in flight)."""
        return [t for t in self._tasks.values() if not t.done()]

    async def _drain_locked(self, platform: str) -> int:
        lock = self._locks.setdefault(platform, asyncio.Lock())
        sent = 0
        async with lock:
            await self.outage.retry(
                f"sweeping stale {platform} claims", lambda: self._release_stale(platform)
            )
            while not self.stopping:
                self._again.discard(platform)
                # What is due as of now: a retry scheduled during this drain waits.
                sent += await self.outage.retry(
                    f"delivering to {platform}",
                    lambda: self._drain_platform(platform, utcnow(), self.pacing()),
                )
                if platform not in self._again:
                    break
        return sent

    async def _drain_platform(self, platform: str, now: datetime, pacing: Pacing) -> int:
        sent = 0
        limits = {platform: self.adapters[platform].digest_limit}
        while not self.stopping:
            digests = await asyncio.to_thread(
                self.outbox.claim_digests, [platform], now, limits, owner=self.owner
            )
            left = list(digests)
            busy: tuple[int, ...] = ()
            try:
                for digest in digests:
                    if self.stopping:
                        break
                    busy = digest.delivery_ids
                    sent += await self.sender.deliver_digest(digest, pacing)
                    left.remove(digest)
                    busy = ()
            finally:
                if left:  # stopped: the same groups go back in the queue
                    ids = [i for g in left for i in g.delivery_ids]
                    await self._give_back(ids, busy)
            due = await asyncio.to_thread(
                self.outbox.claim_due, [platform], now, self.batch, owner=self.owner
            )
            if not due and not digests:
                return sent
            pending = [d.id for d in due]
            current: int | None = None
            try:
                # Inside the try: pacing asks the database, and rows claimed before an
                # error there go back too (held ones are pending already, not given back).
                due = await self._pace(due, pacing)
                pending = [d.id for d in due]
                for delivery in due:
                    if self.stopping:
                        break
                    current = delivery.id
                    sent += await self.sender.deliver(delivery)
                    pending.remove(delivery.id)
                    current = None
            finally:
                if pending:  # stopped (or failed) mid-batch: the rest goes back in the queue
                    await self._give_back(pending, [current] if current else [])
        return sent

    async def _release_stale(self, platform: str) -> None:
        """Requeue (in doubt) what this instance claimed for ``platform`` long ago and still
        holds: a drain that died on a database error could not hand it back. Runs under
        the platform's drain lock, so no post of this process is in flight; the bound
        ``stale_after``, far beyond any post's timeout, spares another process that shares
        the owner name (or has none) mid-post. At most every ``stale_after / 4``."""
        now = utcnow()
        last = self._swept.get(platform)
        if last is not None and timedelta(0) <= now - last < self.stale_after / 4:
            return
        before = now - self.stale_after
        n = await asyncio.to_thread(self.outbox.release_stale, [platform], self.owner, before)
        self._swept[platform] = now  # only once it worked: a failed sweep is tried again
        if n:
            log.warning(
                "%s: %d deliveries were claimed over %s ago and never handed back; checking "
                "each channel before posting them again",
                platform, n, span(self.stale_after),
            )

    async def _give_back(self, ids: Sequence[int], interrupted: Sequence[int]) -> None:
        """Requeue claimed deliveries after the worker was stopped (cancelled).

        ``interrupted`` were being posted when it stopped: they may have arrived, so they
        go back in doubt; the rest were never tried.
        """
        def give_back() -> None:
            self.outbox.release([i for i in ids if i not in interrupted])
            self.outbox.release(interrupted, in_doubt=True)

        await asyncio.shield(self.outage.retry(
            "handing claimed deliveries back", lambda: asyncio.to_thread(give_back)
        ))

    async def _pace(self, due: list[PendingDelivery], pacing: Pacing) -> list[PendingDelivery]:
        """Hold what the burst rule or quiet hours say must wait; return what posts now.

        Edits of posted alerts and posts that may already be out (in doubt) go now.
        """
        fresh: dict[Target, list[PendingDelivery]] = {}
        for d in due:
            if d.kind == "post" and not d.in_doubt:
                fresh.setdefault(d.target, []).append(d)
        held: set[int] = set()
        now = utcnow()
        for target, group in fresh.items():
            since = now - pacing.bursts.window
            activity = await asyncio.to_thread(self.outbox.channel_activity, target, since)
            p = plan(len(group), target, activity, pacing, now)
            wait = group[p.post_now :]
            if wait and p.hold is not None and p.until is not None:
                ids = [d.id for d in wait]
                await asyncio.to_thread(self.outbox.hold, ids, p.hold, p.until)
                held.update(ids)
                log.info(
                    "%s:%s: %d alerts held for a digest at %s (%s)",
                    target.platform, target.channel, len(ids),
                    p.until.strftime("%H:%M:%S UTC"), p.hold,
                )
        return [d for d in due if d.id not in held]

    def forget_refusals(self) -> None:
        """The config changed (a route may be fixed): report a channel's next refusal again."""
        self.sender.forget_refusals()
