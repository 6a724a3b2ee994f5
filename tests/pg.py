"""Throwaway PostgreSQL databases for tests, on the server ``NEWSBOT_TEST_POSTGRES`` names.

Each test gets a database of its own (``newsbot_t_<random>``), dropped afterwards even if a
connection was left open. Where no server answers, the test is skipped with the reason and
``make test`` says in one line how many were (see ``tests/conftest.py``); in CI
(``CI=true``) a missing server fails the test instead, so the PostgreSQL cases cannot
silently stop running there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SKIP_PREFIX = "PostgreSQL not reachable"
"""How a skip for want of a server starts: the conftest counts these."""
_unreachable: str | None = None
"""Why the server did not answer, once: later tests skip at once instead of waiting."""


def required() -> bool:
    """In CI a PostgreSQL test that cannot reach its server fails: ``CI=true``."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def server_url() -> str:
    return os.environ.get("NEWSBOT_TEST_POSTGRES") or DEFAULT_SERVER


def _no_server(reason: str) -> NoReturn:
    if required():
        pytest.fail(f"{reason}; CI=true needs PostgreSQL (.ci/run starts it)", pytrace=False)
    pytest.skip(reason)


def _admin_connection() -> psycopg.Connection:
    global _unreachable
    url = make_url(server_url())
    if _unreachable is not None:
        _no_server(_unreachable)
    try:
        return psycopg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _unreachable = (
            f"{SKIP_PREFIX} at {url.host}:{url.port or 5432} ({reason}); "
            "set NEWSBOT_TEST_POSTGRES"
        )
        _no_server(_unreachable)


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database; dropped (connections and all) on the way out."""
    admin = _admin_connection()
    name = f"newsbot_t_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
