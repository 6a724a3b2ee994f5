"""The weekly feedback note in the admin channels: which items, and which of their aliases
or rule terms, the team clicked "not relevant" on most.

Checked every hour; sent when a week has passed since the last one, which is kept in the
database (``job_runs``), so a restart neither repeats the note nor skips a week. The first
check of a new database only starts the clock. With instances sharing a database, the one
holding the job's lease sends it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.commands.feedback import WEEKLY_JOB, weekly_due, weekly_note
from bot.nlp.watchlist import Watchlist
from bot.store.db import utcnow
from bot.store.feedback import FeedbackRepository

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(hours=1)


class WeeklyNote:
    """Sends the note when it is due; see the module docstring."""

    def __init__(
        self,
        feedback: FeedbackRepository,
        watchlist: Callable[[], Watchlist],
        notify: Callable[[str], Awaitable[None]],
        take: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.feedback = feedback
        self.watchlist = watchlist
        self.notify = notify
        self.take = take

    async def run(self, now: datetime | None = None) -> str | None:
        """Send the note if a week has passed; the note sent, or None."""
        now = now or utcnow()
        if self.take is not None and not await self.take(WEEKLY_JOB):
            return None
        last = await asyncio.to_thread(self.feedback.last_run, WEEKLY_JOB)
        if last is None:
            await asyncio.to_thread(self.feedback.ran, WEEKLY_JOB, now)
            return None
        if not weekly_due(last, now):
            return None
        ratings = await asyncio.to_thread(self.feedback.ratings, last)  # since the last note
        note = weekly_note(ratings, self.watchlist())
        # Recorded first: a note that fails to post is logged, not repeated every hour.
        await asyncio.to_thread(self.feedback.ran, WEEKLY_JOB, now)
        if note is not None:
            await self.notify(note)
            log.info("sent the weekly feedback note (%d ratings)", len(ratings))
        return note
