"""Forgetting article text past the retention window (``retention`` in the config).

A job of the scheduler, hourly: the text of articles seen longer ago than the window is
set to NULL a batch at a time, each batch its own short transaction with a pause between,
so the database's write lock (SQLite has one writer) is never held long and the polls
keep recording while a large backlog is pruned. The rest of each row stays: the article
is still seen, its alert still found by title, quotes and source.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.runtime.dbcall import DbCall
from bot.settings.model import Settings
from bot.store.articles import ArticleRepository
from bot.store.db import utcnow
from bot.store.outage import DatabaseOutage

log = logging.getLogger(__name__)

PRUNE_BATCH = 200
PAUSE = 0.05
"""Seconds between two batches: room for the writers waiting on the lock."""


class TextPruner:
    """Prunes on the store's threads (``db``) what the running settings no longer keep."""

    def __init__(
        self,
        articles: ArticleRepository,
        settings: Callable[[], Settings],
        *,
        db: DbCall,
        outage: DatabaseOutage,
    ) -> None:
        self.articles = articles
        self.settings = settings
        self.db = db
        self.outage = outage
        self.stopping = False

    async def prune(self) -> int:
        """Prune everything past the window now; returns how many articles lost their text."""
        cutoff = utcnow() - self.settings().retention
        total = 0
        while not self.stopping:
            pruned = await self.db(self.articles.prune_text, cutoff, batch=PRUNE_BATCH)
            total += pruned
            if pruned < PRUNE_BATCH:
                break
            await asyncio.sleep(PAUSE)
        if total:
            log.info("pruned the text of %d articles seen before %s", total,
                     cutoff.strftime("%Y-%m-%d %H:%M UTC"))
        return total

    async def job(self) -> None:
        """The scheduler's run: during a database outage the next run prunes."""
        await self.outage.once("pruning article text", self.prune)
