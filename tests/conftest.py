"""Fixtures shared by every test: a local publisher on 127.0.0.1, a port nobody answers, the
store's database on SQLite and on PostgreSQL, and the fake Slack and Discord the newsroom
fault tests post to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.localserver import FeedServer, free_port, serve

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.slack import FakeSlack


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with serve() as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped where no server answers; see tests/pg.py)."""
    from tests.pg import fresh_database

    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store's database on each backend: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/db/newsbot.db"
        return
    from tests.pg import fresh_database

    with fresh_database() as url:
        yield url


@pytest.fixture
def wire_discord() -> Iterator[FakeDiscord]:
    """The fake Discord with a channel per watch item (``tests.botproc``'s routes)."""
    from tests.botproc import DISCORD_ITEM_CHANNELS
    from tests.fakes.discord import CHANNELS, FakeDiscord

    channels = {**CHANNELS, **{c: f"wire-{item}" for item, c in DISCORD_ITEM_CHANNELS.items()}}
    fake = FakeDiscord(channels=channels).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def wire_slack() -> Iterator[FakeSlack]:
    from tests.fakes.slack import running

    with running() as fake:
        yield fake
