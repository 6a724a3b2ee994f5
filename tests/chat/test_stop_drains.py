"""Stopping an adapter while it answers a command: the user still gets the reply.

A shutdown (a deploy, SIGTERM) that closes the platform connections while a command's
answer is on its way drops the reply: the user asked and never hears back. Both adapters
let the answers already under way finish (within a time box) before they disconnect.
The same race made chat tests flaky under load: a test saw the fake receive the answer,
stopped the adapter, and the adapter closed the session under the answer still being read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.slack.adapter import SlackAdapter
from bot.commands.core import Reply
from bot.commands.dispatch import Commands
from bot.settings.sections import DiscordConfig
from tests.fakes.discord import GUILD_ID, FakeDiscord, serve
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


async def until(check: Any, timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if result := check():
            return result
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


def test_discord_stopping_while_a_deferred_brief_waits_on_discord_still_sends_the_answer(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    """/brief defers, then follows up. Discord is slow to answer the defer (0.5 s) and the
    bot is stopped meanwhile: the follow-up with the brief still reaches the user."""
    fake = fake_discord
    fake.answer_delay = 0.5

    async def go() -> str:
        adapter = DiscordAdapter.from_env(
            fake.env(), DiscordConfig(guild_ids=[int(GUILD_ID)]), commands
        )
        adapter.guild_ready_timeout = 0.2
        await adapter.start()
        try:
            _, token = await asyncio.to_thread(fake.interact, "brief", {"item": "kursk"})
            await until(lambda: [r for r in fake.arrivals if "/callback" in r.path])
        finally:
            await adapter.stop()
        return token

    token = asyncio.run(go())
    followups = [r for r in fake.followups(token) if r.status == 200]
    assert followups, f"the brief never reached the user; the fake saw {fake.summary()}"
    assert "kursk" in json.dumps(followups[0].body, ensure_ascii=False).lower()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_discord_stop_gives_up_on_an_answer_after_its_time_box(
    fake_discord: FakeDiscord, commands: Commands, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A command that never finishes does not hold the shutdown: it is cut short, in one
    log line."""
    fake = fake_discord
    started = asyncio.Event()

    async def stuck() -> Reply:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    monkeypatch.setattr(commands, "watchlist_overview", stuck)

    async def go() -> None:
        adapter = DiscordAdapter.from_env(
            fake.env(), DiscordConfig(guild_ids=[int(GUILD_ID)]), commands
        )
        adapter.guild_ready_timeout = 0.2
        adapter.drain_timeout = 0.2
        await adapter.start()
        try:
            await asyncio.to_thread(fake.interact, "watchlist")
            await asyncio.wait_for(started.wait(), 30)
        finally:
            await adapter.stop()

    asyncio.run(go())
    fake.wait_for(lambda: fake.connected == 0, 30)  # the gateway was closed all the same
    assert any("1 command answer(s) unsent" in r.getMessage() for r in caplog.records)


def test_slack_stopping_while_a_command_is_being_answered_still_sends_the_answer(
    fake_slack: FakeSlack, commands: Commands, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command is acked, its answer is still being worked out when the bot stops:
    the answer reaches the user's response_url before the adapter lets go."""
    fake = fake_slack
    release = asyncio.Event()
    run_text = commands.run_text

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await release.wait()  # the database is slow today
        return await run_text(*args, **kwargs)

    monkeypatch.setattr(commands, "run_text", slow)

    async def go() -> None:
        adapter = SlackAdapter(commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN,
                               api_url=fake.api_url)
        await adapter.start()
        try:
            envelope = await asyncio.to_thread(fake.slash, "/watchlist")
            await until(lambda: envelope.acked_at is not None)
        finally:
            stopping = asyncio.create_task(adapter.stop())
            # Until the adapter either let go (the bug) or waits for the answer (the fix).
            await until(lambda: stopping.done() or getattr(adapter.answering, "draining", False))
            release.set()
            await stopping
        # What a process does next when its adapters have stopped: end the loop, which
        # cancels whatever is still running.

    asyncio.run(go())
    answers = fake.received("response_url")
    assert answers, "the user never got the answer"
    assert "kursk" in json.dumps(answers[0].body).lower()
