"""The database connection every repository shares: engine, sessions and the locks that
make a check-then-write atomic across processes.

SQLite by default; PostgreSQL (psycopg 3) by URL runs the same code. Opening a
:class:`Database` does not migrate it: :func:`bot.store.repositories.open_store` does, so
that the migrations (which need :func:`advisory_key`) can import this module.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT = 5.0
"""Seconds a SQLite statement waits for another writer's lock before it fails."""
POSTGRES_CONNECT_TIMEOUT = 10
"""Seconds a new PostgreSQL connection may take (unless the URL sets ``connect_timeout``)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000:.0f}")
    _sqlite_wal(cur)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the bot
    # loses nothing, a power cut at most the last commits (which are then fetched and
    # recorded again). FULL made a thousand feeds' health updates wait on the disk.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_wal(cur: Any) -> None:
    """Put the file in WAL mode (it stays so), waiting out another process doing the same.

    Two processes opening a fresh database at once (`run` and `scan --once`, two instances)
    both want its lock to switch; SQLite refuses one at once instead of calling the busy
    handler, so that one asks again shortly.
    """
    for attempt in range(50):
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so "seen?" and "record" are one atomic step
    # even when `newsbot run` and `newsbot scan --once` share the file.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the PostgreSQL driver newsbot
    ships (SQLAlchemy alone would look for psycopg2)."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def make_engine(url: str) -> Engine:
    url = database_url(url)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if url.startswith("sqlite:///") and not in_memory:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if in_memory:
        # One shared connection: every thread (the store is used from worker threads) must
        # see the same database, not a new empty one.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    elif url.startswith("postgresql"):
        # Pre-ping: a connection the server or a proxy closed while idle is replaced instead
        # of failing the next poll. The pool covers the worker threads that use the store at
        # once; the URL may set connect_timeout and application_name itself.
        query = make_url(url).query
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in query:
            connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT
        if "application_name" not in query:
            connect_args["application_name"] = "newsbot"
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
            connect_args=connect_args,
        )
    else:
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) derived from a name, so each
    of newsbot's locks has its own key without a registry of numbers."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


RECORD_LOCK = advisory_key("newsbot:record")
"""Held (per transaction) by every check-then-insert of articles on PostgreSQL."""


class Database:
    """One engine and its sessions, shared by every repository of a process (so they share
    its pool, and an outage looks the same to all of them). Methods are synchronous; async
    callers run them in an executor."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        self.postgres = self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    def serialise(self, s: Session) -> None:
        """Make a check-then-insert atomic across processes: first thing in its transaction.

        SQLite's BEGIN IMMEDIATE already lets one writer in at a time. PostgreSQL (READ
        COMMITTED) would let two instances both find a story unseen and both alert it
        (copies of one story under different guids get past the unique index), so there
        these transactions take turns on a transaction-level advisory lock. Each is short.
        """
        if self.postgres:
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_LOCK})

    def volatile(self, s: Session) -> None:
        """Lease bookkeeping need not wait for the disk on PostgreSQL: after a crash of
        the server every instance starts over, and a lost lease only makes a feed due."""
        if self.postgres:
            s.execute(text("SET LOCAL synchronous_commit = off"))
