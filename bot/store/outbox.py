"""The outbox: one delivery row per (alert, target), claimed by the delivery worker, held
for a digest or handed back. What queues rows is :mod:`bot.store.enqueue`; what became of
a claimed row is :mod:`bot.store.outcomes`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.models import Alert, Target
from bot.store.db import Database, utcnow
from bot.store.enqueue import EDITS, PendingFollowup, untold_followups
from bot.store.schema import AlertRow, DeliveryRow, MuteRow, alert_from_json


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    target: Target
    alert: Alert
    attempts: int
    kind: str = "post"
    """``post``, ``update`` (edit ``message_id``, the id the platform gave the post, then
    tell ``followups``) or ``followup`` (only tell them, in the post's thread)."""
    message_id: str | None = None
    in_doubt: bool = False
    """An earlier attempt may have posted it: look before posting again."""
    claimed_at: datetime | None = None
    """Since when a post of it may exist (where to start looking)."""
    followups: tuple[PendingFollowup, ...] = ()
    """Replies still to post in the alert's thread, oldest first."""
    thread_id: str | None = None
    """The thread a reply went to before (Discord), or None."""


@dataclass(frozen=True)
class PendingDigest:
    """Held alerts for one channel, claimed together to go out as one digest message."""

    batch: str
    target: Target
    delivery_ids: tuple[int, ...]
    alerts: tuple[Alert, ...]
    attempts: int
    hold: str
    """Why they were held: ``burst`` or ``quiet``."""
    in_doubt: bool = False
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class ChannelActivity:
    """What a channel was sent lately, for the burst rule."""

    posts: tuple[datetime, ...]
    """When single alerts were posted (within the window asked about), oldest first."""
    digests: tuple[datetime, ...]
    """When digests were posted (within the window), oldest first."""
    held_until: datetime | None
    """When alerts already waiting for a digest go out, if any are waiting."""


def _due(platforms: list[str], now: datetime, *where: Any) -> Any:
    """Pending deliveries due by ``now`` for ``platforms``, with their alert, locked.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: rows another instance is claiming at
    this moment are left to it rather than waited for (SQLite has one writer anyway).
    """
    return (
        select(DeliveryRow, AlertRow.payload)
        .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
        .where(
            DeliveryRow.status == "pending",
            DeliveryRow.next_attempt_at <= now,
            DeliveryRow.platform.in_(platforms),
            *where,
        )
        .with_for_update(skip_locked=True, of=DeliveryRow)
    )


Claimed = tuple[DeliveryRow, dict[str, Any]]


def _digest_groups(rows: Sequence[Claimed], per_message: Mapping[str, int]) -> dict[str, list[Claimed]]:
    """Held rows by digest: a group claimed before keeps its batch id; new rows of one
    channel make groups of at most ``per_message[platform]``."""
    groups: dict[str, list[Claimed]] = {}
    fresh: dict[tuple[str, str], list[Claimed]] = {}
    for d, payload in rows:
        if d.batch:
            groups.setdefault(d.batch, []).append((d, payload))
        else:
            fresh.setdefault((d.platform, d.channel), []).append((d, payload))
    for (platform, _), members in fresh.items():
        size = max(1, per_message.get(platform, 20))
        for i in range(0, len(members), size):
            batch = uuid.uuid4().hex
            for d, _payload in members[i : i + size]:
                d.batch = batch
            groups[batch] = members[i : i + size]
    return groups


def _silenced(s: Session, rows: Sequence[Claimed], now: datetime) -> set[int]:
    """Rows a mute of their channel silences, settled here instead of being claimed.

    Checked at claim time rather than when the alert is routed: a mute then also holds
    back what was already queued (waiting for a digest, a retry, a quiet spell), and only
    the channel that muted is affected; every other channel's row is its own. A post that
    names an item muted there becomes ``muted`` (never sent: "/mute kursk" means nothing
    about Kursk here for a while); an edit or a thread reply of a story muted there is
    dropped, its row staying ``sent``.
    """
    channels = {(d.platform, d.channel) for d, _ in rows}
    if not channels:
        return set()
    mutes = s.execute(
        select(MuteRow.platform, MuteRow.channel, MuteRow.kind, MuteRow.key).where(
            or_(*(and_(MuteRow.platform == p, MuteRow.channel == c) for p, c in channels)),
            or_(MuteRow.until.is_(None), MuteRow.until > now),
        )
    ).all()
    if not mutes:
        return set()
    stories: dict[tuple[str, str], set[str]] = {}
    items: dict[tuple[str, str], set[str]] = {}
    for platform, channel, kind, key in mutes:
        (stories if kind == "story" else items).setdefault((platform, channel), set()).add(key)
    out: set[int] = set()
    for d, payload in rows:
        where = (d.platform, d.channel)
        if d.kind in EDITS:
            if d.alert_id in stories.get(where, ()):
                d.status, d.refresh = "sent", False
                out.add(d.id)
            continue
        matched = {str(m.get("id")) for m in payload.get("matches", ()) if isinstance(m, dict)}
        muted = items.get(where, set())
        if d.alert_id in stories.get(where, ()) or matched & muted:
            d.status, d.hold, d.in_doubt = "muted", None, False
            d.last_error = "muted in this channel: " + ", ".join(sorted(matched & muted) or ["story"])
            out.add(d.id)
    return out


def _claim(d: DeliveryRow, owner: str | None, first_claim: bool) -> None:
    d.status = "sending"
    d.attempts += 1
    d.claimed_by = owner
    d.sending_since = utcnow()
    if first_claim:
        d.claimed_at = utcnow()


class OutboxRepository:
    """Claiming the outbox's rows, holding them for a digest and giving them back. Methods
    are synchronous; async callers run them in an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def release_in_flight(self, platforms: Iterable[str] | None = None) -> int:
        """Put deliveries a killed process left 'sending' back in the queue, in doubt.

        Each may or may not have reached the platform before the process died; the worker
        asks the channel's history before posting it again. ``platforms``: only those (an
        instance taking over a platform from one that died releases that platform's rows).
        """
        with self.db.session.begin() as s:
            q = update(DeliveryRow).where(DeliveryRow.status == "sending")
            if platforms is not None:
                q = q.where(DeliveryRow.platform.in_(list(platforms)))
            result = s.execute(q.values(status="pending", in_doubt=True))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def release_stale(
        self, platforms: Iterable[str], owner: str | None, claimed_before: datetime
    ) -> int:
        """Requeue, in doubt, what ``owner`` claimed for ``platforms`` before
        ``claimed_before`` and still holds: a drain that died on an error (the database
        failed while it paced or handed rows back) left them "sending", and nothing else
        would requeue them before a restart. Returns how many."""
        platforms = list(platforms)
        if not platforms:
            return 0
        mine = DeliveryRow.claimed_by.is_(None) if owner is None else DeliveryRow.claimed_by == owner
        with self.db.session.begin() as s:
            result = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.status == "sending",
                    DeliveryRow.platform.in_(platforms),
                    mine,
                    DeliveryRow.sending_since < claimed_before,
                )
                .values(status="pending", in_doubt=True)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def claim_due(
        self,
        platforms: Iterable[str],
        now: datetime | None = None,
        limit: int = 20,
        *,
        owner: str | None = None,
    ) -> list[PendingDelivery]:
        """Take due single deliveries for the given platforms and mark them in flight.

        Rows held for a digest, or already part of one, are claimed by :meth:`claim_digests`.
        ``owner``: the claiming instance, recorded on the rows.
        """
        now = now or utcnow()
        platforms = list(platforms)
        if not platforms:
            return []
        with self.db.session.begin() as s:
            query = _due(platforms, now, DeliveryRow.hold.is_(None), DeliveryRow.batch.is_(None))
            rows = s.execute(
                query.order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit)
            ).all()
            muted = _silenced(s, rows, now)
            out = []
            told = untold_followups(s, [d for d, _ in rows if d.kind in EDITS])
            for d, payload in rows:
                if d.id in muted:
                    continue
                _claim(d, owner, not d.in_doubt or d.claimed_at is None)
                out.append(
                    PendingDelivery(
                        id=d.id,
                        target=Target(d.platform, d.channel),
                        alert=alert_from_json(payload),
                        attempts=d.attempts,
                        kind=d.kind or "post",
                        message_id=d.external_id,
                        in_doubt=bool(d.in_doubt),
                        claimed_at=d.claimed_at,
                        followups=tuple(told.get(d.id, ())),
                        thread_id=d.thread_id,
                    )
                )
            return out

    def claim_digests(
        self,
        platforms: Iterable[str],
        now: datetime | None = None,
        per_message: Mapping[str, int] | None = None,
        *,
        owner: str | None = None,
    ) -> list[PendingDigest]:
        """Take held deliveries that are due, grouped per channel into digests.

        A group claimed before (it has a batch id: its post failed, or the process died)
        is claimed again exactly as it was, so a retry posts or finds the same message.
        New groups take at most ``per_message[platform]`` alerts each (what one message of
        that platform can show in full); the rest make the next digest.
        """
        now = now or utcnow()
        platforms = list(platforms)
        if not platforms:
            return []
        with self.db.session.begin() as s:
            query = _due(
                platforms, now,
                or_(DeliveryRow.hold.is_not(None), DeliveryRow.batch.is_not(None)),
            )
            rows = s.execute(
                query.order_by(DeliveryRow.platform, DeliveryRow.channel, DeliveryRow.id)
            ).all()
            muted = _silenced(s, rows, now)
            kept: list[Claimed] = [(d, p) for d, p in rows if d.id not in muted]
            out = []
            for batch, members in _digest_groups(kept, per_message or {}).items():
                in_doubt = any(d.in_doubt for d, _ in members)
                claimed = [d.claimed_at for d, _ in members if d.in_doubt and d.claimed_at]
                for d, _ in members:
                    _claim(d, owner, not in_doubt)
                first = members[0][0]
                out.append(
                    PendingDigest(
                        batch=batch,
                        target=Target(first.platform, first.channel),
                        delivery_ids=tuple(d.id for d, _ in members),
                        alerts=tuple(alert_from_json(p) for _, p in members),
                        attempts=max(d.attempts for d, _ in members),
                        hold=first.hold or "burst",
                        in_doubt=in_doubt,
                        claimed_at=min(claimed) if claimed else first.claimed_at,
                    )
                )
            return out

    def hold(self, delivery_ids: Iterable[int], reason: str, until: datetime) -> None:
        """Turn claimed deliveries into ones that wait for a digest at ``until``.

        Not an attempt: nothing was sent.
        """
        ids = list(delivery_ids)
        if not ids:
            return
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.status == "sending")
                .values(
                    status="pending",
                    hold=reason,
                    next_attempt_at=until,
                    attempts=DeliveryRow.attempts - 1,
                    claimed_at=None,
                )
            )

    def channel_activity(self, target: Target, since: datetime) -> ChannelActivity:
        """Single posts and digests sent to ``target`` since ``since``, and what waits."""
        where = (DeliveryRow.platform == target.platform, DeliveryRow.channel == target.channel)
        with self.db.session() as s:
            sent = s.execute(
                select(DeliveryRow.sent_at, DeliveryRow.batch)
                .where(*where, DeliveryRow.status == "sent", DeliveryRow.sent_at >= since,
                       or_(DeliveryRow.kind.is_(None), DeliveryRow.kind.not_in(EDITS)))
                .order_by(DeliveryRow.sent_at)
            ).all()
            held_until = s.scalar(
                select(DeliveryRow.next_attempt_at)
                .where(*where, DeliveryRow.status.in_(("pending", "sending")),
                       DeliveryRow.hold.is_not(None))
                .order_by(DeliveryRow.next_attempt_at)
                .limit(1)
            )
        posts = tuple(at for at, batch in sent if batch is None and at is not None)
        digests: dict[str, datetime] = {}
        for at, batch in sent:
            if batch is not None and at is not None:
                digests.setdefault(batch, at)
        return ChannelActivity(posts, tuple(sorted(digests.values())), held_until)

    def release(self, delivery_ids: Iterable[int], *, in_doubt: bool = False) -> None:
        """Give back claimed deliveries (the worker was stopped).

        Not attempted: as if never claimed. ``in_doubt``: the attempt was under way and
        may have reached the platform, so the next one looks first.
        """
        ids = list(delivery_ids)
        if not ids:
            return
        values: dict[str, Any] = {"status": "pending"}
        if in_doubt:
            values["in_doubt"] = True
        else:
            values["attempts"] = DeliveryRow.attempts - 1
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.status == "sending")
                .values(**values)
            )

    def delivery_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            counts: dict[str, int] = {}
            for (status,) in s.execute(select(DeliveryRow.status)):
                counts[status] = counts.get(status, 0) + 1
            return counts

    def outbox_pending(self) -> int:
        """Deliveries not yet done: queued or in flight (``/healthz``, ``/metrics``)."""
        with self.db.session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(DeliveryRow)
                    .where(DeliveryRow.status.in_(("pending", "sending")))
                )
                or 0
            )
