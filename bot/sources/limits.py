"""How many requests the bot has in flight: over all hosts, and to any one host.

A thousand feeds come due together after a restart; the global limit keeps the bot's own
sockets and memory bounded, the per-host limit keeps one publisher with many feeds (a
newspaper with a feed per section) from seeing a burst from us.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


class FetchLimiter:
    def __init__(self, total: int, per_host: int) -> None:
        self.total = total
        self.per_host = per_host
        self._all = asyncio.Semaphore(total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one request slot for ``url``'s host (taken first) and one global slot."""
        host = (urlsplit(url).hostname or url).lower()
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.per_host)
        self._users[host] = self._users.get(host, 0) + 1
        try:
            # Host first: a request queued behind its host's limit holds no global slot
            # that requests to other hosts could use.
            async with sem, self._all:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:  # forget idle hosts: feeds come and go
                del self._users[host]
                del self._hosts[host]
