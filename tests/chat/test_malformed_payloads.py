"""Malformed commands the fuzzers found, one test each: the adapters refuse them in
words and one log line, never with a 500, a traceback, a lost connection, or a request
to an address that is not Slack's. (The fuzzers themselves: ``test_chat_fuzz.py``.)"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.slack.adapter import SlackAdapter
from bot.chat.slack.commands import slack_response_url
from bot.commands.dispatch import Commands
from bot.models import Target
from bot.settings.sections import DiscordConfig
from tests.fakes.discord import GUILD_ID, FakeDiscord
from tests.fakes.discord import serve as serve_discord
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.localserver import FeedServer

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "r3gr3ss10n-s1gn1ng-s3cr3t-0123456"
FORM = "application/x-www-form-urlencoded"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR or "never retrieved" in r.getMessage()
    ]


# -- Slack HTTP mode ---------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac.hexdigest()}"}


@contextlib.asynccontextmanager
async def http_mode(fake: FakeSlack, commands: Commands) -> AsyncIterator[str]:
    adapter = SlackAdapter(
        commands, bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=fake.api_url,
        http_port=0, http_host="127.0.0.1",
    )
    await adapter.start()
    try:
        yield f"http://127.0.0.1:{adapter.http_bound_port}/slack/events"
    finally:
        await adapter.stop()


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{", {}, 401),  # unsigned: refused unread
        (b"\xff\xfe\x00garbage", {}, 401),
        (b"command=%2Fbrief", {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=0"}, 401),
        (b"{", "signed", 400),  # signed but not JSON, though it starts like JSON
        (b"command=%2Fbrief&text=\xc3\x28", "signed", 400),  # not UTF-8
        (b"command=%2Fbrief", "signed; charset=bogus-8", 400),
        (b"payload=%7Bnot+json", "signed", 400),
        (b"[1, 2]", "signed json", 400),
    ],
)
def test_slack_http_refuses_unsigned_or_unreadable_bodies_without_a_traceback(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture,
    body: bytes, headers: Any, status: int,
) -> None:
    async def go() -> httpx.Response:
        async with http_mode(fake_slack, commands) as url, httpx.AsyncClient() as http:
            sent = dict(headers) if isinstance(headers, dict) else sign(body)
            kind = "application/json" if headers == "signed json" else FORM
            if isinstance(headers, str) and "charset" in headers:
                kind += "; charset=bogus-8"
            return await http.post(url, content=body, headers={**sent, "Content-Type": kind})

    response = asyncio.run(go())
    assert response.status_code == status
    assert tracebacks(caplog) == []
    assert not fake_slack.received("response_url")


@pytest.mark.parametrize(
    ("url", "slack_would_send_it"),
    [
        ("https://hooks.slack.com/commands/T0FAKE/123/abc", True),
        ("https://hooks.slack-gov.com/commands/T0FAKE/123/abc", True),
        ("http://hooks.slack.com/commands/T0FAKE/123/abc", False),  # not https
        ("https://hooks.slack.com:8443/commands/x", False),
        ("https://hooks.slack.com.evil.example/commands/x", False),
        ("https://evilslack.com/x", False),
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://127.0.0.1:8080/admin", False),
        ("http://[::1]/", False),
        ("file:///etc/passwd", False),
        ("not a url", False),
        ("https://[::1", False),
        ("", False),
        (None, False),
        (["https://hooks.slack.com/x"], False),
    ],
)
def test_only_slack_response_urls_are_answered(url: object, slack_would_send_it: bool) -> None:
    assert slack_response_url(url) is slack_would_send_it


def test_the_configured_api_origin_counts_as_slack() -> None:
    api = "http://127.0.0.1:4000/api/"
    assert slack_response_url("http://127.0.0.1:4000/respond/1", api)
    assert not slack_response_url("http://127.0.0.1:4001/respond/1", api)
    assert not slack_response_url("https://127.0.0.1:4000/respond/1", api)


def test_a_command_whose_response_url_is_not_slacks_is_not_run_nor_answered_there(
    fake_slack: FakeSlack, commands: Commands, feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed_server.static("/", b"internal", content_type="text/plain")
    internal = feed_server.url("/")

    async def go() -> list[httpx.Response]:
        out = []
        async with http_mode(fake_slack, commands) as url, httpx.AsyncClient() as http:
            for response_url in (internal, None):
                fields = fake_slack.slash_payload("/subscribe", "kursk")
                if response_url is None:
                    del fields["response_url"]
                else:
                    fields["response_url"] = response_url
                body = urlencode(fields).encode()
                out.append(await http.post(url, content=body, headers={**sign(body), "Content-Type": FORM}))
        return out  # the adapter has stopped: whatever it was going to send, it has sent

    for response in asyncio.run(go()):
        assert response.status_code == 200
        assert "cannot be answered" in response.text  # the ack says why
    assert not feed_server.requests, "the bot POSTed to an address that is not Slack's"
    assert commands.subs.subscriptions() == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("channel", ["é" * 3000, "C0DESK?x=1", ""])
def test_a_channel_id_slack_never_issues_is_not_sent_to_the_web_api(
    channel: str, fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by the command fuzzer: the channel-manager check passed a fuzzed channel id
    of 6 kB to conversations.info (the fake's server refused the request line)."""

    async def go() -> httpx.Response:
        async with http_mode(fake_slack, commands) as url, httpx.AsyncClient() as http:
            body = urlencode(fake_slack.slash_payload(
                "/subscribe", "kursk", channel_id=channel, channel_name="desk"
            )).encode()
            return await http.post(url, content=body, headers={**sign(body), "Content-Type": FORM})

    response = asyncio.run(go())
    assert response.status_code == 200
    assert fake_slack.received("conversations.info") == []
    assert commands.subs.subscriptions() == []
    assert tracebacks(caplog) == []


def test_socket_mode_acks_a_command_without_a_response_url(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    async def go() -> Any:
        adapter = SlackAdapter(commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN,
                               api_url=fake_slack.api_url)
        await adapter.start()
        try:
            payload = fake_slack.slash_payload("/brief", "kursk")
            del payload["response_url"]
            envelope = fake_slack.push({"envelope_id": "e-1", "type": "slash_commands",
                                        "accepts_response_payload": True, "payload": payload})
            assert envelope is not None
            deadline = time.monotonic() + 10
            while envelope.acked_at is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return envelope.ack
        finally:
            await adapter.stop()

    ack = asyncio.run(go())
    assert ack is not None and "cannot be answered" in ack["payload"]["text"]
    assert tracebacks(caplog) == []


# -- Discord ----------------------------------------------------------------------------


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve_discord()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@contextlib.asynccontextmanager
async def discord_bot(fake: FakeDiscord, commands: Commands) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter.from_env(fake.env(), DiscordConfig(guild_ids=[int(GUILD_ID)]), commands)
    adapter.guild_ready_timeout = 0.2
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def answer_text(fake: FakeDiscord, interaction_id: str) -> str:
    (callback,) = fake.callbacks(interaction_id)
    return json.dumps(callback.body, ensure_ascii=False)


def test_a_malformed_interaction_does_not_end_the_gateway_connection(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord

    async def go() -> str:
        async with discord_bot(fake, commands):
            for broken in ("data", "token", "member"):
                data = fake.interaction_data("watchlist")
                del data[broken]
                await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", None)
            interaction_id, _ = await asyncio.to_thread(fake.interact, "watchlist")
            await fake.until(lambda: fake.callbacks(interaction_id), 20)
            return interaction_id

    interaction_id = asyncio.run(go())
    assert "kursk" in answer_text(fake, interaction_id)  # the next command is still served
    assert tracebacks(caplog) == []
    assert any("dropped a malformed INTERACTION_CREATE" in r.getMessage() for r in caplog.records)


def test_an_option_discord_py_cannot_read_is_answered_not_lost_in_a_task(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord

    async def go() -> str:
        async with discord_bot(fake, commands):
            data = fake.interaction_data("brief", [{"type": 3, "value": "kursk"}])  # no name
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
            await fake.until(lambda: fake.callbacks(data["id"]), 20)
            return str(data["id"])

    interaction_id = asyncio.run(go())
    assert "garbled" in answer_text(fake, interaction_id)
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("no-such-command", []),
        ("subscribe", [{"name": "dm", "type": 3, "value": "not a boolean"}]),
    ],
)
def test_an_unknown_command_or_wrong_option_type_is_answered_in_one_log_line(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
    name: str, options: list[dict[str, Any]],
) -> None:
    fake = fake_discord

    async def go() -> str:
        async with discord_bot(fake, commands):
            data = fake.interaction_data(name, options)
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
            await fake.until(lambda: fake.callbacks(data["id"]), 20)
            return str(data["id"])

    interaction_id = asyncio.run(go())
    assert "could not be run as sent" in answer_text(fake, interaction_id)
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    "options",
    [
        [{"name": "since", "type": 3, "value": "2", "focused": True}],  # /brief completes "item"
        [{"name": "nonsense", "type": 3, "value": "k", "focused": True}],
    ],
)
def test_an_autocomplete_for_an_option_we_do_not_complete_logs_no_traceback(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
    options: list[dict[str, Any]],
) -> None:
    """discord.py logged "Ignoring exception in autocomplete" with a traceback, as an error
    (found by the command fuzzer); the next command is still served."""
    fake = fake_discord

    async def go() -> str:
        async with discord_bot(fake, commands):
            data = fake.interaction_data("brief", options)
            data["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
            await fake.until(lambda: fake.callbacks(data["id"]), 20)
            interaction_id, _ = await asyncio.to_thread(fake.interact, "watchlist")
            await fake.until(lambda: fake.callbacks(interaction_id), 20)
            return interaction_id

    interaction_id = asyncio.run(go())
    assert tracebacks(caplog) == []
    assert "kursk" in answer_text(fake, interaction_id)


def test_subscribe_from_an_interaction_without_a_channel_subscribes_nothing(
    fake_discord: FakeDiscord, commands: Commands,
) -> None:
    fake = fake_discord

    async def go() -> str:
        async with discord_bot(fake, commands):
            data = fake.interaction_data("subscribe", [{"name": "item", "type": 3, "value": "kursk"}])
            del data["channel_id"], data["channel"]
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
            await fake.until(lambda: fake.callbacks(data["id"]), 20)
            return str(data["id"])

    interaction_id = asyncio.run(go())
    assert "needs a channel" in answer_text(fake, interaction_id)
    assert commands.subs.subscriptions() == []
    assert Target("discord", "None") not in {t for t, _ in commands.subs.subscriptions()}


def test_an_interaction_without_a_user_or_with_a_number_for_text_is_answered(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by the 1,200-payload run: /unsubscribe raised on an interaction naming no
    user, and on a number where the item's text belongs (a bug's traceback, no answer)."""
    fake = fake_discord

    async def go() -> tuple[str, str]:
        async with discord_bot(fake, commands):
            nobody = fake.interaction_data("unsubscribe", [])
            del nobody["member"]
            nobody.pop("user", None)
            number = fake.interaction_data("unsubscribe", [{"name": "item", "type": 3, "value": 2.5}])
            for data in (nobody, number):
                await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", data)
                await fake.until(lambda d=data: fake.callbacks(d["id"]), 20)
            return str(nobody["id"]), str(number["id"])

    nobody, number = asyncio.run(go())
    assert "who asked" in answer_text(fake, nobody)
    assert "2.5" in answer_text(fake, number)  # "no watch item 2.5", in words
    assert tracebacks(caplog) == []


# -- clicks on the buttons under alerts ------------------------------------------------


def feedback_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "bot.commands.feedback" and r.levelno == logging.WARNING]


def test_a_flood_of_clicks_is_dropped_after_a_few_with_one_log_line(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    """A hundred clicks at once from one person (a stuck mouse, a script): each is acked,
    the first twenty are looked at, the rest dropped without an answer, logged once."""
    message = {"ts": "1730000000.000100", "blocks": []}

    async def go() -> list[Any]:
        adapter = SlackAdapter(commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN,
                               api_url=fake_slack.api_url)
        await adapter.start()
        try:
            sent = [
                await asyncio.to_thread(
                    fake_slack.click, "C0NEWS", message, "nb:fb:v1:0123456789abcdef:useful",
                    user_id="U0FLOOD",
                )
                for _ in range(100)
            ]
            deadline = time.monotonic() + 30
            while any(e.acked_at is None for e in sent) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            while len(fake_slack.received("response_url")) < 20 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return sent
        finally:
            await adapter.stop()

    sent = asyncio.run(go())
    assert all(e.acked_at is not None for e in sent)
    answers = fake_slack.received("response_url")
    assert len(answers) == 20  # the refusals of the first twenty; the rest got none
    assert all("nothing was recorded" in a.body["text"] for a in answers)
    floods = [m for m in feedback_warnings(caplog) if "dropping clicks" in m]
    assert floods == ["feedback: dropping clicks from slack:U0FLOOD (more than 20 a minute)"]
    assert tracebacks(caplog) == []
    assert commands.feedback is not None and commands.feedback.feedback.ratings() == []


@pytest.mark.parametrize(
    ("channel", "action_id", "logged"),
    [
        ("C0NEWS", "nb:fb:v1:0123456789abcdef:useful", "matches no alert posted there"),
        ("C0NEWS", "nb:fb:v1:0123456789abcdef:drop-table", "refused a button"),
        ("C0NEWS", "nb:fb:v9:0123456789abcdef:useful", "refused a button"),
        ("", "nb:fb:v1:0123456789abcdef:useful", "refused a button"),
    ],
)
def test_a_click_on_an_alert_not_posted_there_or_a_forged_button_is_refused_politely(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture,
    channel: str, action_id: str, logged: str,
) -> None:
    async def go() -> list[Any]:
        adapter = SlackAdapter(commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN,
                               api_url=fake_slack.api_url)
        await adapter.start()
        try:
            payload = fake_slack.action_payload(channel, {"ts": "1.2", "blocks": []}, action_id)
            await asyncio.to_thread(fake_slack.interactive, payload)
            await fake_until(fake_slack, lambda: fake_slack.answers(payload["response_url"]))
            return fake_slack.answers(payload["response_url"])
        finally:
            await adapter.stop()

    (answer,) = asyncio.run(go())
    assert answer["response_type"] == "ephemeral"
    assert "nothing was recorded" in answer["text"]
    assert [m for m in feedback_warnings(caplog) if logged in m] and len(feedback_warnings(caplog)) == 1
    assert not fake_slack.received("chat.update")
    assert tracebacks(caplog) == []


async def fake_until(fake: FakeSlack, check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return check()
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def test_a_component_click_without_a_custom_id_or_with_garbage_is_dropped_and_logged(
    fake_discord: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_discord
    message = {"id": fake.snowflake(), "channel_id": "1200000000000000001", "author":
               {"id": "1", "username": "x", "discriminator": "0", "avatar": None},
               "content": "", "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None,
               "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
               "attachments": [], "embeds": [], "components": [], "pinned": False, "type": 0,
               "flags": 0}

    async def go() -> str:
        async with discord_bot(fake, commands):
            broken = fake.component_data(message, "nb:fb:v1:0123456789abcdef:useful")
            del broken["data"]["custom_id"]
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", broken)
            # discord.py cannot even look a dict up: dropped at the gateway, logged.
            unhashable = fake.component_data(message, {"not": "a string"})
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", unhashable)
            garbage = fake.component_data(message, 12345)
            await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", garbage)
            await fake.until(lambda: fake.callbacks(garbage["id"]), 20)
            return garbage["id"]

    garbage = asyncio.run(go())
    assert "not one of this bot's" in answer_text(fake, garbage)
    assert tracebacks(caplog) == []
    dropped = [r for r in caplog.records if "dropped a malformed INTERACTION_CREATE" in r.getMessage()]
    assert len(dropped) == 2  # no custom_id; a custom_id that is an object
    assert len(fake.received("POST", r"/interactions/.*")) == 1
