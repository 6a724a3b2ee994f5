"""``/search`` on both platforms, through slack-bolt over Socket Mode and discord.py's
application commands against the local fakes: answered to the caller alone, with a link
that opens the alert's message in that workspace."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.links import message_link
from bot.commands.dispatch import Commands
from bot.models import Target
from tests.chat.discord.test_adapter import running as discord_running
from tests.chat.slack.test_edges import reply, socket_mode
from tests.commands.test_search import WATCHLIST, Found, MemorySearch, Sent, alert
from tests.fakes.discord import ALERTS, EPHEMERAL, GUILD_ID, FakeDiscord, serve
from tests.fakes.slack import FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

SHELLS = alert(1, "Shells hit a depot near Kursk, <!channel> told")


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def test_slack_search_is_answered_privately_with_a_link_to_the_message(
    fake_slack: FakeSlack,
) -> None:
    repo = MemorySearch()
    commands = Commands(None, None, None, lambda: WATCHLIST, search=repo)  # type: ignore[arg-type]

    async def go() -> tuple[str, str, str]:
        async with socket_mode(fake_slack, commands) as adapter:
            ts = await adapter.send_alert(Target("slack", "C0NEWS"), SHELLS)
            assert ts is not None
            repo.hits.append(Found(SHELLS, "…shells hit a depot…", (Sent(Target("slack", "C0NEWS"), "sent", ts),)))
            found = await reply(fake_slack, fake_slack.slash("/search", "Shells kursk"))
            missing = await reply(fake_slack, fake_slack.slash("/search", "submarine"))
            return ts, found, missing

    ts, found, missing = asyncio.run(asyncio.wait_for(go(), 60))
    assert f"https://fake.slack.com/archives/C0NEWS/p{ts.replace('.', '')}" in found
    assert "1 alert for “shells”" in found and "(Kursk)" in found
    assert "&lt;!channel&gt;" in found and "<!channel>" not in found  # the headline is escaped
    assert missing.startswith("No alert sent here matches “submarine”")
    assert repo.asked[0]["item"] == "kursk"


def test_discord_search_is_answered_privately_with_a_link_to_the_message(
    fake_discord: FakeDiscord,
) -> None:
    repo = MemorySearch()
    commands = Commands(None, None, None, lambda: WATCHLIST, search=repo)  # type: ignore[arg-type]

    async def go() -> tuple[str, Any, Any, Any]:
        async with discord_running(fake_discord, commands) as adapter:
            posted = await adapter.send_alert(Target("discord", ALERTS), SHELLS)
            assert posted is not None
            repo.hits.append(Found(SHELLS, "", (Sent(Target("discord", ALERTS), "sent", posted),)))
            _, token = fake_discord.interact("search", {"words": "shells", "item": "kursk"})
            _, bad = fake_discord.interact("search", {"words": "<@123456789012345678> OR *"})
            await fake_discord.until(lambda: fake_discord.followups(token) and fake_discord.followups(bad), 30)
            return posted, fake_discord.followups(token)[0], fake_discord.followups(bad)[0], token

    posted, found, refused, _ = asyncio.run(asyncio.wait_for(go(), 60))
    assert found.body["flags"] & EPHEMERAL and refused.body["flags"] & EPHEMERAL
    text = found.body.get("content") or found.body["embeds"][0]["description"]
    assert f"https://discord.com/channels/{GUILD_ID}/{ALERTS}/{posted}" in text
    assert "Shells hit a depot near Kursk" in text
    assert "What should I look for?" in refused.body["content"]
    assert not re.search(r"<@\d+>", refused.body["content"])
    assert fake_discord.commands["search"]["options"][0]["name"] == "words"


def test_links_are_made_only_from_ids_that_look_like_the_platforms() -> None:
    slack = "https://acme.slack.com/"
    assert message_link("slack", "C0NEWS", "1733400000.000100", workspace_url=slack) == (
        "https://acme.slack.com/archives/C0NEWS/p1733400000000100"
    )
    assert message_link("slack", "U0ALICE", "1733400000.000100", workspace_url=slack) is None
    assert message_link("slack", "C0NEWS", "not-a-ts", workspace_url=slack) is None
    assert message_link("slack", "C0NEWS", "1733400000.000100", workspace_url="javascript:x") is None
    assert message_link("slack", "C0NEWS", "1733400000.000100") is None
    ids = ("1100000000000000003", "1200000000000000001", "1300000000000000001")
    assert message_link("discord", ids[1], ids[2], guild_id=ids[0]) == (
        "https://discord.com/channels/{}/{}/{}".format(*ids)
    )
    assert message_link("discord", ids[1], ids[2]) is None
    assert message_link("discord", "dm:1100000000000000004", ids[2], guild_id=ids[0]) is None
    assert message_link("console", "terminal", "x") is None
