"""Slack at its edges (issue 14, items 11, 13, 14): who may change a channel, replayed
HTTP requests, and feed text that must never broadcast. The real slack_bolt and slack_sdk
talk to the local Slack in tests/fakes/slack.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest

from bot.chat.slack import SlackAdapter
from bot.commands import Commands
from bot.models import Target
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, Envelope, FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


async def until(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll without blocking the event loop the adapter runs on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.asynccontextmanager
async def socket_mode(fake: FakeSlack, commands: Commands) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    await adapter.start()
    try:
        await until(lambda: fake.sockets_accepted, what="a Socket Mode connection")
        yield adapter
    finally:
        await adapter.stop()


async def reply(fake: FakeSlack, sent: Envelope) -> str:
    url = sent.payload["response_url"]
    calls = await until(
        lambda: [c for c in fake.received("response_url") if c.body["_url"] == url], what="the reply"
    )
    body: dict[str, Any] = calls[0].body
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


# -- item 11: who may change a channel's subscriptions -----------------------------------


def test_only_the_channels_creator_or_an_admin_changes_it_and_dms_are_their_owners(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.creators["C0NEWS"] = "U0ALICE"
    host: Any = SimpleNamespace(settings=SimpleNamespace(admins=["slack:U0CAROL"]))
    with_admins = Commands(commands.store, commands._watchlist, host=host)

    async def go() -> dict[str, str]:
        async with socket_mode(fake_slack, with_admins):
            out = {
                "bob": await reply(fake_slack, fake_slack.slash("/subscribe", "kursk", user_id="U0BOB")),
                "alice": await reply(fake_slack, fake_slack.slash("/subscribe", "kursk")),
                "bob unsubscribes": await reply(
                    fake_slack, fake_slack.slash("/unsubscribe", "", user_id="U0BOB")
                ),
                "bob dm": await reply(
                    fake_slack, fake_slack.slash("/subscribe", "north korea dm", user_id="U0BOB")
                ),
                "bob's own dm": await reply(fake_slack, fake_slack.slash(
                    "/subscribe", "all", user_id="U0BOB", channel_id="D0BOB",
                    channel_name="directmessage",
                )),
                "carol (admin)": await reply(fake_slack, fake_slack.slash(
                    "/subscribe", "all", user_id="U0CAROL", channel_id="C0DESK", channel_name="desk"
                )),
            }
            fake_slack.fail("conversations.info", error="missing_scope")
            out["no scope"] = await reply(
                fake_slack, fake_slack.slash("/unsubscribe", "kursk", channel_id="C0OPS")
            )
            return out

    text = asyncio.run(asyncio.wait_for(go(), 90))
    assert text["bob"] == (
        ":warning: Only people who can manage #news may change what it receives: you need to "
        "have created this channel, or to be one of the bot's admins. You can still "
        "/subscribe &lt;item&gt; dm for your own direct messages."
    )
    assert text["alice"].startswith("Subscribed #news to Kursk (kursk)")
    assert "have created this channel" in text["bob unsubscribes"]
    assert text["bob dm"].startswith("Subscribed your direct messages to North Korea")
    assert text["bob's own dm"].startswith("Subscribed this conversation to every watch item")
    assert text["carol (admin)"].startswith("Subscribed #desk to every watch item")
    assert "have created this channel" in text["no scope"]
    assert set(commands.store.subscriptions()) == {
        (Target("slack", "C0NEWS"), "kursk"),
        (Target("slack", "U0BOB"), "north-korea"),
        (Target("slack", "D0BOB"), "all"),
        (Target("slack", "C0DESK"), "all"),
    }
    # Asked only for the commands that change a channel, and only about a channel.
    asked = [c.body["channel"] for c in fake_slack.received("conversations.info")]
    assert asked == ["C0NEWS", "C0NEWS", "C0NEWS", "C0NEWS", "C0DESK", "C0OPS"]
    scope = [r.getMessage() for r in caplog.records if "cannot tell who created" in r.getMessage()]
    assert scope == [
        "Slack: cannot tell who created C0OPS (missing_scope); only admins may change its "
        "subscriptions. Add the channels:read and groups:read scopes."
    ]
