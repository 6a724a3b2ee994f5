"""Who may use the Discord bot, and who may change a channel's subscriptions (issue 14, item 11).

The real discord.py reads interactions the local Discord sends: a member's resolved
permissions for the channel, a server the bot was not set up for, a DM with the bot.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from pydantic import ValidationError

from bot.commands.dispatch import Commands
from bot.models import Target
from bot.settings.sections import DiscordConfig
from tests.chat.discord.test_adapter import reply_of, run, running, shown
from tests.fakes.discord import ALERTS, DESK, EPHEMERAL, GUILD_ID, USER_ID, FakeDiscord, serve

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

OTHER_GUILD = "1300000000000000001"
VIEW_AND_SEND = str(0x400 | 0x800)
"""View Channel and Send Messages: an ordinary member, no Manage Channels."""
MANAGE_CHANNELS = str(0x400 | 0x800 | 0x10)


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    yield from serve()


@pytest.fixture(autouse=True)
def endpoints_restored() -> Iterator[None]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


def command(
    fake: FakeDiscord,
    name: str,
    options: dict[str, Any],
    *,
    channel: str = DESK,
    permissions: str = MANAGE_CHANNELS,
) -> dict[str, Any]:
    """``/name`` as a member with these resolved channel permissions would send it."""
    raw = [
        {"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in options.items()
    ]
    data = fake.interaction_data(name, raw, channel=channel)
    data["member"]["permissions"] = permissions
    return data


def in_guild(data: dict[str, Any], guild: str) -> dict[str, Any]:
    data["guild_id"] = data["data"]["guild_id"] = guild
    data["channel"]["guild_id"] = guild
    data["authorizing_integration_owners"] = {"0": guild}
    return data


def in_bot_dm(data: dict[str, Any]) -> dict[str, Any]:
    """The same command typed in the caller's DM with the bot: no server, no member."""
    user = data.pop("member")["user"]
    for key in ("guild_id", "guild_locale"):
        data.pop(key)
    data["data"].pop("guild_id")
    dm = "9" + USER_ID[1:]
    data["user"] = user
    data["channel_id"] = dm
    data["channel"] = {"id": dm, "type": 1, "last_message_id": None, "recipients": [user]}
    data["context"] = 1
    data["authorizing_integration_owners"] = {"0": GUILD_ID}
    return data


async def answer(fake: FakeDiscord, data: dict[str, Any]) -> str:
    """Send the interaction; the text of the bot's (ephemeral) answer."""
    fake.dispatch("INTERACTION_CREATE", data)
    await fake.until(lambda: fake.callbacks(data["id"]), 15)
    body = reply_of(fake, data["id"])
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, body
    assert body["data"]["allowed_mentions"] == {"parse": []}
    return shown(body["data"]["content"])


def test_only_members_who_manage_the_channel_change_its_subscriptions(
    fake: FakeDiscord, commands: Commands
) -> None:
    desk = Target("discord", DESK)

    async def go() -> dict[str, str]:
        async with running(fake, commands):
            return {
                "refused": await answer(
                    fake, command(fake, "subscribe", {"item": "kursk"}, permissions=VIEW_AND_SEND)
                ),
                "manager": await answer(fake, command(fake, "subscribe", {"item": "kursk"})),
                "unsubscribe": await answer(
                    fake, command(fake, "unsubscribe", {}, permissions=VIEW_AND_SEND)
                ),
                "own dm": await answer(
                    fake,
                    command(fake, "subscribe", {"item": "north-korea", "dm": True},
                            permissions=VIEW_AND_SEND),
                ),
                "listing": await answer(
                    fake, command(fake, "subscriptions", {}, permissions=VIEW_AND_SEND)
                ),
            }

    text = run(go())
    assert text["refused"] == (
        "Only people who can manage #kursk-desk may change what it receives: you need the "
        "Manage Channels permission in this channel. You can still /subscribe <item> dm "
        "for your own direct messages."
    )
    assert text["manager"].startswith("Subscribed #kursk-desk to Kursk")
    # Any member could unsubscribe the desk before: now the subscription stays.
    assert "Manage Channels" in text["unsubscribe"]
    assert text["own dm"].startswith("Subscribed your direct messages to North Korea")
    assert "#kursk-desk: Kursk (kursk)" in text["listing"]
    subs = commands.subs.subscriptions()
    assert (desk, "kursk") in subs and (Target("discord", f"dm:{USER_ID}"), "north-korea") in subs


def test_a_configured_admin_may_change_any_channel_and_anyone_their_dm_with_the_bot(
    fake: FakeDiscord, commands: Commands
) -> None:
    host: Any = SimpleNamespace(settings=SimpleNamespace(admins=[f"discord:{USER_ID}"]))
    admin_commands = Commands(commands.subs, commands.alerts, commands.feed_states, commands._watchlist, host=host)

    async def go() -> tuple[str, str]:
        async with running(fake, admin_commands):
            admin = await answer(
                fake, command(fake, "subscribe", {"item": "kursk"}, permissions=VIEW_AND_SEND)
            )
        # The same person without the admin entry, in their DM with the bot (no guild_ids:
        # DMs are served).
        async with running(fake, commands, settings=DiscordConfig()):
            dm = await answer(fake, in_bot_dm(command(fake, "subscribe", {"item": "all"})))
        return admin, dm

    admin, dm = run(go())
    assert admin.startswith("Subscribed #kursk-desk to Kursk")
    assert dm == "Subscribed this conversation to every watch item. New alerts will be posted there."
    subs = commands.subs.subscriptions()
    assert (Target("discord", DESK), "kursk") in subs
    assert (Target("discord", "9" + USER_ID[1:]), "all") in subs


def test_a_server_not_in_guild_ids_gets_a_private_refusal_and_nothing_else(
    fake: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> tuple[str, str, str, dict[str, Any]]:
        async with running(fake, commands):  # guild_ids: [GUILD_ID]
            elsewhere = await answer(fake, in_guild(command(fake, "brief", {}), OTHER_GUILD))
            feeds = await answer(fake, in_guild(command(fake, "feeds", {}), OTHER_GUILD))
            dm = await answer(fake, in_bot_dm(command(fake, "subscribe", {"item": "kursk"})))
            completion = in_guild(command(fake, "subscribe", {"item": "ku"}), OTHER_GUILD)
            completion["type"] = 4
            completion["data"]["options"][0]["focused"] = True
            fake.dispatch("INTERACTION_CREATE", completion)
            await fake.until(lambda: fake.callbacks(completion["id"]), 15)
            return elsewhere, feeds, dm, reply_of(fake, completion["id"])

    elsewhere, feeds, dm, completion = run(go())
    for text in (elsewhere, feeds, dm):
        assert text.startswith("Sorry, this bot only answers in the servers it was set up for.")
    assert completion == {"type": 8, "data": {"choices": []}}
    assert commands.subs.subscriptions() == []
    refused = [r.getMessage() for r in caplog.records if "not in discord.guild_ids" in r.getMessage()]
    assert refused == [
        f"discord: refused /brief from server {OTHER_GUILD} (not in discord.guild_ids)",
        f"discord: refused /feeds from server {OTHER_GUILD} (not in discord.guild_ids)",
        "discord: refused /subscribe from a direct message (not in discord.guild_ids)",
        f"discord: refused /subscribe from server {OTHER_GUILD} (not in discord.guild_ids)",
    ]


def test_the_bot_leaves_a_server_it_is_added_to_when_configured_to(
    fake: FakeDiscord, commands: Commands
) -> None:
    settings = DiscordConfig(guild_ids=[int(GUILD_ID)], leave_other_guilds=True)

    async def go() -> None:
        async with running(fake, commands, settings=settings):
            fake.join_guild(OTHER_GUILD)
            await fake.until(lambda: fake.left_guilds, 15)
            # The served server still works.
            assert (await answer(fake, command(fake, "watchlist", {}, channel=ALERTS)))

    run(go())
    assert fake.left_guilds == [OTHER_GUILD]


def test_at_login_the_bot_leaves_a_server_it_was_added_to_before(
    fake: FakeDiscord, commands: Commands
) -> None:
    settings = DiscordConfig(guild_ids=[int(OTHER_GUILD)], leave_other_guilds=True)

    async def go() -> None:
        async with running(fake, commands, settings=settings):
            await fake.until(lambda: fake.left_guilds, 15)

    run(go())
    assert fake.left_guilds == [GUILD_ID]


def test_leaving_other_servers_needs_the_list_of_servers_to_stay_in() -> None:
    with pytest.raises(ValidationError, match="leave_other_guilds needs discord.guild_ids"):
        DiscordConfig(leave_other_guilds=True)
    assert DiscordConfig(guild_ids=[1], leave_other_guilds=True).leave_other_guilds

