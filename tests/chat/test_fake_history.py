"""The fakes' history, nonce, outage and on-post behaviour, driven by the real clients
(slack_sdk, discord.py): what the crash and outage tests rely on, checked on its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.discord import ALERTS, DESK, FakeDiscord, serve
from tests.fakes.slack import BOT_TOKEN, FakeSlack, running

pytestmark = [pytest.mark.network, pytest.mark.timeout(60)]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with running() as fake:
        yield fake


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def _meta(alert_id: str) -> dict[str, Any]:
    return {"event_type": "newsbot_alert", "event_payload": {"alert_id": alert_id}}


def test_slack_history_is_newest_first_with_metadata_filters_and_pages(slack: FakeSlack) -> None:
    async def scenario() -> None:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        before = time.time()
        posted = []
        for i in range(5):
            r = await client.chat_postMessage(
                channel="C1", text=f"alert {i}", blocks=[], metadata=_meta(f"a{i}")
            )
            posted.append(r["ts"])
        await client.chat_postMessage(channel="C2", text="elsewhere")
        assert posted == sorted(posted) and len(set(posted)) == 5
        assert before - 1 < float(posted[0]) < time.time() + 1, "ts is not the wall clock"

        plain = await client.conversations_history(channel="C1")
        assert [m["ts"] for m in plain["messages"]] == posted[::-1]
        assert all("metadata" not in m for m in plain["messages"])
        assert plain["messages"][0]["bot_id"] and plain["messages"][0]["type"] == "message"

        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await client.conversations_history(
                channel="C1", oldest=posted[0], include_all_metadata=True, limit=2, cursor=cursor
            )
            seen += page["messages"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            assert page["has_more"] == bool(cursor)
            if not cursor:
                break
        # oldest is exclusive: the first post is not in the range.
        assert [m["metadata"]["event_payload"]["alert_id"] for m in seen] == ["a4", "a3", "a2", "a1"]

        both = await client.conversations_history(
            channel="C1", oldest=posted[1], latest=posted[3], inclusive=True
        )
        assert [m["text"] for m in both["messages"]] == ["alert 3", "alert 2", "alert 1"]
        assert (await client.conversations_history(channel="C9"))["messages"] == []

    asyncio.run(scenario())


def test_slack_outage_answers_500_then_recovers_and_on_post_runs_before_the_answer(
    slack: FakeSlack,
) -> None:
    answered: list[str] = []
    hooked: list[tuple[str, str, int]] = []
    slack.on_post(lambda channel, m: hooked.append((channel, m["ts"], len(answered))))

    async def scenario() -> None:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
        outage = slack.outage(30)
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="lost?")
        assert raised.value.response.status_code == 500
        assert outage.hits == 1 and slack.messages("C1") == []
        slack.end_outages()
        r = await client.chat_postMessage(channel="C1", text="back")
        answered.append(r["ts"])

    asyncio.run(scenario())
    assert hooked == [("C1", answered[0], 0)]
    assert [m["text"] for m in slack.messages("C1")] == ["back"]


def test_discord_nonce_returns_the_first_message_and_history_pages(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord
    created: list[str] = []
    fake.on_post(lambda channel, m: created.append(m["id"]))

    async def scenario() -> None:
        Route.BASE = fake.api_url
        client = discord.Client(intents=discord.Intents.none())
        await client.login("fake-bot-token")
        try:
            channel = client.get_partial_messageable(int(ALERTS))
            first = await channel.send("one", nonce="n-alert-1")
            again = await channel.send("one again", nonce="n-alert-1")
            assert again.id == first.id and again.content == "one"
            others = [await channel.send(f"m{i}", nonce=f"n-{i}") for i in range(4)]
            desk = client.get_partial_messageable(int(DESK))
            await desk.send("desk", nonce="n-desk")

            newest = [m async for m in channel.history(limit=3)]
            assert [m.content for m in newest] == ["m3", "m2", "m1"]
            after = [m async for m in channel.history(limit=None, after=first, oldest_first=True)]
            assert [m.content for m in after] == ["m0", "m1", "m2", "m3"]
            before = [m async for m in channel.history(limit=10, before=others[1])]
            assert [m.content for m in before] == ["m0", "one"]
            since = datetime.now(UTC) - timedelta(minutes=1)
            recent = [m async for m in channel.history(limit=None, after=since)]
            assert len(recent) == 5, "snowflakes are not the wall clock"

            fake.nonce_window = 0.0
            await asyncio.sleep(0.01)
            late = await channel.send("one, later", nonce="n-alert-1")
            assert late.id != first.id
        finally:
            await client.close()

    asyncio.run(scenario())
    assert len(fake.messages(ALERTS)) == 6 and len(fake.messages(DESK)) == 1
    assert len(fake.nonce_replays) == 1
    assert len(created) == 7


def test_discord_outage_is_a_500_with_via_that_discord_py_retries(
    fake_discord: FakeDiscord,
) -> None:
    fake = fake_discord

    async def scenario() -> None:
        Route.BASE = fake.api_url
        client = discord.Client(intents=discord.Intents.none())
        await client.login("fake-bot-token")
        try:
            channel = client.get_partial_messageable(int(ALERTS))
            fake.outage(2.5)
            started = time.monotonic()
            message = await channel.send("through", nonce="n-through")
            assert time.monotonic() - started >= 2.5
            assert message.content == "through"
        finally:
            await client.close()

    asyncio.run(scenario())
    statuses = [r.status for r in fake.received("POST", rf"/channels/{ALERTS}/messages")]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {500} and len(statuses) >= 2
    assert [m["content"] for m in fake.messages(ALERTS)] == ["through"]
