"""Machine translations of alert texts, and the posts waiting for theirs.

One row per (text hash, source, target): whichever channel asked first paid the request,
every other channel, and the bot after a restart, reads it here. A post that went out in
the original because its translation was late is flagged on its delivery row; once the
translation is stored, :meth:`TranslationRepository.queue_edit` turns it into an edit
through the outbox's ordinary edit path (``kind == "update"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.models import Alert, Target
from bot.store.db import Database
from bot.store.enqueue import EDITS, requeue_posted
from bot.store.schema import AlertRow, DeliveryRow, TranslationRow, alert_from_json


@dataclass(frozen=True)
class PendingEdit:
    """A posted alert whose translation was late: edit it once the translation is in."""

    delivery_id: int
    target: Target
    alert: Alert


class TranslationRepository:
    """The ``translations`` table and the deliveries' ``translation_pending`` flag. Methods
    are synchronous; async callers run them in an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def cached(self, keys: Sequence[str], source: str, target: str) -> dict[str, str]:
        """Stored translations of the texts ``keys`` (text hashes): hash -> text."""
        if not keys:
            return {}
        with self.db.session() as s:
            rows = s.execute(
                select(TranslationRow.text_hash, TranslationRow.text).where(
                    TranslationRow.text_hash.in_(list(dict.fromkeys(keys))),
                    TranslationRow.source == source,
                    TranslationRow.target == target,
                )
            )
            return {h: t for h, t in rows}

    def remember(
        self, source: str, target: str, backend: str, translated: Mapping[str, str]
    ) -> None:
        """Store translations (hash -> text); one another instance stored first is kept."""
        have = self.cached(list(translated), source, target)
        for text_hash, text in translated.items():
            if text_hash in have:
                continue
            try:
                with self.db.session.begin() as s:
                    s.add(TranslationRow(
                        text_hash=text_hash, source=source, target=target, text=text,
                        backend=backend,
                    ))
            except IntegrityError:  # stored meanwhile by another instance: theirs stands
                continue

    def mark_pending(self, delivery_ids: Iterable[int]) -> None:
        """These posts went out untranslated: edit them when the translation arrives."""
        ids = list(delivery_ids)
        if not ids:
            return
        with self.db.session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.external_id.is_not(None))
                .values(translation_pending=True)
            )

    def pending_edits(self, limit: int = 50) -> list[PendingEdit]:
        """Posts waiting for their translation, oldest first."""
        with self.db.session() as s:
            rows = s.execute(
                select(DeliveryRow.id, DeliveryRow.platform, DeliveryRow.channel, AlertRow.payload)
                .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                .where(DeliveryRow.translation_pending.is_(True))
                .order_by(DeliveryRow.id)
                .limit(limit)
            ).all()
        return [PendingEdit(i, Target(p, c), alert_from_json(payload)) for i, p, c, payload in rows]

    def queue_edit(self, delivery_id: int) -> bool:
        """The translation is in: edit the post (a sent row becomes an ``update``; one in
        flight is edited once it is sent). False if there is nothing to edit."""
        with self.db.session.begin() as s:
            row = s.get(DeliveryRow, delivery_id)
            if row is None or not row.translation_pending:
                return False
            row.translation_pending = False
            if row.status == "pending" and row.kind not in EDITS:
                return True  # not posted yet: its post reads the stored translation
            if row.status == "sent" and not row.external_id:
                return False  # posted where nothing can be edited (a webhook)
            # The one place that queues edits: a channel that muted the story is left alone.
            return requeue_posted(s, row)
