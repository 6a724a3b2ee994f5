"""Alerts translated for the channel they go to, on the way out, never holding one up.

Before a post (or an edit) the sender asks :class:`AlertTranslating` for the alert in the
channel's language: from the store, else from the translator within the deadline. Late,
or the translator down: the alert goes out in the original with ``Translation(pending=True)``
and its delivery row is flagged; when translations arrive (or the translator is back),
:meth:`AlertTranslating.edit_pending` turns the flagged rows into edits through the
outbox's edit path, and kicks the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.models import Alert, Target
from bot.settings.model import Settings
from bot.store.subscriptions import SubscriptionRepository
from bot.store.translations import TranslationRepository
from bot.translate.service import TranslationService
from bot.translate.texts import channel_language, same_language

log = logging.getLogger(__name__)

EDIT_BATCH = 50
"""Pending posts looked at per pass."""


class AlertTranslating:
    """The delivery side of translation (see the module's docstring)."""

    def __init__(
        self,
        service: TranslationService,
        translations: TranslationRepository,
        subscriptions: SubscriptionRepository,
        settings: Callable[[], Settings],
        kick: Callable[[], None] = lambda: None,
    ) -> None:
        self.service = service
        self.translations = translations
        self.subscriptions = subscriptions
        self.settings = settings
        self.kick = kick
        """Starts the delivery worker's drains (an edit was queued)."""
        self._wake = asyncio.Event()
        service.arrived = self.wake

    def wake(self) -> None:
        """Translations arrived: look at the pending posts now."""
        self._wake.set()

    async def language_of(self, target: Target, alert: Alert) -> str | None:
        """The language ``target`` gets ``alert`` in, or None when nothing is translated
        (no ``translate:`` section, or the alert is in that language already)."""
        config = self.settings().translate
        if config is None or not alert.language:
            return None
        subscribed = await asyncio.to_thread(self.subscriptions.languages, target)
        lang = channel_language(
            target, alert.item_ids, self.settings().routes, config.to, subscribed
        )
        return None if same_language(alert.language, lang) else lang

    async def for_target(self, target: Target, alert: Alert, *, wait: float | None = -1) -> Alert:
        """``alert`` with its translation for ``target`` (pending when it is late); the
        alert unchanged when the channel reads its language, or when anything fails."""
        try:
            lang = await self.language_of(target, alert)
            if lang is None:
                return alert
            translation = await self.service.translate(alert, lang, wait=wait)
        except Exception:  # translation is an extra: the alert goes out regardless
            log.exception("translating alert %s for %s:%s failed", alert.id, target.platform, target.channel)
            return alert
        return replace(alert, translation=translation)

    async def for_digest(self, target: Target, alerts: Sequence[Alert]) -> tuple[Alert, ...]:
        """A digest's alerts, translated where that is ready in time; a digest is not
        edited later, so a late translation is left out rather than marked pending."""
        out = []
        for alert in alerts:
            done = await self.for_target(target, alert)
            if done.translation is not None and done.translation.pending:
                done = replace(done, translation=None) if done.translation.title is None else done
            out.append(done)
        return tuple(out)

    async def sent(self, delivery_ids: Sequence[int], alert: Alert, message_id: str | None) -> None:
        """After a post: one that went out with its translation pending is flagged, to be
        edited when the translation is in (a post without a message id cannot be)."""
        if alert.translation is None or not alert.translation.pending or not message_id:
            return
        try:
            await asyncio.to_thread(self.translations.mark_pending, delivery_ids)
        except Exception:
            log.warning("could not flag alert %s for a translated edit", alert.id, exc_info=True)
            return
        self.wake()  # its translation may have come in while it was being posted

    async def edit_pending(self) -> int:
        """Queue an edit of every flagged post whose translation is in now; how many. Stops
        at the first one still missing while the translator is down (asked every retry)."""
        queued = 0
        edits = await asyncio.to_thread(self.translations.pending_edits, EDIT_BATCH)
        for edit in edits:
            lang = await self.language_of(edit.target, edit.alert)
            if lang is not None:
                translation = await self.service.translate(edit.alert, lang, wait=None)
                if translation.pending:
                    if self.service.down:
                        break
                    continue
            if await asyncio.to_thread(self.translations.queue_edit, edit.delivery_id):
                queued += 1
        if queued:
            log.info("%d alerts posted untranslated are being edited with their translation", queued)
            self.kick()
        return queued

    async def run(self) -> None:
        """Edit pending posts whenever translations arrive, and every ``retry`` anyway
        (after a restart, or while the translator is down)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.service.retry)
            self._wake.clear()
            try:
                await self.edit_pending()
            except Exception:  # the database is down: the next pass tries again
                log.warning("editing alerts with their translations failed", exc_info=True)
