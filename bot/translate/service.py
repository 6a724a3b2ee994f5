"""Translating alerts for delivery: the store first, then the translator under a deadline,
and the translator's outages waited out quietly.

One request per text and language, whatever the number of channels: texts already asked
for are awaited, not asked again, and what comes back is stored (see
:class:`TranslationCache`) before anyone is told. A translator that is down, slow, out of
quota or answering garbage costs one log line and one admin notice per outage; while it is
down it is asked again every ``retry`` (not for every alert), and alerts go out in the
original, marked, to be edited when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from bot.models import Alert, Translation
from bot.settings.languages import language_name
from bot.translate.base import MAX_RETRY_AFTER, TranslateError, Translator
from bot.translate.texts import alert_texts, text_key, translation_of

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[None]]


class TranslationCache(Protocol):
    """Where translations are kept (the store's translations repository). Synchronous:
    called in a thread."""

    def cached(self, keys: Sequence[str], source: str, target: str) -> dict[str, str]: ...

    def remember(
        self, source: str, target: str, backend: str, translated: Mapping[str, str]
    ) -> None: ...


Key = tuple[str, str, str]
"""(text key, source, target)."""


class TranslationService:
    """Alerts' translations for delivery; see the module's docstring."""

    def __init__(
        self,
        translator: Translator,
        cache: TranslationCache,
        *,
        deadline: float = 3.0,
        retry: float = 30.0,
        notify: Notify | None = None,
    ) -> None:
        self.translator = translator
        self.cache = cache
        self.deadline = deadline
        """Seconds an alert waits for its translation before it goes out in the original."""
        self.retry = retry
        """Seconds between attempts while the translator is down."""
        self.notify = notify
        self.arrived: Callable[[], None] | None = None
        """Called when a translation arrives after its deadline, or the translator is back:
        alerts posted in the original can be edited now."""
        self.requests = 0
        """Requests sent to the translator (for tests and metrics)."""
        self._inflight: dict[Key, asyncio.Task[dict[str, str]]] = {}
        self._down_since: float | None = None
        self._next_try = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    async def translate(self, alert: Alert, target: str, *, wait: float | None = -1) -> Translation:
        """The alert's texts in ``target``: from the store, else from the translator within
        ``wait`` seconds (default: the deadline; None: as long as it takes). Pending when
        something is missing by then (the request goes on; :attr:`arrived` is called)."""
        texts = alert_texts(alert)
        keys = [text_key(t) for t in texts]
        source = alert.language
        found = await asyncio.to_thread(self.cache.cached, keys, source, target)
        missing = [(k, t) for k, t in zip(keys, texts, strict=True) if k not in found]
        if missing:
            tasks = self._ask(missing, source, target)
            if tasks:
                timeout = self.deadline if wait == -1 else wait
                done, _late = await asyncio.wait(tasks, timeout=timeout)
                for task in done:
                    found.update(task.result())
        return translation_of(alert, target, found, self.translator.name)

    def _ask(self, missing: list[tuple[str, str]], source: str, target: str) -> set[asyncio.Task[dict[str, str]]]:
        """Tasks that will answer ``missing``: those in flight already, and one new request
        for the rest (none while the translator is down and not due for another try)."""
        tasks: set[asyncio.Task[dict[str, str]]] = set()
        fresh: list[tuple[str, str]] = []
        for key, text in missing:
            task = self._inflight.get((key, source, target))
            if task is not None:
                tasks.add(task)
            else:
                fresh.append((key, text))
        if fresh and (not self.down or time.monotonic() >= self._next_try):
            if self.down:
                self._next_try = time.monotonic() + self.retry  # one probe per interval
            task = asyncio.get_running_loop().create_task(
                self._request(fresh, source, target), name="translate"
            )
            for key, _ in fresh:
                self._inflight[(key, source, target)] = task
            task.add_done_callback(lambda t: self._finished(t, fresh, source, target))
            tasks.add(task)
        return tasks

    def _finished(
        self, task: asyncio.Task[dict[str, str]], asked: list[tuple[str, str]], source: str, target: str
    ) -> None:
        for key, _ in asked:
            if self._inflight.get((key, source, target)) is task:
                del self._inflight[(key, source, target)]
        if not task.cancelled() and task.result() and self.arrived is not None:
            self.arrived()

    async def _request(self, asked: list[tuple[str, str]], source: str, target: str) -> dict[str, str]:
        """One request; what came back, stored. A failure is an outage (never raised)."""
        self.requests += 1
        try:
            answers = await self.translator.translate([t for _, t in asked], source, target)
        except TranslateError as exc:
            self._failed(exc)
            return {}
        except Exception as exc:  # a bug in a backend must not stop a delivery
            log.exception("translator %s failed unexpectedly", self.translator.name)
            self._failed(TranslateError("garbage", repr(exc)[:200]))
            return {}
        got = {key: text for (key, _), text in zip(asked, answers, strict=True)}
        try:
            await asyncio.to_thread(self.cache.remember, source, target, self.translator.name, got)
        except Exception:  # the database is down: this answer still serves the alert
            log.warning("could not store %d translations", len(got), exc_info=True)
        self._recovered()
        return got

    def _failed(self, exc: TranslateError) -> None:
        wait = max(self.retry, min(exc.retry_after or 0.0, MAX_RETRY_AFTER))
        self._next_try = time.monotonic() + wait
        if self._down_since is not None:
            log.debug("translator %s still failing: %s", self.translator.name, exc)
            return
        self._down_since = time.monotonic()
        what = {
            "down": "is down", "slow": "is too slow", "quota": "is out of quota",
            "refused": "refuses the bot's requests", "garbage": "answers garbage",
        }[exc.kind]
        log.warning(
            "translator %s %s (%s); alerts go out untranslated, marked, and are edited when "
            "it is back (asked again every %.0f s)", self.translator.name, what, exc, wait,
        )
        self._tell(
            f"newsbot: the translator ({self.translator.name}) {what}: {exc}. Alerts go out "
            "in their original language, marked, and are edited once it is back."
        )

    def _recovered(self) -> None:
        if self._down_since is None:
            return
        took = time.monotonic() - self._down_since
        self._down_since = None
        log.info("translator %s is back after %.0f s", self.translator.name, took)
        self._tell(
            f"newsbot: the translator ({self.translator.name}) is back after {took:.0f} s; "
            "alerts posted untranslated meanwhile are being edited."
        )
        if self.arrived is not None:
            self.arrived()

    def _tell(self, text: str) -> None:
        if self.notify is None:
            return
        notify = self.notify

        async def tell() -> None:
            try:
                await notify(text)
            except Exception:  # best effort: the log line is there
                log.warning("could not tell the admin channel about the translator", exc_info=True)

        task = asyncio.get_running_loop().create_task(tell(), name="translator notice")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel the requests under way, then the admin notices (a cancelled request may
        still report an outage), and wait for each to end: a stop leaves no task pending."""
        for tasks in (set(self._inflight.values()), set(self._tasks)):
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.translator.close()


def describe(translation: Translation) -> str:
    """``machine translation from Korean`` (logs, the CLI)."""
    return f"machine translation from {language_name(translation.source)}"
