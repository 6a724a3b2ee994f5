"""Waiting for an event with a deadline, so that a cancel is never lost.

On Python 3.11 ``asyncio.wait_for`` returns normally when its task is cancelled in the same
turn of the loop as the awaited thing completes (CPython gh-86296, bpo-42130; fixed in 3.12).
A loop around it then goes on after ``cancel()``, and whoever awaits the task (a shutdown, a
test) waits forever. ``asyncio.timeout`` raises the cancel in that case.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` is set, after waiting for it at most ``seconds``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()
