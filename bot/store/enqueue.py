"""Putting work into the outbox from inside another repository's transaction (a story's
new targets, the edits and thread replies a change calls for), and reading back the replies
a posted alert still owes. Claiming the rows is :mod:`bot.store.outbox`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.models import FollowUp, FollowUpKind, Match, Target
from bot.settings.sections import FollowupMode
from bot.store.columns import CHANNEL
from bot.store.db import utcnow
from bot.store.schema import DeliveryRow, FollowupRow, MuteRow

EDITS = ("update", "followup")
"""Kinds of a delivery row whose message is posted already: edit it (``update``, then
reply in its thread what follow-up rows are left), or only reply (``followup``)."""


@dataclass(frozen=True)
class PendingFollowup:
    """A reply still to tell in a posted alert's thread (its row id, to mark it told)."""

    id: int
    followup: FollowUp


@dataclass(frozen=True)
class StoryNews:
    """What moved a posted story on, for the threads that want to hear it (a
    :class:`~bot.models.FollowUp` without its key, which the outbox row gives)."""

    kind: FollowUpKind
    source_name: str = ""
    url: str | None = None
    text: str = ""
    language: str | None = None


FollowupModes = Callable[[Target], FollowupMode]
"""The follow-up mode of a channel (``bot.alerts.routing.followup_mode`` over the routes)."""


def queue_new_targets(
    s: Session, alert_id: str, added: Sequence[Match], targets_of: Mapping[str, Sequence[Target]]
) -> int:
    """Queue the alert for the targets of ``added`` items that it has no delivery for
    (whatever became of that delivery: those get the edit, or failed for their own
    reason). Returns how many rows were queued."""
    have = {
        (p, c)
        for p, c in s.execute(
            select(DeliveryRow.platform, DeliveryRow.channel).where(
                DeliveryRow.alert_id == alert_id
            )
        )
    }
    queued = 0
    for target in dict.fromkeys(t for m in added for t in targets_of.get(m.id, ())):
        key = (target.platform, CHANNEL.stored(target.channel))
        if key in have:
            continue
        have.add(key)
        s.add(DeliveryRow(alert_id=alert_id, platform=target.platform, channel=target.channel))
        queued += 1
    return queued


def _story_muted(alert_id: Any) -> Any:
    """The delivery's channel muted this story ("Mute this story here")."""
    return exists().where(
        MuteRow.kind == "story",
        MuteRow.key == alert_id,
        MuteRow.platform == DeliveryRow.platform,
        MuteRow.channel == DeliveryRow.channel,
    )


def followup_key(alert_id: str, followup_id: int) -> str:
    """How a reply names itself (Slack metadata, Discord nonce) to be found after a crash."""
    return f"{alert_id}:followup:{followup_id}"


def queue_updates(
    s: Session,
    alert_id: str,
    news: StoryNews | None = None,
    modes: FollowupModes | None = None,
) -> None:
    """The alert changed: bring each of its posted messages up to date (see
    :func:`requeue_posted`). ``modes``: each channel's follow-up mode; without it ``edit``,
    the behaviour before threads. Digests list the story; they are neither edited nor
    replied to."""
    rows = s.scalars(
        select(DeliveryRow).where(
            DeliveryRow.alert_id == alert_id,
            DeliveryRow.batch.is_(None),
            DeliveryRow.status.in_(("pending", "sending", "sent")),
        )
    ).all()
    for d in rows:
        mode = modes(Target(d.platform, d.channel)) if modes is not None else "edit"
        requeue_posted(s, d, news, mode)


def requeue_posted(
    s: Session, d: DeliveryRow, news: StoryNews | None = None, mode: FollowupMode = "edit"
) -> bool:
    """One channel's message of a changed alert, the one place that queues edits and
    replies (a late translation of one channel's post comes here too).

    ``mode`` says how: ``edit`` the message in place, reply ``news`` in its ``thread``, or
    ``both``; a change without news (a watch item added) is an edit whatever the mode,
    there being nothing to tell. A row not posted yet needs nothing (its post reads the
    alert when claimed); a sent row is queued again (``update`` or ``followup``); a row in
    flight is refreshed once its post is done. A channel that muted the story gets neither
    edit nor reply. False: nothing to do for this row.
    """
    if d.batch is not None or d.status not in ("pending", "sending", "sent"):
        return False
    if d.status == "pending" and d.kind not in EDITS:
        return False  # its post will show the alert as it reads then
    if s.scalar(select(_story_muted(d.alert_id)).where(DeliveryRow.id == d.id)):
        return False
    now = utcnow()
    tell = news is not None and mode != "edit"
    if news is not None and tell:
        s.add(FollowupRow(
            delivery_id=d.id, kind=news.kind, source_name=news.source_name or None,
            url=news.url, text=news.text or None, language=news.language, created_at=now,
        ))
    edit = not tell or mode == "both"
    d.followups = mode
    if d.status == "sending":
        d.refresh = True
    elif d.status == "sent":
        d.status, d.kind, d.attempts = "pending", "update" if edit else "followup", 0
        d.next_attempt_at, d.last_error = now, None
    elif edit:  # queued to reply only, and now to edit too
        d.kind = "update"
    return True


def untold_followups(s: Session, deliveries: Sequence[DeliveryRow]) -> dict[int, list[PendingFollowup]]:
    """The replies not yet posted for each of ``deliveries``, oldest first."""
    ids = [d.id for d in deliveries]
    alerts = {d.id: d.alert_id for d in deliveries}
    out: dict[int, list[PendingFollowup]] = {}
    if not ids:
        return out
    rows = s.scalars(
        select(FollowupRow)
        .where(FollowupRow.delivery_id.in_(ids), FollowupRow.sent_at.is_(None))
        .order_by(FollowupRow.id)
    )
    for f in rows:
        alert_id = alerts[f.delivery_id]
        out.setdefault(f.delivery_id, []).append(PendingFollowup(f.id, FollowUp(
            key=followup_key(alert_id, f.id), alert_id=alert_id,
            kind="translation" if f.kind == "translation" else "source",
            source_name=f.source_name or "", url=f.url, text=f.text or "", language=f.language,
        )))
    return out
