"""A local Discord (``fake``) and a scrubbed environment (``env``) for the tests that run
``newsbot run`` against it; ``test_run.py`` keeps its own ``fake``, which also checks that
the bot put discord.py's endpoints back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.botproc import scrub_environ
from tests.fakes.discord import FakeDiscord, serve


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    scrub_environ(monkeypatch)
    return monkeypatch
