"""What became of a claimed delivery: sent, to be retried, failed, or its channel refused
the bot for good (its subscriptions are paused). The delivery worker's sending side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select, update

from bot.models import Target
from bot.store.db import Database, utcnow
from bot.store.schema import DeliveryRow, FollowupRow, SubscriptionRow


@dataclass(frozen=True)
class Paused:
    """What :meth:`OutcomeRepository.pause_target` did."""

    items: tuple[str, ...]
    """The channel's subscriptions (watch item ids) paused now."""
    failed: int = 0
    """Deliveries queued for the channel, failed with the reason."""
    already: bool = False
    """Its subscriptions were paused before (the admin channel was told then)."""


class OutcomeRepository:
    """Marks claimed outbox rows done, to retry or failed. Methods are synchronous; async
    callers run them in an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def mark_sent(self, delivery_id: int, external_id: str | None = None) -> None:
        """Posted (or edited, or replied to). An alert that gained a source meanwhile is
        queued again: an edit, or only a reply where the channel's follow-ups go to the
        thread and there is one to tell."""
        with self.db.session.begin() as s:
            row = s.get(DeliveryRow, delivery_id)
            if row is None:
                return
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
            row.in_doubt = False
            if external_id is not None or row.kind not in ("update", "followup"):
                row.external_id = external_id  # an edit that returns no id keeps the old one
            if row.refresh:
                untold = s.scalar(select(exists().where(
                    FollowupRow.delivery_id == delivery_id, FollowupRow.sent_at.is_(None)
                )))
                row.refresh = False
                kind = "followup" if row.followups == "thread" and untold else "update"
                row.status, row.kind, row.attempts = "pending", kind, 0
                row.next_attempt_at = utcnow()

    def mark_followup_sent(
        self, followup_id: int, message_id: str | None, thread_id: str | None = None
    ) -> None:
        """One reply is in the thread (``message_id``; None: the platform has no threads
        and nothing was posted). ``thread_id``: the thread it went to, kept on its
        delivery for the next reply. Its own transaction, so that a crash after it
        leaves only the replies not yet posted."""
        with self.db.session.begin() as s:
            row = s.get(FollowupRow, followup_id)
            if row is None:
                return
            row.sent_at, row.external_id = utcnow(), message_id
            if thread_id is not None:
                s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == row.delivery_id)
                    .values(thread_id=thread_id)
                )

    def record_message(self, delivery_id: int, external_id: str) -> None:
        """The alert's message was posted anew (the old one was deleted) before its
        replies were told: a retry edits and replies to the new one, not again."""
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(external_id=external_id, thread_id=None)
            )

    def mark_retry(
        self,
        delivery_id: int,
        error: str,
        delay: timedelta,
        *,
        count_attempt: bool = True,
        maybe_posted: bool = False,
    ) -> None:
        """Try again after ``delay``; a rate limit (``count_attempt=False``) is no failure.

        ``maybe_posted``: the failed attempt may have reached the platform (a timeout, a
        5xx), so the next one looks before it posts.
        """
        self._retry([delivery_id], error, delay, count_attempt, maybe_posted)

    def _retry(
        self, ids: list[int], error: str, delay: timedelta, count_attempt: bool, maybe_posted: bool
    ) -> None:
        values: dict[str, Any] = {
            "status": "pending",
            "last_error": error[:2000],
            "next_attempt_at": utcnow() + delay,
        }
        if not count_attempt:
            values["attempts"] = DeliveryRow.attempts - 1
        values["in_doubt"] = maybe_posted
        if not maybe_posted:  # nothing can be out there: the next claim starts afresh
            values["claimed_at"] = None
        with self.db.session.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(ids)).values(**values))

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(status="failed", last_error=error[:2000], in_doubt=False)
            )

    def mark_batch_sent(self, batch: str, external_id: str | None = None) -> None:
        """The digest is posted: every alert in it is delivered to that channel."""
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.batch == batch)
                .values(
                    status="sent", sent_at=utcnow(), last_error=None, in_doubt=False,
                    external_id=external_id, refresh=False,
                )
            )

    def mark_batch_retry(
        self,
        batch: str,
        error: str,
        delay: timedelta,
        *,
        count_attempt: bool = True,
        maybe_posted: bool = False,
    ) -> None:
        with self.db.session() as s:
            ids = list(s.scalars(select(DeliveryRow.id).where(DeliveryRow.batch == batch)))
        self._retry(ids, error, delay, count_attempt, maybe_posted)

    def mark_batch_failed(self, batch: str, error: str) -> None:
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.batch == batch)
                .values(status="failed", last_error=error[:2000], in_doubt=False)
            )

    def pause_target(self, target: Target, reason: str) -> Paused:
        """The channel refused the bot for good: pause its subscriptions, and fail what is
        queued for it there with the reason rather than trying each (a route's own rows
        still come; an admin fixes a route in the config). ``Paused.items``: the
        subscriptions paused now, empty if they were already (``already``) or there are
        none, so the admin channel is told once."""
        where = (SubscriptionRow.platform == target.platform,
                 SubscriptionRow.channel == target.channel)
        with self.db.session.begin() as s:
            rows = list(s.scalars(select(SubscriptionRow).where(*where).order_by(SubscriptionRow.id)))
            if not rows:
                return Paused(())
            now = utcnow()
            fresh = [r for r in rows if r.paused_at is None]
            if not fresh:
                return Paused((), already=True)
            for r in fresh:
                r.paused_at, r.paused_reason = now, reason[:2000]
            failed = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.platform == target.platform,
                    DeliveryRow.channel == target.channel,
                    DeliveryRow.status == "pending",
                )
                .values(
                    status="failed", in_doubt=False,
                    last_error=f"not sent, the channel's subscriptions are paused: {reason}"[:2000],
                )
            ).rowcount  # type: ignore[attr-defined]
            return Paused(tuple(r.item_id for r in fresh), int(failed or 0))
