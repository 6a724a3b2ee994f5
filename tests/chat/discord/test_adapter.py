"""The Discord adapter against a local Discord: login, commands, posts, and every failure
an operator has to act on. The real discord.py talks to tests/fakes/discord.py."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.base import ChatStartError, DeliveryError
from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.discord.channels import alert_nonce
from bot.chat.discord.render import alert_payload
from bot.commands.dispatch import Commands
from bot.models import Alert, Match, Quote, Target
from bot.settings.sections import DiscordConfig
from tests.fakes.discord import (
    ALERTS,
    APP_ID,
    DESK,
    EPHEMERAL,
    GUILD_ID,
    USER_ID,
    FakeDiscord,
    serve,
)

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = {
    "brief", "subscribe", "unsubscribe", "subscriptions", "watchlist", "feeds", "watch", "mute",
    "unmute", "search",
}
GONE = "1299999999999999999"

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    yield from serve()


@pytest.fixture(autouse=True)
def endpoints_restored() -> Iterator[None]:
    """discord.py's endpoints are class attributes: every test must leave them as found."""
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield
    now = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
    assert now == saved, "the adapter did not restore discord.py's endpoints"


def make_alert(title: str = "Counter-attack reported near Kursk", id: str = "a1b2c3d4e5f60718") -> Alert:
    return Alert(
        id=id,
        title=title,
        source_name="Example Wire",
        language="en",
        matches=(Match("kursk", "Kursk", "entity", 2, 5.0, ("Kursk",), in_title=True),),
        quotes=(Quote("We are rebuilding what we can", "the governor"),),
        url="https://news.example/kursk",
        lead="Fighting continued around the Kursk region.",
    )


@contextlib.asynccontextmanager
async def running(
    fake: FakeDiscord, commands: Commands, env: dict[str, str] | None = None, **kw: Any
) -> AsyncIterator[DiscordAdapter]:
    settings = kw.pop("settings", DiscordConfig(guild_ids=[int(GUILD_ID)]))
    adapter = DiscordAdapter.from_env(env or fake.env(), settings, commands)
    adapter.guild_ready_timeout = 0.2
    adapter.pacer.interval = kw.pop("pace", 0.0)
    for key, value in kw.items():
        setattr(adapter, key, value)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout=90))


# -- connecting --------------------------------------------------------------------------


def test_login_registers_the_commands_in_the_configured_server(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> None:
        async with running(fake, commands):
            assert fake.connected == 1
        assert await fake.until(lambda: fake.connected == 0, 10)

    run(go())
    (sync,) = fake.received("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    by_name = {c["name"]: c for c in sync.body}
    assert set(by_name) == COMMANDS
    for name in ("brief", "subscribe", "unsubscribe"):
        item = next(o for o in by_name[name]["options"] if o["name"] == "item")
        assert item["autocomplete"] is True
    assert [o["name"] for o in by_name["subscribe"]["options"]] == ["item", "dm", "lang"]
    assert next(o for o in by_name["subscribe"]["options"] if o["name"] == "item")["required"]
    assert [(o["name"], o.get("required", False)) for o in by_name["search"]["options"]] == [
        ("words", True), ("item", False), ("since", False)
    ]
    identify = next(f for f in fake.gateway_frames if f.get("op") == 2)
    assert identify["d"]["intents"] == 1  # guilds only: no message content, no members
    assert identify["d"]["token"] == "fake-bot-token"


def test_without_guild_ids_commands_are_global(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> None:
        async with running(fake, commands, settings=DiscordConfig()):
            pass

    run(go())
    assert fake.received("PUT", rf"/applications/{APP_ID}/commands")
    assert not fake.received("PUT", r"/applications/.*/guilds/.*")


def test_a_refused_token_is_a_clear_error_not_a_hang(fake: FakeDiscord, commands: Commands) -> None:
    fake.fail("GET", "/users/@me", 401, 0, "401: Unauthorized")
    with pytest.raises(ChatStartError, match="rejected DISCORD_BOT_TOKEN.*Reset Token"):
        run(running(fake, commands).__aenter__())  # a hang: run's deadline fails it
    assert len(fake.received("GET", "/users/@me")) == 1  # refused at once, not retried
    assert fake.connected == 0


def test_an_unreachable_gateway_is_a_clear_error(
    fake: FakeDiscord, commands: Commands, closed_port: int
) -> None:
    env = {**fake.env(), "NEWSBOT_DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{closed_port}/"}
    # discord.py gives up on a refused first connection (or keeps retrying until the timeout).
    with pytest.raises(ChatStartError, match=rf"(did not get ready within|connect to) .*{closed_port}"):
        run(running(fake, commands, env, ready_timeout=3.0).__aenter__())


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DISCORD_BOT_TOKEN"),
        ({"DISCORD_BOT_TOKEN": "Bot abc.def"}, "bare bot token"),
        ({"DISCORD_WEBHOOK_URL": "https://example.com/hook"}, "DISCORD_WEBHOOK_URL must look like"),
        ({"DISCORD_BOT_TOKEN": "t", "NEWSBOT_DISCORD_API_URL": "ftp://x"}, "NEWSBOT_DISCORD_API_URL"),
        ({"DISCORD_BOT_TOKEN": "t", "NEWSBOT_DISCORD_GATEWAY_URL": "http://x"}, "GATEWAY_URL"),
    ],
)
def test_bad_configuration_says_what_to_fix(env: dict[str, str], message: str, commands: Commands) -> None:
    with pytest.raises(ValueError, match=message):
        DiscordAdapter.from_env(env, DiscordConfig(), commands)


# -- posting -----------------------------------------------------------------------------


def test_alert_is_posted_as_the_previewed_embed_with_a_stable_nonce(
    fake: FakeDiscord, commands: Commands
) -> None:
    alert = make_alert()

    async def go() -> str | None:
        async with running(fake, commands) as adapter:
            return await adapter.send_alert(Target("discord", ALERTS), alert)

    message_id = run(go())
    (post,) = fake.posts(ALERTS)
    assert message_id == fake.messages_by_id[message_id]["id"]
    expected = alert_payload(alert)
    assert post.body["content"] == expected["content"]
    assert post.body["embeds"] == [{**e, "flags": 0} for e in expected["embeds"]]
    assert post.body["allowed_mentions"] == {"parse": []}
    assert post.body["nonce"] == alert_nonce(alert, ALERTS)
    assert post.body["enforce_nonce"] is True
    assert post.headers["Authorization"] == "Bot fake-bot-token"


def test_the_posted_buttons_are_the_previewed_ones(fake: FakeDiscord, commands: Commands) -> None:
    """What ``newsbot preview --discord`` prints (``alert_message``) is what reaches Discord,
    the feedback buttons included."""
    from bot.chat.discord.feedback import alert_message

    alert = make_alert()

    async def go() -> None:
        async with running(fake, commands) as adapter:
            await adapter.send_alert(Target("discord", ALERTS), alert)

    run(go())
    (post,) = fake.posts(ALERTS)
    previewed = alert_message(alert)
    assert post.body["components"] == previewed["components"]
    assert post.body["content"] == previewed["content"]
    assert post.body["embeds"] == [{**e, "flags": 0} for e in previewed["embeds"]]


def test_dm_target_opens_the_direct_message_channel(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> None:
        async with running(fake, commands) as adapter:
            await adapter.send_alert(Target("discord", f"dm:{USER_ID}"), make_alert())

    run(go())
    (opened,) = fake.received("POST", "/users/@me/channels")
    assert str(opened.body["recipient_id"]) == USER_ID
    (post,) = [r for r in fake.received("POST", r"/channels/\d+/messages") if r.status == 200]
    assert fake.channels[post.path.split("/")[2]] == f"dm-{USER_ID}"


def test_update_edits_the_posted_message_or_posts_anew(fake: FakeDiscord, commands: Commands) -> None:
    target = Target("discord", ALERTS)

    async def go() -> tuple[str | None, str | None]:
        async with running(fake, commands) as adapter:
            first = await adapter.send_alert(target, make_alert())
            assert first is not None
            edited = await adapter.update_alert(target, first, make_alert("Updated: Kursk"))
            # The same alert whose message was deleted: the new post must not reuse the
            # first post's nonce, which Discord (like the fake) answers with the old message.
            again = make_alert("Again")
            anew = await adapter.update_alert(target, "1300000000000009999", again)
            return edited, anew

    edited, anew = run(go())
    patch, missing = fake.received("PATCH", rf"/channels/{ALERTS}/messages/\d+")
    assert missing.status == 404  # the unknown message: posted anew below
    assert patch.body["embeds"][0]["title"] == "Updated: Kursk"
    assert patch.body["allowed_mentions"] == {"parse": []}
    assert edited == patch.path.rsplit("/", 1)[1]
    assert anew is not None and anew != edited
    assert [p.body["embeds"][0]["title"] for p in fake.posts(ALERTS)][-1] == "Again"


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (404, 10003, "Unknown Channel"),
        (403, 50001, "Missing Access.*View Channel"),
        (403, 50013, "Missing Permissions.*Send Messages and Embed Links"),
        (401, 0, "bot token"),
    ],
)
def test_refusals_are_permanent_and_say_what_to_fix(
    fake: FakeDiscord, commands: Commands, status: int, code: int, words: str
) -> None:
    fake.fail("POST", rf"/channels/{ALERTS}/messages", status, code, "refused")

    async def go() -> DeliveryError:
        async with running(fake, commands) as adapter:
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", ALERTS), make_alert())
            return info.value

    error = run(go())
    assert error.permanent and error.retry_after is None
    assert error.channel_gone == (status != 401)  # a bad token is not the channel's doing
    assert re.search(words, str(error)), str(error)
    assert len(fake.received("POST", rf"/channels/{ALERTS}/messages")) == 1  # no retry loop


def test_a_channel_that_does_not_exist_is_unknown_channel(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> DeliveryError:
        async with running(fake, commands) as adapter:
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", GONE), make_alert())
            return info.value

    error = run(go())
    assert error.channel_gone and "Unknown Channel" in str(error) and GONE in str(error)


def test_a_channel_name_instead_of_an_id_is_refused_before_any_request(
    fake: FakeDiscord, commands: Commands
) -> None:
    async def go() -> DeliveryError:
        async with running(fake, commands) as adapter:
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", "#alerts"), make_alert())
            return info.value

    error = run(go())
    assert error.permanent and "Copy Channel ID" in str(error)
    assert not fake.received("POST", r"/channels/.*")


def test_429_with_retry_after_is_waited_out_then_delivered(fake: FakeDiscord, commands: Commands) -> None:
    fake.rate_limit(rf"/channels/{ALERTS}/messages", retry_after=1.2)

    async def go() -> None:
        async with running(fake, commands) as adapter:
            await adapter.send_alert(Target("discord", ALERTS), make_alert())

    run(go())
    limited, delivered = fake.received("POST", rf"/channels/{ALERTS}/messages")
    assert (limited.status, delivered.status) == (429, 200)
    assert delivered.at - limited.at >= 1.2 * 0.95


@pytest.mark.parametrize(
    ("retry_after", "via"),
    [(7.0, False), (45.0, True)],  # no Via: a Cloudflare-style ban; 45 s: too long to block on
)
def test_429_that_discord_py_does_not_wait_out_goes_back_to_the_outbox(
    fake: FakeDiscord, commands: Commands, retry_after: float, via: bool
) -> None:
    fake.rate_limit(rf"/channels/{ALERTS}/messages", retry_after=retry_after, via=via)

    async def go() -> DeliveryError:
        async with running(fake, commands) as adapter:
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", ALERTS), make_alert())
            return info.value

    started = time.monotonic()
    error = run(go())
    assert not error.permanent and error.retry_after == pytest.approx(retry_after)
    assert time.monotonic() - started < 30  # handed back, not slept on
    assert len(fake.received("POST", rf"/channels/{ALERTS}/messages")) == 1


def test_a_server_error_is_retried(fake: FakeDiscord, commands: Commands) -> None:
    fake.fail("POST", rf"/channels/{ALERTS}/messages", 500, 0, "Internal Server Error")

    async def go() -> None:
        async with running(fake, commands) as adapter:
            await adapter.send_alert(Target("discord", ALERTS), make_alert())

    run(go())
    assert [r.status for r in fake.received("POST", rf"/channels/{ALERTS}/messages")] == [500, 200]


class VirtualClock:
    """Time that moves only when the pacer sleeps: the pacing is checked by what was
    waited and when each post went out, not by timing a loaded machine."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_a_burst_to_one_channel_is_paced(fake: FakeDiscord, commands: Commands) -> None:
    clock = VirtualClock()
    waited: dict[str, list[float]] = {}

    async def go() -> None:
        async with running(fake, commands, pace=0.4) as adapter:
            adapter.pacer.clock, adapter.pacer.sleep = clock.time, clock.sleep
            burst = Target("discord", ALERTS)
            await asyncio.gather(
                *(adapter.send_alert(burst, make_alert(id=f"{i:016x}")) for i in range(4))
            )
            waited[ALERTS] = list(clock.slept)
            await adapter.send_alert(Target("discord", DESK), make_alert())
            waited[DESK] = clock.slept[len(waited[ALERTS]):]

    run(go())
    # Each post after the first in the burst's channel waits its 0.4 s turn; a post to
    # another channel does not wait behind the burst. Every post arrived, once.
    assert waited == {ALERTS: [pytest.approx(0.4)] * 3, DESK: []}
    assert len({p.body["nonce"] for p in fake.posts(ALERTS)}) == 4
    assert len(fake.posts(ALERTS)) == 4
    assert len(fake.posts(DESK)) == 1


def test_webhook_mode_posts_without_a_gateway(fake: FakeDiscord, commands: Commands) -> None:
    hook_id, token = "1234567890123456789", "w" * 68
    env = {
        "DISCORD_WEBHOOK_URL": f"https://discord.com/api/webhooks/{hook_id}/{token}",
        "NEWSBOT_DISCORD_API_URL": fake.api_url,
    }

    async def go() -> tuple[str | None, DeliveryError]:
        async with running(fake, commands, env) as adapter:
            mid = await adapter.send_alert(Target("discord", "anything"), make_alert("@everyone hi"))
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", f"dm:{USER_ID}"), make_alert())
            return mid, info.value

    mid, error = run(go())
    (post,) = fake.received("POST", rf"/webhooks/{hook_id}/{token}")
    assert post.query.get("wait") in ("1", "true")
    assert post.body["allowed_mentions"] == {"parse": []}
    assert post.body["embeds"][0]["title"] == "@\u200beveryone hi"
    assert mid == fake.messages_by_id[str(mid)]["id"]
    assert error.permanent and "DISCORD_BOT_TOKEN" in str(error)
    assert not fake.gateway_frames and not fake.received("GET", "/users/@me")


def test_webhook_mode_on_an_unreachable_api_is_transient(commands: Commands, closed_port: int) -> None:
    env = {
        "DISCORD_WEBHOOK_URL": "https://discord.com/api/webhooks/1234567890123456789/" + "w" * 68,
        "NEWSBOT_DISCORD_API_URL": f"http://127.0.0.1:{closed_port}/api/v10",
    }

    async def go() -> DeliveryError:
        adapter = DiscordAdapter.from_env(env, DiscordConfig(), commands)
        await adapter.start()
        try:
            with pytest.raises(DeliveryError) as info:
                await adapter.send_alert(Target("discord", "x"), make_alert())
            return info.value
        finally:
            await adapter.stop()

    error = run(go())
    assert not error.permanent and "cannot reach Discord" in str(error)


# -- application commands ------------------------------------------------------------------


def shown(text: str) -> str:
    """Text as Discord renders it: Markdown escapes consumed."""
    return re.sub(r"\\(.)", r"\1", text)


def reply_of(fake: FakeDiscord, interaction: str) -> dict[str, Any]:
    (callback,) = fake.callbacks(interaction)
    body: dict[str, Any] = callback.body
    return body


def test_commands_answer_the_caller_only(fake: FakeDiscord, commands: Commands) -> None:
    async def ask(name: str, options: dict[str, Any] | None = None, channel: str = ALERTS) -> dict[str, Any]:
        interaction, _ = fake.interact(name, options, channel=channel)
        await fake.until(lambda: fake.callbacks(interaction), 15)
        return reply_of(fake, interaction)

    async def go() -> dict[str, dict[str, Any]]:
        async with running(fake, commands):
            return {
                "subscribe": await ask("subscribe", {"item": "kursk"}, DESK),
                "dm": await ask("subscribe", {"item": "North Korea", "dm": True}),
                "again": await ask("subscribe", {"item": "kursk"}, DESK),
                "lang": await ask("subscribe", {"item": "kursk", "lang": "fr"}, DESK),
                "subscriptions": await ask("subscriptions", channel=DESK),
                "typo": await ask("subscribe", {"item": "kursck"}),
                "hostile": await ask("subscribe", {"item": "@everyone"}),
                "watchlist": await ask("watchlist"),
                "feeds": await ask("feeds"),
                "unsubscribe": await ask("unsubscribe", {"item": "kursk"}, DESK),
            }

    replies = run(go())
    for name, body in replies.items():
        assert body["type"] == 4, name
        assert body["data"]["flags"] & EPHEMERAL, name
        assert body["data"]["allowed_mentions"] == {"parse": []}, name
    text = {name: shown(body["data"]["content"]) for name, body in replies.items()}
    assert text["subscribe"] == "Subscribed #kursk-desk to Kursk (kursk). New alerts will be posted there."
    assert text["dm"].startswith("Subscribed your direct messages to North Korea")
    assert "already subscribed" in text["again"]
    assert "now translated into French" in text["lang"]
    assert "#kursk-desk: Kursk (kursk) (in French)" in text["subscriptions"]
    assert "Did you mean kursk?" in text["typo"]
    assert "@everyone" not in text["hostile"] and "@\u200beveryone" in text["hostile"]
    assert "north-korea: North Korea" in text["watchlist"]
    assert text["feeds"] == "No feeds polled yet."
    assert text["unsubscribe"].startswith("Unsubscribed #kursk-desk from Kursk")
    subs = commands.subs.subscriptions()
    assert (Target("discord", f"dm:{USER_ID}"), "north-korea") in subs
    assert not [s for s in subs if s[0].channel == DESK]


def test_brief_is_deferred_then_answered_in_a_followup(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> tuple[str, str]:
        async with running(fake, commands):
            interaction, token = fake.interact("brief", {"item": "kursk", "since": "48h"})
            await fake.until(lambda: fake.followups(token), 15)
            return interaction, token

    interaction, token = run(go())
    deferred = reply_of(fake, interaction)
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    (followup,) = fake.followups(token)
    assert followup.body["flags"] & EPHEMERAL
    assert followup.body["allowed_mentions"] == {"parse": []}
    (embed,) = followup.body["embeds"]
    assert embed["title"] == "Brief: Kursk, last 2 days"
    assert embed["description"] == "No alerts for kursk in the last 2 days."


def test_autocomplete_offers_watch_item_ids(fake: FakeDiscord, commands: Commands) -> None:
    async def go() -> str:
        async with running(fake, commands):
            interaction, _ = fake.interact("subscribe", {"item": "kor"}, autocomplete="item")
            await fake.until(lambda: fake.callbacks(interaction), 15)
            return interaction

    body = reply_of(fake, run(go()))
    assert body["type"] == 8
    assert body["data"]["choices"][0] == {"name": "North Korea (north-korea)", "value": "north-korea"}
