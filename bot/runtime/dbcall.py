"""Store calls off the event loop: a poll's bookkeeping never blocks the chat heartbeats."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class DbCall(Protocol):
    """Runs a store call off the event loop: ``await db(store.feed_state, url)``."""

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T: ...


class StoreThreads:
    """Feed bookkeeping (state reads, health writes) on threads of its own.

    SQLite has one writer, and a thousand polls racing for it from a pool of threads spend
    their time in its busy-wait backoff: one thread there. PostgreSQL takes concurrent
    writers: a few threads.
    """

    def __init__(self, *, shared: bool) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=4 if shared else 1, thread_name_prefix="newsbot-store"
        )

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, partial(fn, *args, **kw)
        )

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, True, cancel_futures=True)
