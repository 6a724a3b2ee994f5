"""Fixtures shared by every test: a local publisher on 127.0.0.1, a port nobody answers,
and the fake Slack and Discord the newsroom fault tests post to."""

from __future__ import annotations

from collections.abc import Iterator
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
