"""Fixtures shared by every test: a local publisher on 127.0.0.1, and a port nobody answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.localserver import FeedServer, free_port, serve


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with serve() as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    return free_port()
