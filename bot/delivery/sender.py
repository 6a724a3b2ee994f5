"""Sending one claimed delivery, or one digest, and recording what became of it.

A delivery is posted (or, for ``kind == "update"``, the posted message edited because the
story gained a source; for ``update`` and ``followup``, what is new told as replies in the
message's thread, each marked as it is posted), then marked sent. A transient error is retried with backoff (or
after the platform's Retry-After); a permanent one, or the last retry, marks it failed
with the reason, so nothing is silently dropped.

Nothing doubled: a delivery that may have reached the platform without being marked sent
(the process was killed mid-post, a request timed out) is "in doubt", and before posting it
again the sender asks the adapter to look for it in the channel (Slack: the alert id in the
message metadata; Discord: the nonce makes a repeated post return the first one). A reply
in doubt is looked for in the thread likewise (Slack ``conversations.replies``, the Discord
thread's history).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery.pacing import Pacing
from bot.delivery.translating import AlertTranslating
from bot.models import Alert, Digest, Feedback, Target
from bot.store.db import utcnow
from bot.store.enqueue import EDITS
from bot.store.outbox import PendingDelivery, PendingDigest
from bot.store.outcomes import OutcomeRepository

log = logging.getLogger(__name__)

Outcome = Literal["delivered", "failed", "retried"]


class DeliveryCounter(Protocol):
    """Where deliveries are counted (the bot's Prometheus metrics)."""

    def delivery(self, platform: str, outcome: Outcome, alerts: int = 1) -> None: ...


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


class Tallies(Protocol):
    """Where a channel's ratings of an alert are counted (the feedback table)."""

    def tally(self, alert_id: str, target: Target) -> Feedback: ...


FailureHook = Callable[[Target, Alert, str], Awaitable[None]]
"""Called once when a delivery is given up on (the app tells the admin channel)."""


def maybe_posted(exc: BaseException) -> bool:
    """Could the failed request have posted the message anyway?

    A refusal (permanent) or a rate limit answered before anything was done did not; a
    server error, a timeout or a bug somewhere after the request left might have.
    """
    if isinstance(exc, DeliveryError):
        return not exc.permanent and exc.retry_after is None
    return True


def span(delta: timedelta) -> str:
    """A duration as people say it: 40 s, 15 min, 3 h."""
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
            f"{span(pacing.bursts.window)}: the rest come collected, oldest first."
        )
    return Digest(title=title, alerts=d.alerts, notes=(note,))


class Sender:
    """Posts what the worker claimed through the platform's adapter, and marks the outcome."""

    def __init__(
        self,
        outcomes: OutcomeRepository,
        adapters: Mapping[str, ChatAdapter],
        policy: RetryPolicy,
        on_failed: FailureHook | None = None,
        metrics: DeliveryCounter | None = None,
    ) -> None:
        self.outcomes = outcomes
        self.adapters = adapters
        """The worker's adapters (the same mapping: an adapter it adds is used here)."""
        self.policy = policy
        self.on_failed = on_failed
        self.metrics = metrics
        self._refused: set[Target] = set()
        """Channels that refused the bot for good and the admin channel was told about."""
        self.tallies: Tallies | None = None
        """The channel's ratings, shown again whenever a rated message is edited."""
        self.translating: AlertTranslating | None = None
        """Set when alerts are translated: each goes out in its channel's language."""

    async def with_feedback(self, alert: Alert, target: Target) -> Alert:
        """The alert with ``target``'s ratings, so an edit keeps the counts it showed."""
        if self.tallies is None:
            return alert
        tally = await asyncio.to_thread(self.tallies.tally, alert.id, target)
        return replace(alert, feedback=tally) if tally.any else alert

    async def _translated(self, target: Target, alert: Alert) -> Alert:
        if self.translating is None:
            return alert
        return await self.translating.for_target(target, alert)

    async def _mark_translation(self, ids: Sequence[int], alert: Alert, message_id: str | None) -> None:
        if self.translating is not None:
            await self.translating.sent(ids, alert, message_id)

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

    async def deliver(self, d: PendingDelivery) -> int:
        """Post (or edit, or reply to) one alert; how many alerts were delivered (0 or 1)."""
        adapter = self.adapters[d.target.platform]
        where = f"{d.target.platform}:{d.target.channel}"
        checked = False
        alert = d.alert
        try:
            if d.kind in EDITS:
                if not d.message_id:
                    # The platform gave the post no id (a webhook): nothing can be edited
                    # or replied to, and posting the story again is what one alert per
                    # story avoids.
                    log.info("alert %s moved on; %s has no message to edit or reply to", d.alert.id, where)
                    for f in d.followups:
                        await asyncio.to_thread(self.outcomes.mark_followup_sent, f.id, None)
                    await asyncio.to_thread(self.outcomes.mark_sent, d.id, None)
                    return 0
                external_id: str | None = d.message_id
                if d.kind == "update":
                    alert = await self._translated(d.target, await self.with_feedback(d.alert, d.target))
                    external_id = await adapter.update_alert(d.target, d.message_id, alert)
                    if external_id and external_id != d.message_id:  # posted anew
                        await asyncio.to_thread(self.outcomes.record_message, d.id, external_id)
                if d.followups:
                    checked = await self._tell(adapter, d, external_id or d.message_id)
            else:
                if d.in_doubt:
                    found = await self._already_posted(
                        adapter, d.target, d.alert.id, d.claimed_at, [d.alert]
                    )
                    checked = True
                    if found is not None:
                        await asyncio.to_thread(self.outcomes.mark_sent, d.id, found)
                        self.count(d.target, "delivered")
                        return 1
                alert = await self._translated(d.target, d.alert)
                external_id = await adapter.send_alert(d.target, alert)
        except Exception as exc:
            maybe = maybe_posted(exc) or (d.in_doubt and not checked)
            await self._failed_attempt(
                exc, d.attempts, where, f"alert {d.alert.id}", d.target, [d.alert],
                lambda error: self.outcomes.mark_failed(d.id, error),
                lambda error, delay, count: self.outcomes.mark_retry(
                    d.id, error, delay, count_attempt=count, maybe_posted=maybe
                ),
            )
            return 0
        await asyncio.to_thread(self.outcomes.mark_sent, d.id, external_id)
        await self._mark_translation([d.id], alert, external_id or d.message_id)
        self.count(d.target, "delivered")
        return 1

    async def _tell(self, adapter: ChatAdapter, d: PendingDelivery, message_id: str) -> bool:
        """Reply each follow-up left in the alert's thread, marking each as it is posted.

        Only the first can have been in flight when an earlier attempt stopped (each is
        marked once posted): in doubt, the thread is read for it before posting it again.
        Returns True once that check is done (the rest cannot be out there).
        """
        thread = d.thread_id
        first, *rest = d.followups
        posted = None
        if d.in_doubt:
            since = d.claimed_at or utcnow() - timedelta(hours=1)
            posted = await adapter.find_followup(d.target, message_id, thread, first.followup, since)
            if posted is not None:
                log.info(
                    "%s:%s already has the reply %s (posted before the bot stopped); not "
                    "posting it again", d.target.platform, d.target.channel, first.followup.key,
                )
        for i, f in enumerate((first, *rest)):
            if i or posted is None:
                posted = await adapter.send_followup(
                    d.target, message_id, thread, f.followup, d.alert
                )
            if posted is None:
                log.info("%s has no threads; follow-up %s not posted", d.target.platform, f.followup.key)
            elif posted.thread_id:
                thread = posted.thread_id
            await asyncio.to_thread(
                self.outcomes.mark_followup_sent, f.id,
                posted.message_id if posted else None, posted.thread_id if posted else None,
            )
        return True

    async def deliver_digest(self, d: PendingDigest, pacing: Pacing) -> int:
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
                    await asyncio.to_thread(self.outcomes.mark_batch_sent, d.batch, found)
                    self.count(d.target, "delivered", len(d.alerts))
                    return len(d.alerts)
            alerts = d.alerts
            if single:
                alerts = (await self._translated(d.target, d.alerts[0]),)
                external_id = await adapter.send_alert(d.target, alerts[0])
            else:
                if self.translating is not None:
                    alerts = await self.translating.for_digest(d.target, d.alerts)
                digest = digest_for(replace(d, alerts=alerts), pacing)
                external_id = await adapter.send_digest(d.target, digest, key=key)
        except Exception as exc:
            maybe = maybe_posted(exc) or (d.in_doubt and not checked)
            await self._failed_attempt(
                exc, d.attempts, where, f"digest of {len(d.alerts)} alerts", d.target,
                list(d.alerts),
                lambda error: self.outcomes.mark_batch_failed(d.batch, error),
                lambda error, delay, count: self.outcomes.mark_batch_retry(
                    d.batch, error, delay, count_attempt=count, maybe_posted=maybe
                ),
            )
            return 0
        await asyncio.to_thread(self.outcomes.mark_batch_sent, d.batch, external_id)
        if single:
            await self._mark_translation(d.delivery_ids, alerts[0], external_id)
        self.count(d.target, "delivered", len(d.alerts))
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
            self.count(target, "failed", len(alerts))
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
        self.count(target, "retried", len(alerts))

    async def _channel_gone(self, target: Target, error: str) -> str | None:
        """The channel refuses the bot for good: pause its subscriptions (failing what is
        queued there) and say so, with how to resume; None when the admin channel was told
        about this channel already (the subscriptions are paused, or it is a route: told
        once until the config changes or the bot restarts, see :meth:`forget_refusals`)."""
        paused = await asyncio.to_thread(self.outcomes.pause_target, target, error)
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

    def count(self, target: Target, outcome: Outcome, alerts: int = 1) -> None:
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
