"""A consistent copy of a running bot's SQLite database (``newsbot backup PATH``).

Copying ``data/newsbot.db`` with ``cp`` while the bot writes can catch a page half-way or
miss what still sits in the WAL file. SQLite's online backup API copies a snapshot as of
one moment, WAL included, while the bot carries on writing (WAL readers never block
writers). PostgreSQL has its own tool for that: ``pg_dump``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do instead."""


def sqlite_path(database_url: str) -> Path:
    """The file behind a ``sqlite:///`` URL; anything else is not ours to copy."""
    if not database_url.startswith("sqlite:///") or database_url == "sqlite:///:memory:":
        scheme = database_url.split(":", 1)[0]
        raise BackupError(
            f"newsbot backup copies SQLite databases; this one is {scheme}: use its own tool "
            "(for PostgreSQL: pg_dump --format=custom --file=newsbot.dump DBNAME)"
        )
    return Path(database_url.removeprefix("sqlite:///"))


def backup_sqlite(database_url: str, dest: Path) -> int:
    """Copy the database into ``dest`` (which must not exist); returns its size in bytes.

    Written to a temporary file next to ``dest`` and renamed at the end, so ``dest`` is
    either absent or a complete database, never half of one.
    """
    source = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name")
    tmp = dest.with_name(f".{dest.name}.part")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # one step: one read snapshot, consistent as of its start
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup of {source} failed: {exc}") from exc
    finally:
        src.close()
    os.replace(tmp, dest)
    return dest.stat().st_size
