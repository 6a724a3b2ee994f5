"""A database that goes away and comes back, injected at a store's engine.

Every statement (or, ``writes_only``, every statement that writes, as when another
process holds SQLite's write lock past the busy timeout) fails with the driver's own
``OperationalError`` while the fault is on, exactly where a dead connection or a locked
file would fail it; SQLAlchemy wraps it as it would the real one.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

READS = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


class DatabaseFault:
    def __init__(self, engine: Engine, *, writes_only: bool = False) -> None:
        self.engine = engine
        self.writes_only = writes_only
        self._on = threading.Event()
        self._lock = threading.Lock()
        self.failures = 0
        self._error = engine.dialect.loaded_dbapi.OperationalError
        event.listen(engine, "before_cursor_execute", self._check)

    def start(self) -> None:
        self._on.set()

    def heal(self) -> None:
        self._on.clear()

    @property
    def on(self) -> bool:
        return self._on.is_set()

    def _check(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not self._on.is_set():
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if self.writes_only and verb in READS and "FOR UPDATE" not in statement.upper():
            return
        with self._lock:
            self.failures += 1
        raise self._error("database is locked" if self.writes_only else "server closed the connection unexpectedly")

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._check)
