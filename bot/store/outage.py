"""Riding out a database outage: every long-running loop waits for the database to come
back instead of ending.

A PostgreSQL restart, SQLite's "database is locked" past the busy timeout or a full disk
raise ``OperationalError`` from whatever store call meets them. The loops that drive the
bot (feed scheduling, polls, delivery drains, seed scans, lease renewals, WebSub renewals,
config edits) hand such calls to one :class:`DatabaseOutage`, which

* logs one line when the outage starts and one when it ends, with its duration (not a
  line per retry, no traceback);
* takes the outage to be over only when a call that met it succeeds: a job that did not
  need the database this time (a seed scan with nothing new, a drain with nothing due) or
  a read that a write lock still lets through proves nothing, and ending the outage on it
  would log "back" and "unavailable" again for one outage;
* counts a failure that began before the outage ended as part of it: a statement that
  waited out SQLite's busy timeout just as the lock was freed fails a moment after another
  loop's call got through, and taking that for a new outage would log it twice;
* retries with a short, capped backoff, so the bot resumes within seconds of recovery;
* tells ``/healthz`` (503, "database unavailable") for as long as it lasts.

Nothing is marked done while the database is away, so nothing is lost: a poll whose items
could not be recorded leaves its feed due, and it is polled again once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import exc as sa_exc

from bot.store.db import POSTGRES_CONNECT_TIMEOUT, SQLITE_BUSY_TIMEOUT

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY = 0.25
"""Seconds before the first retry; doubled per failure."""
MAX_DELAY = 3.0
"""The longest wait between retries: recovery is noticed within this (plus one attempt)."""
LONGEST_WAIT = float(max(SQLITE_BUSY_TIMEOUT, POSTGRES_CONNECT_TIMEOUT))
"""The longest one store call waits before it fails for an outage (the store's busy and
connect timeouts). A failure this soon after an outage ended, of a call that began before
it ended, may have been waiting since the outage: it is not news."""


def is_outage(exc: BaseException) -> bool:
    """Is this the database being unavailable (as opposed to a bug or bad data)?"""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, (sa_exc.OperationalError, sa_exc.InterfaceError)
        )
    # A pool with no connection to give (every one is stuck connecting), a raw driver error.
    return isinstance(exc, (sa_exc.TimeoutError, sqlite3.OperationalError))


def _reason(exc: BaseException) -> str:
    """The driver's message, first line only (SQLAlchemy appends the SQL and a link)."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()
    return (text[0] if text else type(inner).__name__)[:200]


class DatabaseOutage:
    """Whether the database is unavailable now, since when, and the retry loop around it.

    Shared by every loop of one bot, so an outage is logged once however many loops meet it.
    """

    def __init__(
        self,
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        longest_wait: float = LONGEST_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.longest_wait = longest_wait
        self.clock = clock
        """The time ``down`` compares a call's start with (pass ``clock()`` as ``started``)."""
        self._ended: float | None = None
        """When the last outage ended (``clock`` time)."""
        self.since: float | None = None
        """When the current outage started (``clock`` time); None while the database answers."""
        self.reason: str | None = None
        self.last_duration: float | None = None
        """How long the last outage lasted, in seconds (None: none yet)."""
        self.outages = 0
        self._met: set[str] = set()
        """What the loops were doing when they met the current outage (``where``)."""

    @property
    def down_now(self) -> bool:
        return self.since is not None

    def down(self, where: str, exc: BaseException, started: float | None = None) -> None:
        """A store call failed because the database is unavailable: log it if it is news.

        ``started`` (``clock`` time) is when the call began, if known: a call that began
        before the last outage ended and fails within ``longest_wait`` of its end met that
        outage, not a new one (its caller retries it all the same).
        """
        if self.since is not None:
            self._met.add(where)
            return
        now = self.clock()
        if (
            started is not None
            and self._ended is not None
            and started < self._ended
            and now - self._ended < self.longest_wait
        ):
            return
        self._met = {where}
        self.since = now
        self.reason = _reason(exc)
        self.outages += 1
        log.error(
            "database unavailable (%s, while %s); polling and delivery wait and retry "
            "until it is back",
            self.reason,
            where,
        )

    def up(self, where: str) -> None:
        """A store call succeeded: if it is one that met the outage, the database is back;
        say so, and for how long."""
        if self.since is None or where not in self._met:
            return
        self._met = set()
        self._ended = self.clock()
        self.last_duration = self._ended - self.since
        self.since = self.reason = None
        log.warning("database back after %.1f s; resuming", self.last_duration)

    def problem(self) -> str | None:
        """What ``/healthz`` says while the database is away."""
        if self.since is None:
            return None
        return f"database unavailable for {self.clock() - self.since:.0f}s: {self.reason}"

    async def retry(self, where: str, call: Callable[[], Awaitable[T]]) -> T:
        """``await call()`` until it does not fail for an outage; other errors are raised.

        ``where`` says what was being done, for the one log line of the outage.
        """
        delay = self.first_delay
        while True:
            started = self.clock()
            try:
                result = await call()
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self.down(where, exc, started)
                await asyncio.sleep(delay)
                delay = min(self.max_delay, delay * 2)
                continue
            self.up(where)
            return result

    async def once(self, where: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """One try of a periodic job: an outage is noted and None returned (the job's next
        run tries again); other errors are raised."""
        started = self.clock()
        try:
            result = await call()
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.down(where, exc, started)
            return None
        self.up(where)
        return result

