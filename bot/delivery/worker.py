"""The delivery worker: the only reader of the outbox, the only caller of adapters' send.

A delivery is claimed (marked in flight), posted (or, for ``kind == "update"``, the posted
message edited because the story gained a source), then marked sent. A transient error is
retried with backoff (or after the platform's Retry-After); a permanent one, or the last
retry, marks it failed with the reason, so nothing is silently dropped.

Nothing doubled: a delivery that may have reached the platform without being marked sent
(the process was killed mid-post, a request timed out) is "in doubt", and before posting it
again the worker asks the adapter to look for it in the channel (Slack: the alert id in the
message metadata; Discord: the nonce makes a repeated post return the first one).

Not too much at once: before posting, :mod:`bot.delivery.pacing` decides per channel whether an
alert goes now or waits, with others, for one digest (a burst, quiet hours).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery.pacing import Pacing, plan
from bot.models import Alert, Digest, Target
from bot.store.outage import DatabaseOutage
from bot.store.store import PendingDelivery, PendingDigest, Store, utcnow

if TYPE_CHECKING:
    from bot.runtime.metrics import Metrics, Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 5.0
    max_delay: float = 600.0

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        if retry_after is not None:
            return timedelta(seconds=max(0.0, retry_after))
        backoff = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        return timedelta(seconds=backoff * random.uniform(0.8, 1.2))


STALE_CLAIM = timedelta(minutes=15)
"""How long a claimed delivery may stay "sending" before it counts as orphaned: far beyond
a post's timeouts (30 s a request, Discord's longest rate-limit wait 30 s, a few retries)."""


FailureHook = Callable[[Target, Alert, str], Awaitable[None]]
"""Called once when a delivery is given up on (the app tells the admin channel)."""


def _maybe_posted(exc: BaseException) -> bool:
    """Could the failed request have posted the message anyway?

    A refusal (permanent) or a rate limit answered before anything was done did not; a
    server error, a timeout or a bug somewhere after the request left might have.
    """
    if isinstance(exc, DeliveryError):
        return not exc.permanent and exc.retry_after is None
    return True


def _span(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 1:
        return f"{delta.total_seconds():.0f} s"
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.0f} h"


def digest_for(d: PendingDigest, pacing: Pacing) -> Digest:
    """The message a held group goes out as: the same digest renderer as ``/brief``."""
    n = len(d.alerts)
    if d.hold == "quiet":
        title = f"{n} alerts while this channel was quiet"
        note = "Collected during the channel's quiet hours, oldest first."
    else:
        title = f"{n} more alerts in a busy spell"
        note = (
            f"More than {pacing.bursts.max_alerts} alerts within "
            f"{_span(pacing.bursts.window)}: the rest come collected, oldest first."
        )
    return Digest(title=title, alerts=d.alerts, notes=(note,))


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        policy: RetryPolicy | None = None,
        batch: int = 20,
        on_failed: FailureHook | None = None,
        pacing: Callable[[], Pacing] | None = None,
        metrics: Metrics | None = None,
        stale_after: timedelta = STALE_CLAIM,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self.store = store
        self.outage = outage or DatabaseOutage()
        """A database outage pauses a drain (and the hand-back of what it claimed) until
        the database is back, instead of ending it with the rows still claimed."""
        self.adapters = dict(adapters)
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.on_failed = on_failed
        self.pacing = pacing or Pacing
        """Read at every drain, so an edit of the bursts or quiet hours applies at once."""
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: dict[str, asyncio.Task[int]] = {}
        self._again: set[str] = set()
        self.metrics = metrics
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
        self._refused: set[Target] = set()
        """Channels that refused the bot for good and the admin channel was told about."""

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
        n = await asyncio.to_thread(self.store.release_in_flight, platforms)
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
                self.store.claim_digests, [platform], now, limits, owner=self.owner
            )
            left = list(digests)
            busy: tuple[int, ...] = ()
            try:
                for digest in digests:
                    if self.stopping:
                        break
                    busy = digest.delivery_ids
                    sent += await self._deliver_digest(digest, pacing)
                    left.remove(digest)
                    busy = ()
            finally:
                if left:  # stopped: the same groups go back in the queue
                    ids = [i for g in left for i in g.delivery_ids]
                    await self._give_back(ids, busy)
            due = await asyncio.to_thread(
                self.store.claim_due, [platform], now, self.batch, owner=self.owner
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
                    sent += await self._deliver(delivery)
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
        n = await asyncio.to_thread(self.store.release_stale, [platform], self.owner, before)
        self._swept[platform] = now  # only once it worked: a failed sweep is tried again
        if n:
            log.warning(
                "%s: %d deliveries were claimed over %s ago and never handed back; checking "
                "each channel before posting them again",
                platform, n, _span(self.stale_after),
            )

    async def _give_back(self, ids: Sequence[int], interrupted: Sequence[int]) -> None:
        """Requeue claimed deliveries after the worker was stopped (cancelled).

        ``interrupted`` were being posted when it stopped: they may have arrived, so they
        go back in doubt; the rest were never tried.
        """
        def give_back() -> None:
            self.store.release([i for i in ids if i not in interrupted])
            self.store.release(interrupted, in_doubt=True)

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
            activity = await asyncio.to_thread(self.store.channel_activity, target, since)
            p = plan(len(group), target, activity, pacing, now)
            wait = group[p.post_now :]
            if wait and p.hold is not None and p.until is not None:
                ids = [d.id for d in wait]
                await asyncio.to_thread(self.store.hold, ids, p.hold, p.until)
                held.update(ids)
                log.info(
                    "%s:%s: %d alerts held for a digest at %s (%s)",
                    target.platform, target.channel, len(ids),
                    p.until.strftime("%H:%M:%S UTC"), p.hold,
                )
        return [d for d in due if d.id not in held]

    async def _already_posted(
        self,
        adapter: ChatAdapter,
        target: Target,
        key: str,
        since: datetime | None,
        alerts: Sequence[Alert],
    ) -> str | None:
        """Ask the platform whether an in-doubt post arrived; its message id if it did."""
        since = since or utcnow() - timedelta(hours=1)
        found = await adapter.find_posted(target, key, since, alerts)
        if found is not None:
            log.info(
                "%s:%s already has %s (posted before the bot stopped); not posting it again",
                target.platform, target.channel, key,
            )
        return found

    async def _deliver(self, d: PendingDelivery) -> int:
        adapter = self.adapters[d.target.platform]
        where = f"{d.target.platform}:{d.target.channel}"
        checked = False
        try:
            if d.kind == "update":
                if not d.message_id:
                    # The platform gave the post no id (a webhook): nothing can be edited,
                    # and posting the story again is what one alert per story avoids.
                    log.info("alert %s gained a source; %s has no message to edit", d.alert.id, where)
                    await asyncio.to_thread(self.store.mark_sent, d.id, None)
                    return 0
                external_id = await adapter.update_alert(d.target, d.message_id, d.alert)
            else:
                if d.in_doubt:
                    found = await self._already_posted(
                        adapter, d.target, d.alert.id, d.claimed_at, [d.alert]
                    )
                    checked = True
                    if found is not None:
                        await asyncio.to_thread(self.store.mark_sent, d.id, found)
                        self._count(d.target, "delivered")
                        return 1
                external_id = await adapter.send_alert(d.target, d.alert)
        except Exception as exc:
            maybe = _maybe_posted(exc) or (d.in_doubt and not checked)
            await self._failed_attempt(
                exc, d.attempts, where, f"alert {d.alert.id}", d.target, [d.alert],
                lambda error: self.store.mark_failed(d.id, error),
                lambda error, delay, count: self.store.mark_retry(
                    d.id, error, delay, count_attempt=count, maybe_posted=maybe
                ),
            )
            return 0
        await asyncio.to_thread(self.store.mark_sent, d.id, external_id)
        self._count(d.target, "delivered")
        return 1

    async def _deliver_digest(self, d: PendingDigest, pacing: Pacing) -> int:
        """Post a held group as one digest (a group of one as a plain alert)."""
        adapter = self.adapters[d.target.platform]
        where = f"{d.target.platform}:{d.target.channel}"
        single = len(d.alerts) == 1
        key = d.alerts[0].id if single else d.batch
        checked = False
        try:
            if d.in_doubt:
                found = await self._already_posted(adapter, d.target, key, d.claimed_at, d.alerts)
                checked = True
                if found is not None:
                    await asyncio.to_thread(self.store.mark_batch_sent, d.batch, found)
                    self._count(d.target, "delivered", len(d.alerts))
                    return len(d.alerts)
            if single:
                external_id = await adapter.send_alert(d.target, d.alerts[0])
            else:
                external_id = await adapter.send_digest(d.target, digest_for(d, pacing), key=key)
        except Exception as exc:
            maybe = _maybe_posted(exc) or (d.in_doubt and not checked)
            await self._failed_attempt(
                exc, d.attempts, where, f"digest of {len(d.alerts)} alerts", d.target,
                list(d.alerts),
                lambda error: self.store.mark_batch_failed(d.batch, error),
                lambda error, delay, count: self.store.mark_batch_retry(
                    d.batch, error, delay, count_attempt=count, maybe_posted=maybe
                ),
            )
            return 0
        await asyncio.to_thread(self.store.mark_batch_sent, d.batch, external_id)
        self._count(d.target, "delivered", len(d.alerts))
        if not single:
            log.info("%s: posted a digest of %d alerts (%s)", where, len(d.alerts), d.hold)
        return len(d.alerts)

    async def _failed_attempt(
        self,
        exc: Exception,
        attempts: int,
        where: str,
        what: str,
        target: Target,
        alerts: list[Alert],
        mark_failed: Callable[[str], None],
        mark_retry: Callable[[str, timedelta, bool], None],
    ) -> None:
        """Retry later, or give up (and say so) when retrying cannot help any more."""
        gone = False
        if isinstance(exc, DeliveryError):
            # A rate limit is the platform pacing us, not a failure: it uses up no attempt.
            throttled = exc.retry_after is not None and not exc.permanent
            error, permanent, retry_after = str(exc), exc.permanent, exc.retry_after
            gone = exc.channel_gone
        else:  # an adapter bug must not kill the worker or lose the alert
            log.error("unexpected error delivering %s to %s", what, where, exc_info=exc)
            throttled, error, permanent, retry_after = False, repr(exc), False, None
        if permanent or (not throttled and attempts >= self.policy.max_attempts):
            log.error("delivery of %s to %s failed: %s", what, where, error)
            await asyncio.to_thread(mark_failed, error)
            self._count(target, "failed", len(alerts))
            if gone:
                told = await self._channel_gone(target, error)
                if told is None:
                    return  # the admin channel heard of this channel already
                error = told
            if len(alerts) > 1:
                error = f"{error} (a digest of {len(alerts)} alerts, this one first)"
            await self._failed(target, alerts[0], error)
            return
        delay = self.policy.delay(attempts, retry_after)
        log.warning(
            "delivery to %s deferred %.0fs (attempt %d): %s",
            where, delay.total_seconds(), attempts, error,
        )
        await asyncio.to_thread(mark_retry, error, delay, not throttled)
        self._count(target, "retried", len(alerts))

    async def _channel_gone(self, target: Target, error: str) -> str | None:
        """The channel refuses the bot for good: pause its subscriptions (failing what is
        queued there) and say so, with how to resume; None when the admin channel was told
        about this channel already (the subscriptions are paused, or it is a route: told
        once until the config changes or the bot restarts, see :meth:`forget_refusals`)."""
        paused = await asyncio.to_thread(self.store.pause_target, target, error)
        if paused.items:
            self._refused.add(target)
            queued = f"; {paused.failed} alerts queued for it failed" if paused.failed else ""
            log.warning(
                "%s:%s: subscriptions %s paused (%s)",
                target.platform, target.channel, ", ".join(paused.items), error,
            )
            return (
                f"{error}. Its subscriptions ({', '.join(paused.items)}) are paused{queued}; "
                "once the bot can post there, /subscribe <item> there again resumes them."
            )
        if paused.already or target in self._refused:  # told when it was paused
            return None
        self._refused.add(target)
        return (
            f"{error}. Further failures for that channel are logged, not reported here, until "
            "the config changes or the bot restarts."
        )

    def forget_refusals(self) -> None:
        """The config changed (a route may be fixed): report a channel's next refusal again."""
        self._refused.clear()

    def _count(self, target: Target, outcome: Outcome, alerts: int = 1) -> None:
        """ops hook: delivery outcomes, counted per alert (a digest carries several)."""
        if self.metrics is not None:
            self.metrics.delivery(target.platform, outcome, alerts)

    async def _failed(self, target: Target, alert: Alert, error: str) -> None:
        if self.on_failed is None:
            return
        try:
            await self.on_failed(target, alert, error)
        except Exception:  # telling the admin is best effort; the failure is already recorded
            log.exception("failure hook for alert %s raised", alert.id)
