"""What the fake Slack and the fake Discord share for fault tests: outages (a window in
which posting answers an error) and an on-post hook (a callback the moment a message is
stored, before the poster gets its answer: the window a crash-safe bot has to survive)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

PostHook = Callable[[str, dict[str, Any]], Any]
"""``hook(channel, message)``: called in the fake's thread when a message is stored."""


@dataclass
class OutageWindow:
    """Until ``until`` (``time.monotonic()``) the requests an outage covers fail."""

    until: float
    hits: int = field(default=0, kw_only=True)
    """Calls answered with the error."""


OutageT = TypeVar("OutageT", bound=OutageWindow)


class ChatFaults(Generic[OutageT]):
    """Outages and the on-post hook; a fake calls :meth:`_init_faults` when it is built,
    asks :meth:`_outage_for` before answering, and :meth:`_posted` once a message is
    stored. ``_lock`` is the fake's own lock."""

    _lock: threading.Lock
    outages: list[OutageT]
    _post_hook: PostHook | None

    def _init_faults(self) -> None:
        self.outages = []
        self._post_hook = None

    def _add_outage(self, outage: OutageT) -> OutageT:
        with self._lock:
            self.outages.append(outage)
        return outage

    def end_outages(self) -> None:
        """Recover now."""
        now = time.monotonic()
        with self._lock:
            for outage in self.outages:
                outage.until = min(outage.until, now)

    def on_post(self, hook: PostHook | None) -> None:
        """Call ``hook(channel, message)`` each time a message is stored, after it is in
        the channel's history and before the poster gets the answer. ``None`` removes it."""
        with self._lock:
            self._post_hook = hook

    def _outage_for(self, active: Callable[[OutageT], bool]) -> OutageT | None:
        """The outage that covers this request (counted as a hit), if any."""
        with self._lock:
            for outage in self.outages:
                if active(outage):
                    outage.hits += 1
                    return outage
        return None

    def _posted(self, channel: str, message: dict[str, Any]) -> None:
        with self._lock:
            hook = self._post_hook
        if hook is not None:
            hook(channel, dict(message))
