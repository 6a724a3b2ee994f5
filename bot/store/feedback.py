"""What readers said about alerts (the buttons under each one), what channels muted, and
when a periodic job last ran.

One answer per (alert, channel, user): a second click replaces the first (the unique
constraint ``uq_feedback`` makes a race of two clicks end in one row, not two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from bot.models import Alert, Feedback, Target
from bot.store.columns import CHANNEL
from bot.store.db import Database, utcnow
from bot.store.schema import (
    AlertRow,
    DeliveryRow,
    FeedbackRow,
    JobRunRow,
    MuteRow,
    alert_from_json,
)

VERDICTS = ("useful", "not_relevant")
REASONS = ("entity", "topic", "duplicate", "other")


@dataclass(frozen=True)
class Posted:
    """An alert as posted in one channel: what a click on its buttons refers to."""

    alert: Alert
    target: Target
    message_id: str | None


@dataclass(frozen=True)
class Rating:
    """One stored answer, for the export and the weekly note."""

    alert: Alert
    platform: str
    channel: str
    user: str
    verdict: str
    reason: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Mute:
    target: Target
    kind: str
    key: str
    until: datetime | None


class FeedbackRepository:
    """The ``feedback``, ``mutes`` and ``job_runs`` tables. Methods are synchronous; async
    callers run them in an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the alert a click is about ------------------------------------------------------

    def posted(self, alert_id: str, target: Target) -> Posted | None:
        """The alert and its message in ``target``, or None when the alert was never
        delivered there (a forged or stale click, a deleted alert)."""
        with self.db.session() as s:
            row = s.execute(
                select(AlertRow.payload, DeliveryRow.external_id)
                .join(DeliveryRow, DeliveryRow.alert_id == AlertRow.id)
                .where(
                    AlertRow.id == alert_id,
                    DeliveryRow.platform == target.platform,
                    DeliveryRow.channel == target.channel,
                )
            ).first()
        if row is None:
            return None
        return Posted(alert_from_json(row[0]), target, row[1])

    # -- answers -------------------------------------------------------------------------

    def rate(
        self, alert_id: str, target: Target, user: str, verdict: str, reason: str | None = None
    ) -> bool:
        """Record ``user``'s answer (replacing theirs); True if it changed anything."""
        if verdict not in VERDICTS or (reason is not None and reason not in REASONS):
            raise ValueError(f"not a verdict: {verdict!r}/{reason!r}")
        for _ in range(2):  # a concurrent first click of the same user wins the insert
            try:
                with self.db.session.begin() as s:
                    row = s.scalar(
                        select(FeedbackRow).where(
                            FeedbackRow.alert_id == alert_id,
                            FeedbackRow.platform == target.platform,
                            FeedbackRow.channel == target.channel,
                            FeedbackRow.user_id == user,
                        )
                    )
                    if row is None:
                        s.add(
                            FeedbackRow(
                                alert_id=alert_id, platform=target.platform,
                                channel=target.channel, user_id=user, verdict=verdict,
                                reason=reason,
                            )
                        )
                        return True
                    if (row.verdict, row.reason) == (verdict, reason):
                        return False
                    row.verdict, row.reason, row.updated_at = verdict, reason, utcnow()
                    return True
            except IntegrityError:
                continue
        return False

    def tally(self, alert_id: str, target: Target) -> Feedback:
        """The channel's counts for one alert."""
        with self.db.session() as s:
            rows = s.execute(
                select(FeedbackRow.verdict, func.count())
                .where(
                    FeedbackRow.alert_id == alert_id,
                    FeedbackRow.platform == target.platform,
                    FeedbackRow.channel == target.channel,
                )
                .group_by(FeedbackRow.verdict)
            ).all()
        counts = {verdict: int(n) for verdict, n in rows}
        return Feedback(useful=counts.get("useful", 0), not_relevant=counts.get("not_relevant", 0))

    def ratings_of(self, alert_id: str, target: Target, user: str) -> list[Rating]:
        """``user``'s answer about one alert in one channel (none or one)."""
        return [
            r for r in self.ratings(alert_id=alert_id)
            if (r.platform, r.channel, r.user) == (target.platform, CHANNEL.stored(target.channel),
                                                   user)
        ]

    def ratings(
        self, since: datetime | None = None, alert_id: str | None = None
    ) -> list[Rating]:
        """Every answer (since ``since``) with the alert it is about, oldest first; answers
        about alerts that no longer exist are left out."""
        q = (
            select(FeedbackRow, AlertRow.payload)
            .join(AlertRow, AlertRow.id == FeedbackRow.alert_id)
            .order_by(FeedbackRow.updated_at, FeedbackRow.id)
        )
        if since is not None:
            q = q.where(FeedbackRow.updated_at >= since)
        if alert_id is not None:
            q = q.where(FeedbackRow.alert_id == alert_id)
        with self.db.session() as s:
            return [
                Rating(alert_from_json(payload), f.platform, f.channel, f.user_id, f.verdict,
                       f.reason, f.updated_at)
                for f, payload in s.execute(q)
            ]

    # -- mutes ---------------------------------------------------------------------------

    def mute(
        self, target: Target, kind: str, key: str, until: datetime | None, user: str | None = None
    ) -> None:
        """Silence a story or an item in one channel (a second mute moves ``until``)."""
        for _ in range(2):
            try:
                with self.db.session.begin() as s:
                    row = s.scalar(select(MuteRow).where(*_mute_key(target, kind, key)))
                    if row is None:
                        s.add(MuteRow(platform=target.platform, channel=target.channel,
                                      kind=kind, key=key, until=until, created_by=user))
                    else:
                        row.until, row.created_by = until, user
                return
            except IntegrityError:
                continue

    def unmute(self, target: Target, kind: str, key: str) -> bool:
        with self.db.session.begin() as s:
            result = s.execute(delete(MuteRow).where(*_mute_key(target, kind, key)))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def mutes(self, target: Target, now: datetime | None = None) -> list[Mute]:
        """The channel's mutes in force."""
        now = now or utcnow()
        with self.db.session() as s:
            rows = s.scalars(
                select(MuteRow).where(
                    MuteRow.platform == target.platform,
                    MuteRow.channel == target.channel,
                    or_(MuteRow.until.is_(None), MuteRow.until > now),
                ).order_by(MuteRow.id)
            )
            return [Mute(target, r.kind, r.key, r.until) for r in rows]

    # -- periodic jobs -------------------------------------------------------------------

    def last_run(self, name: str) -> datetime | None:
        with self.db.session() as s:
            return s.scalar(select(JobRunRow.last_run_at).where(JobRunRow.name == name))

    def ran(self, name: str, at: datetime | None = None) -> None:
        at = at or utcnow()
        with self.db.session.begin() as s:
            row = s.get(JobRunRow, name)
            if row is None:
                s.add(JobRunRow(name=name, last_run_at=at))
            else:
                row.last_run_at = at


def _mute_key(target: Target, kind: str, key: str) -> tuple[ColumnElement[bool], ...]:
    return (
        MuteRow.platform == target.platform,
        MuteRow.channel == CHANNEL.stored(target.channel),
        MuteRow.kind == kind,
        MuteRow.key == key,
    )
