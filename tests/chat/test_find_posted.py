"""After a crash the adapters look for what they already posted, through the real clients
(slack_sdk's conversations.history, discord.py's channel history) against the local fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.discord.channels import nonce_for
from bot.chat.slack.adapter import SlackAdapter
from bot.commands.dispatch import Commands
from bot.models import Digest, Target
from bot.settings.sections import SlackConfig
from bot.store.db import utcnow
from tests.chat.discord.test_adapter import make_alert as discord_alert
from tests.chat.discord.test_adapter import running as discord_running
from tests.chat.slack.test_blocks import make_alert
from tests.fakes.discord import ALERTS, FakeDiscord, serve
from tests.fakes.slack import BOT_TOKEN, FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]
COMMANDS: Any = Commands(None, None, None, watchlist=lambda: None)  # type: ignore[arg-type]
NEWS = Target("slack", "C0NEWS")


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def slack_adapter(fake: FakeSlack) -> SlackAdapter:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "NEWSBOT_SLACK_API_URL": fake.api_url}
    return SlackAdapter.from_env(env, SlackConfig(), COMMANDS)


def test_slack_finds_an_alert_and_a_digest_a_previous_run_posted(fake_slack: FakeSlack) -> None:
    since = utcnow() - timedelta(seconds=5)
    first, other = make_alert(), make_alert(id="b2", title="Another story")

    async def scenario() -> None:
        before = slack_adapter(fake_slack)  # the run that was killed
        await before.start()
        ts = await before.send_alert(NEWS, first)
        digest_ts = await before.send_digest(NEWS, Digest("2 more", (other, first)), key="batch7")
        for _ in range(30):  # other traffic in the channel, so paging is needed
            await before.send_notice(NEWS, "feed x is back")
        await before.stop()

        fake_slack.history_max_limit = 15
        after = slack_adapter(fake_slack)  # the restarted bot
        await after.start()
        try:
            assert await after.find_posted(NEWS, first.id, since, [first]) == ts
            assert await after.find_posted(NEWS, "batch7", since, [other, first]) == digest_ts
            assert await after.find_posted(NEWS, other.id, since, [other]) is None
            # Only since the attempt: an older post of the same id is not this one.
            later = utcnow() + timedelta(minutes=5)
            assert await after.find_posted(NEWS, first.id, later, [first]) is None
            assert await after.find_posted(Target("slack", "C0ELSE"), first.id, since) is None
        finally:
            await after.stop()

    asyncio.run(asyncio.wait_for(scenario(), 45))
    calls = fake_slack.received("conversations.history")
    assert calls and all(c.body.get("include_all_metadata") in (True, "true", "1") for c in calls)
    assert any(c.body.get("cursor") for c in calls), "a busy channel is read page by page"


def test_slack_without_history_scope_says_none_and_the_alert_goes_again(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> str | None:
        slack = slack_adapter(fake_slack)
        await slack.start()
        try:
            await slack.send_alert(NEWS, make_alert())
            fake_slack.fail("conversations.history", error="missing_scope")
            return await slack.find_posted(NEWS, "a1", utcnow() - timedelta(minutes=1))
        finally:
            await slack.stop()

    assert asyncio.run(asyncio.wait_for(scenario(), 45)) is None
    assert "channels:history" in caplog.text


def test_discord_finds_its_post_by_nonce_or_link_and_ignores_others(
    fake_discord: FakeDiscord,
) -> None:
    commands = Commands(None, None, None, watchlist=lambda: None)  # type: ignore[arg-type]
    target = Target("discord", ALERTS)
    alert = discord_alert()
    since = utcnow() - timedelta(seconds=5)

    async def scenario() -> None:
        async with discord_running(fake_discord, commands) as adapter:
            posted = await adapter.send_alert(target, alert)
            other = discord_alert("A different story", id="0f1e2d3c4b5a6978")
            assert await adapter.find_posted(target, alert.id, since, [alert]) == posted
            assert await adapter.find_posted(target, other.id, since, [other]) is None
            later = utcnow() + timedelta(minutes=5)
            assert await adapter.find_posted(target, alert.id, later, [alert]) is None

    asyncio.run(asyncio.wait_for(scenario(), 45))
    assert fake_discord.received("GET", rf"/channels/{ALERTS}/messages")


def test_discord_digest_nonce_is_stable_per_batch_and_channel() -> None:
    assert nonce_for("batch7", "1") == nonce_for("batch7", "1")
    assert nonce_for("batch7", "1") != nonce_for("batch7", "2")
    assert len(nonce_for("batch7", "1")) == 25
