"""A throwaway PostgreSQL database for a test, on the server at NEWSBOT_TEST_POSTGRES."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest

SERVER = os.environ.get("NEWSBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"newsbot_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {SERVER} ({exc.__class__.__name__}); "
                    "set NEWSBOT_TEST_POSTGRES")
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
