"""The answers an adapter is still sending, so that stopping does not drop a user's reply.

Slack-bolt and discord.py run each command in a task of their own. An adapter that closes
its connections while such a task waits on the platform (a deferred ``/brief`` posting its
follow-up, a ``respond`` to Slack's ``response_url``) loses that answer: the user asked and
never hears back. Each answering task registers itself here, and ``stop()`` drains them,
time-boxed, before closing anything.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 3.0
"""Seconds ``stop()`` lets unfinished answers run before cancelling them: Discord's own
window for answering an interaction, and small within the bot's shutdown budget."""


class InFlight:
    """The tasks answering users right now, on one event loop."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._tasks: set[asyncio.Task[Any]] = set()
        self.draining = False
        """True while ``drain`` waits: the adapter is stopping."""

    def track(self, task: asyncio.Task[Any]) -> None:
        """``drain`` waits for ``task`` (and holds a reference to it until it is done)."""
        if task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def track_current(self) -> None:
        """Called from inside an answering task someone else created: ``drain`` waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self.track(task)

    def __len__(self) -> int:
        return sum(1 for t in self._tasks if not t.done())

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> int:
        """Wait until every answer is sent (new ones included) or ``timeout`` passes; cancel
        what is left, log it once, and return how many were cut short."""
        me = asyncio.current_task()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.draining = True
        while True:
            pending = {t for t in self._tasks if not t.done() and t is not me}
            left = deadline - loop.time()
            if not pending or left <= 0:
                break
            await asyncio.wait(pending, timeout=left)
        if pending:
            log.warning(
                "%s: stopping with %d command answer(s) unsent after %.0fs",
                self.platform, len(pending), timeout,
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)
        self.draining = False
        return len(pending)
