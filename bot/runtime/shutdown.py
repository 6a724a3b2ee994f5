"""Stopping a running bot within one budget, from SIGTERM to a closed store: no new work,
the delivery in flight finishes (and is marked sent, so a restart does not post it
again), the rest stays queued, then every connection and the store are closed.

Apart from the bot so the order and the budget read in one place; of the bot it needs
only its deliveries in flight and its closing (``Closing``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET = 9.0
"""Seconds from SIGTERM to a closed store (the process exits within 10 s)."""
CLOSE_RESERVE = 2.5
"""Of that budget, what is kept for closing: the delivery in flight gets the rest."""


class Closing(Protocol):
    """What stopping needs of the bot."""

    def deliveries(self) -> Collection[asyncio.Task[Any]]:
        """The deliveries in flight (answered before the store closes, if time allows)."""
        ...

    async def close(self) -> None:
        """Close every connection and the store."""
        ...


class Server(Protocol):
    """An endpoint the bot serves (``/healthz``, the web console)."""

    async def stop(self) -> None: ...


async def shut_down(
    bot: Closing,
    scheduler: AsyncIOScheduler,
    feeds_task: asyncio.Task[None] | None,
    servers: Sequence[Server],
) -> None:
    """Stop within ``SHUTDOWN_BUDGET``, once the bot takes no new work: the clocks, the
    delivery in flight (a delivery still not answered goes back to the queue), the
    servers, the jobs still running, then the bot's connections and store."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_BUDGET
    if scheduler.running:
        scheduler.shutdown(wait=False)
    if feeds_task is not None:
        feeds_task.cancel()
    busy = {t for t in (feeds_task, *bot.deliveries()) if t and not t.done()}
    if busy:
        await asyncio.wait(busy, timeout=max(0.0, deadline - CLOSE_RESERVE - loop.time()))
    for task in busy:  # a delivery still not answered goes back to the queue
        task.cancel()
    for server in servers:
        await server.stop()
    await cancel_jobs(keep=bot.deliveries(), timeout=1.0)
    try:
        await asyncio.wait_for(bot.close(), timeout=max(0.5, deadline - loop.time()))
    except TimeoutError:
        log.warning("shutdown took longer than %.0fs; exiting anyway", SHUTDOWN_BUDGET)


async def cancel_jobs(keep: Collection[asyncio.Task[Any]], timeout: float = 10.0) -> None:
    """Stop polls and deliveries still running, so none touches a closed client: every
    task but this one and those in ``keep`` (the deliveries, waited for or cancelled
    already)."""
    me = asyncio.current_task()
    drains = set(keep)
    jobs = [t for t in asyncio.all_tasks() if t is not me and t not in drains]
    for task in jobs:
        task.cancel()
    if jobs:
        await asyncio.wait(jobs, timeout=timeout)
