"""The delivery worker: the only reader of the outbox, the only caller of adapters' send.

A delivery is claimed (marked in flight), posted (or, for ``kind == "update"``, the posted
message edited because the story gained a source), then marked sent. A transient error is
retried with backoff (or after the platform's Retry-After); a permanent one, or the last
retry, marks it failed with the reason, so nothing is silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.chat.base import ChatAdapter, DeliveryError
from bot.models import Alert, Target
from bot.store import PendingDelivery, Store, utcnow

if TYPE_CHECKING:
    from bot.metrics import Metrics, Outcome

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


FailureHook = Callable[[Target, Alert, str], Awaitable[None]]
"""Called once when a delivery is given up on (the app tells the admin channel)."""


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        policy: RetryPolicy | None = None,
        batch: int = 20,
        on_failed: FailureHook | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.adapters = dict(adapters)
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.on_failed = on_failed
        self._lock = asyncio.Lock()
        # -- ops hooks (bot/ops.py, bot/metrics.py) --
        self.metrics = metrics
        self.stopping = False
        """Set at shutdown: the delivery in flight finishes, no further one starts."""

    async def recover(self) -> None:
        """Requeue what a killed process left in flight (at-least-once for those few)."""
        n = await asyncio.to_thread(self.store.release_in_flight)
        if n:
            log.warning("requeued %d deliveries that were in flight when the bot stopped", n)

    async def drain(self) -> int:
        """Deliver everything that is due now; returns how many were sent.

        Drains run one at a time; a caller that finds one running waits for it and then
        drains what was queued meanwhile, so "queued, then drained" always holds.
        """
        async with self._lock:
            sent = 0
            # What is due as of now: a retry scheduled during this drain waits for the next.
            now = utcnow()
            while not self.stopping:
                due = await asyncio.to_thread(self.store.claim_due, self.adapters, now, self.batch)
                if not due:
                    return sent
                pending = {d.id for d in due}
                try:
                    for delivery in due:
                        if self.stopping:
                            break
                        sent += await self._deliver(delivery)
                        pending.discard(delivery.id)
                finally:
                    if pending:  # stopped mid-batch: the rest goes back in the queue now
                        await asyncio.shield(asyncio.to_thread(self.store.release, pending))
            return sent

    async def _deliver(self, d: PendingDelivery) -> int:
        adapter = self.adapters[d.target.platform]
        where = f"{d.target.platform}:{d.target.channel}"
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
                external_id = await adapter.send_alert(d.target, d.alert)
        except DeliveryError as exc:
            # A rate limit is the platform pacing us, not a failure: it uses up no attempt.
            throttled = exc.retry_after is not None and not exc.permanent
            if exc.permanent or (not throttled and d.attempts >= self.policy.max_attempts):
                log.error("delivery of alert %s to %s failed: %s", d.alert.id, where, exc)
                await asyncio.to_thread(self.store.mark_failed, d.id, str(exc))
                self._count(d, "failed")
                await self._failed(d, str(exc))
            else:
                delay = self.policy.delay(d.attempts, exc.retry_after)
                log.warning(
                    "delivery to %s deferred %.0fs (attempt %d): %s",
                    where,
                    delay.total_seconds(),
                    d.attempts,
                    exc,
                )
                await asyncio.to_thread(
                    self.store.mark_retry, d.id, str(exc), delay, count_attempt=not throttled
                )
                self._count(d, "retried")
            return 0
        except Exception as exc:  # an adapter bug must not kill the worker or lose the alert
            log.exception("unexpected error delivering alert %s to %s", d.alert.id, where)
            delay = self.policy.delay(d.attempts)
            if d.attempts >= self.policy.max_attempts:
                await asyncio.to_thread(self.store.mark_failed, d.id, repr(exc))
                self._count(d, "failed")
                await self._failed(d, repr(exc))
            else:
                await asyncio.to_thread(self.store.mark_retry, d.id, repr(exc), delay)
                self._count(d, "retried")
            return 0
        await asyncio.to_thread(self.store.mark_sent, d.id, external_id)
        self._count(d, "delivered")
        return 1

    def _count(self, d: PendingDelivery, outcome: Outcome) -> None:
        """ops hook: one metric per delivery outcome."""
        if self.metrics is not None:
            self.metrics.delivery(d.target.platform, outcome)

    async def _failed(self, d: PendingDelivery, error: str) -> None:
        if self.on_failed is None:
            return
        try:
            await self.on_failed(d.target, d.alert, error)
        except Exception:  # telling the admin is best effort; the failure is already recorded
            log.exception("failure hook for alert %s raised", d.alert.id)
