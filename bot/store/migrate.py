"""Bringing a database to the schema this version of newsbot expects (Alembic migrations).

:func:`~bot.store.repositories.open_store` calls :func:`upgrade` before anything else, and ``newsbot db upgrade``
runs it alone, so an operator can migrate before rolling out a new version. An empty database
gets every migration; one an earlier newsbot made before migrations existed (its tables, no
``alembic_version``) is adopted by the baseline, which adds what it lacks and keeps its rows;
a versioned one gets the migrations it has not had. Processes that start at once take turns:
on PostgreSQL an advisory lock held by the migrating transaction, on SQLite its write lock.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from bot.store.db import advisory_key

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATE_LOCK = advisory_key("newsbot:migrate")
"""Held by the transaction that migrates a PostgreSQL database."""
_IN_PROCESS = threading.Lock()
"""Alembic's ``op`` and ``context`` are module globals: one migration per process at a time
(taken before the database lock, always in that order)."""
BASELINE_TABLES = ("feeds", "websub", "articles", "alerts", "deliveries", "subscriptions")


class MigrationError(RuntimeError):
    """The database cannot be brought to this version's schema (the message says why)."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands against this version of newsbot."""

    revision: str | None
    """The migration it is at; None when it has none (empty, or made before migrations)."""
    head: str
    """The migration this version of newsbot brings it to."""
    legacy: bool = False
    """Tables of an earlier newsbot and no revision: the baseline adopts them."""
    known: bool = True
    """False when a newer newsbot migrated it past anything this version knows."""

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def describe(self) -> str:
        """One line for ``newsbot db current``."""
        if self.up_to_date:
            return f"{self.revision} (head)"
        if not self.known:
            return (
                f"{self.revision}: unknown to this version of newsbot (head {self.head}); "
                "a newer newsbot migrated it"
            )
        if self.legacy:
            return (
                f"none: made by a newsbot from before migrations; "
                f"`newsbot db upgrade` adopts it as {self.head}, keeping its rows"
            )
        if self.revision is None:
            return f"none: empty database; `newsbot db upgrade` creates the schema ({self.head})"
        return f"{self.revision}: behind head {self.head}; run `newsbot db upgrade`"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built here: newsbot ships no alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest migration this version of newsbot ships."""
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise MigrationError(f"the migrations have {len(heads)} heads, not one: {heads}")
    return heads[0]


def _is_known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_state(conn: Connection) -> SchemaState:
    """Where the database on ``conn`` stands (reads only)."""
    revision = MigrationContext.configure(conn).get_current_revision()
    legacy = False
    if revision is None:
        inspector = inspect(conn)
        legacy = any(inspector.has_table(t) for t in BASELINE_TABLES)
    known = revision is None or _is_known(revision)
    return SchemaState(revision, head(), legacy=legacy, known=known)


def current(engine: Engine) -> SchemaState:
    """Where the database stands, without changing it (``newsbot db current``)."""
    with engine.connect() as conn:
        return schema_state(conn)


def _sqlite_foreign_keys(conn: Connection, on: bool) -> None:
    # Outside any transaction (inside one SQLite ignores the pragma), so on the driver's
    # connection: SQLAlchemy would begin one first.
    conn.connection.driver_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}"
    )


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in the one transaction a migration runs in, holding the migration lock.

    PostgreSQL: the advisory lock makes a second process wait, then find the work done
    (its DDL is transactional: nobody sees half a migration). SQLite: the transaction
    begins IMMEDIATE, which is the write lock; foreign keys are off meanwhile (SQLite's
    advice: a migration that rebuilds a table must not cascade or refuse on the copy) and
    checked before commit.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            _sqlite_foreign_keys(conn, False)
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise MigrationError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, True)


def upgrade(engine: Engine) -> SchemaState:
    """Bring the database to this version's schema; returns where it stood before."""
    with _IN_PROCESS, migrating(engine) as conn:
        before = schema_state(conn)
        if before.up_to_date:
            return before
        if not before.known:
            raise MigrationError(
                f"the database is at revision {before.revision}, which this version of "
                f"newsbot does not know (it knows up to {before.head}): a newer newsbot "
                "migrated it. Run that version, or restore a backup taken before."
            )
        command.upgrade(alembic_config(conn), "head")
    where = engine.url.render_as_string(hide_password=True)
    if before.legacy:
        log.info(
            "database %s was made before migrations: adopted as %s, its rows kept",
            where, before.head,
        )
    elif before.revision is None:
        log.info("database %s: schema created (%s)", where, before.head)
    else:
        log.info("database %s migrated from %s to %s", where, before.revision, before.head)
    return before


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base``: no tables). For tests and operators
    who roll back a version; rows in what is dropped are lost."""
    with _IN_PROCESS, migrating(engine) as conn:
        command.downgrade(alembic_config(conn), revision)
