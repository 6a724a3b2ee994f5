"""Malformed slash commands from every door into one running bot, which stays up and sane.

One bot (the CLI's ``make_bot`` + ``run_forever`` on its own loop, see ``conftest.RunningBot``)
listens in Slack HTTP mode and on Discord's gateway; a second Slack adapter in Socket Mode
is started on the same loop with the same commands and store, since one Slack adapter
runs in one mode. Hypothesis then sends it, through the real slack-bolt, slack_sdk and
discord.py code paths:

- signed HTTP POSTs with broken form bodies (missing fields, wrong types, huge text,
  control characters, unknown commands, invalid UTF-8 and percent-encoding, JSON, empty
  bodies, duplicated keys, bogus ``response_url``s), and some unsigned ones;
- Socket Mode frames with broken envelopes and payloads, and frames that are not JSON;
- INTERACTION_CREATE dispatches with unknown commands, wrong option types, missing
  options, absurd lengths, unknown fields, no member or user, no channel;
- clicks on the buttons under an alert: ``block_actions`` (signed HTTP and Socket Mode) and
  component interactions (type 3) with forged or garbage button ids, other channels,
  missing or mistyped fields.

Afterwards the bot must still be running, answer a valid ``/brief`` on all three paths,
have posted nothing to any channel, never have called a ``response_url`` outside Slack,
and have logged no traceback, and have stored only answers about alerts posted where clicked. ``make test`` sends 120 payloads; the ``longrun`` test
(``make test-slow``) sends 1,200: 500 HTTP, 350 Socket Mode, 350 Discord.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from hypothesis import given, settings
from hypothesis import strategies as st

import bot as newsbot_package
from bot.chat.slack.adapter import SlackAdapter
from bot.models import Target
from tests.chat.conftest import SEED_TITLE, Home, RunningBot
from tests.fakes.discord import ADMIN, ALERTS, GUILD_ID, USER_ID, FakeDiscord
from tests.fakes.discord import serve as serve_discord
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fuzzing import FUZZ, KNOWN_COMMANDS, command_names, command_text, huge, ids
from tests.localserver import FeedServer
from tests.localserver import serve as serve_http

pytestmark = [pytest.mark.network, pytest.mark.timeout(900)]

SECRET = "f0zz1ng-s1gn1ng-s3cr3t-0123456789"
ROUTED = "C0ROUTED"
SLACK_ADMIN = "C0ADMIN"


# -- what the bot logged -----------------------------------------------------------------


class LogTrap(logging.Handler):
    """Every record at WARNING or above, and any record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING or record.exc_info:
            with self._lock:
                self.records.append(record)

    def problems(self) -> list[str]:
        """Tracebacks and lost task exceptions, as one line each, except the one a library
        documents as its handling of a frame it cannot read (:func:`library_handled`)."""
        with self._lock:
            records = list(self.records)
        out = []
        for r in records:
            text = r.getMessage()
            if library_handled(r):
                continue
            if r.exc_info or "Traceback" in text or "never retrieved" in text:
                exc = r.exc_info[1] if r.exc_info else None
                out.append(f"{r.name}: {text[:300]} ({exc!r})"[:600])
        return out


def library_handled(record: logging.LogRecord) -> bool:
    """slack_sdk's Socket Mode client reads each frame inside a try that logs what it
    cannot read ("Failed to process a message", "Failed to run message listeners", with
    the traceback) and goes on reading: its documented handling of a frame Slack would
    never send (``{`` alone, ``payload: true``). Accepted only when the exception passed
    through slack_sdk's socket mode code and through none of the bot's own."""
    if not record.exc_info or not record.getMessage().startswith("Failed to"):
        return False
    files = []
    tb = record.exc_info[2]
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    ours = str(Path(newsbot_package.__file__).parent)
    return any("slack_sdk/socket_mode/" in f for f in files) and not any(
        f.startswith(ours) for f in files
    )


@pytest.fixture
def log_trap() -> Iterator[LogTrap]:
    trap = LogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    try:
        yield trap
    finally:
        root.removeHandler(trap)


# -- one bot, three doors ----------------------------------------------------------------


@dataclass
class Rig:
    bot: RunningBot
    slack: FakeSlack
    discord: FakeDiscord
    socket: SlackAdapter
    """The Socket Mode adapter, on the bot's loop, with the bot's commands."""
    http_url: str
    canary: FeedServer
    """A service on 127.0.0.1 the bot must never be made to call."""
    sent: dict[str, int] = field(default_factory=lambda: {"http": 0, "socket": 0, "discord": 0})
    answered: dict[str, int] = field(
        default_factory=lambda: {"http": 0, "socket": 0, "discord": 0}
    )
    statuses: Counter[int] = field(default_factory=Counter)
    """HTTP mode: how many requests got each status."""

    def channel_posts(self) -> int:
        """Messages in any channel: alerts, digests, admin notices (never command answers)."""
        discord = [
            r for r in self.discord.received("POST", r"/channels/\d+/messages") if r.status == 200
        ]
        return len(self.slack.received("chat.postMessage")) + len(discord)

    def on_bot_loop(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.bot.loop).result(timeout)


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve_discord()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def rig(
    home: Home,
    fake_slack: FakeSlack,
    fake_discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    log_trap: LogTrap,
) -> Iterator[Rig]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
        "NEWSBOT_SLACK_HTTP_HOST": "127.0.0.1",
        **fake_discord.env(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    routes = [
        {"platform": "slack", "channel": ROUTED, "items": ["all"]},
        {"platform": "discord", "channel": ALERTS, "items": ["all"]},
    ]
    config = home.write_config(
        routes,
        slack={"http_port": 0, "http_path": "/slack/events", "admin_channel": SLACK_ADMIN},
        discord={"guild_ids": [int(GUILD_ID)], "admin_channel": ADMIN},
    )
    bot = RunningBot(config)
    socket: SlackAdapter | None = None
    try:
        fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert on Slack")
        fake_discord.wait_for(lambda: fake_discord.posts(ALERTS))
        socket = SlackAdapter(
            bot.bot.commands, bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake_slack.api_url
        )
        asyncio.run_coroutine_threadsafe(socket.start(), bot.loop).result(60)
        fake_slack.wait_connected()
        with serve_http() as canary:
            canary.static("/", b"internal", content_type="text/plain")
            port = bot.bot.adapters["slack"].http_bound_port  # type: ignore[attr-defined]
            yield Rig(bot, fake_slack, fake_discord, socket, f"http://127.0.0.1:{port}/slack/events",
                      canary)
    finally:
        if socket is not None and bot.thread.is_alive():
            asyncio.run_coroutine_threadsafe(socket.stop(), bot.loop).result(30)
        bot.stop()


# -- Slack HTTP mode ---------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac.hexdigest()}"}


FORM = "application/x-www-form-urlencoded"
SLASH_COMMANDS = {f"/{name}" for name in KNOWN_COMMANDS}
slash_names = st.sampled_from(sorted(SLASH_COMMANDS)) | st.sampled_from(sorted(SLASH_COMMANDS)) | command_names
"""Mostly the bot's own commands (Slack sends only those), so most payloads reach them."""
mutation = st.sampled_from(["keep"] * 20 + ["drop", "junk", "huge"])
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value: what a field holds when its type is wrong."""


@dataclass
class SlackRequest:
    body: bytes
    content_type: str | None
    signature: str = "valid"
    """``valid``, ``forged`` (another secret), ``garbled`` (a timestamp that is no number)."""
    answer_at: str | None = None
    """The fake's response_url, where an answer is expected if Slack would get one."""
    note: str = ""


def response_urls(rig: Rig) -> st.SearchStrategy[tuple[str | None, bool]]:
    """(response_url or None for none at all, whether it is the fake Slack's own)."""
    fake = f"{rig.slack.base}/respond/{uuid.uuid4().hex}"
    canary = rig.canary.url("/")
    return st.sampled_from(
        [(fake, True)] * 10  # half of them Slack's own, so half can be answered
        + [
            (None, False),
            ("", False),
            (canary, False),
            (canary.replace("127.0.0.1", "localhost"), False),
            (f"http://[::1]:{rig.canary.port}/", False),
            (f"http://127.0.0.2:{rig.canary.port}/latest/meta-data/", False),
            (f"https://127.0.0.1:{rig.slack.port}/respond/x", False),  # the fake's host, not its scheme
            ("not a url", False),
            ("ftp://127.0.0.1/x", False),
            ("file:///etc/passwd", False),
            (f"https://hooks.slack.com.{rig.canary.port}.example/x", False),
        ]
    )


def button_ids(alert_id: str) -> st.SearchStrategy[Any]:
    """Button ids: the alert's own (so some clicks count), forged ones of our shape, an
    unknown version or action, another app's, and junk of any type."""
    ours = [f"nb:fb:v1:{alert_id}:{a}" for a in ("useful", "nr", "mute", "nr-entity", "nr-other")]
    return st.sampled_from(ours) | st.sampled_from(ours) | st.sampled_from([
        "nb:fb:v1:0123456789abcdef:useful", f"nb:fb:v2:{alert_id}:useful",
        f"nb:fb:v1:{alert_id}:delete", f"nb:fb:v1:{alert_id.upper()}:useful",
        f"nb:fb:v1:{alert_id}:useful:extra", "nb:fb:", "newsbot_open_article", "",
    ]) | st.text(max_size=60) | huge | json_junk


@st.composite
def slack_clicks(draw: st.DrawFn, rig: Rig) -> dict[str, Any] | Any:
    """A ``block_actions`` payload on the seed's alert, mutated like a command."""
    message = rig.slack.messages(ROUTED)[0]
    alert_id = message["metadata"]["event_payload"]["alert_id"]
    payload = rig.slack.action_payload(
        draw(st.sampled_from([ROUTED] * 4 + ["C0ELSEWHERE", "D0NOTHERE"])), message,
        draw(button_ids(alert_id)), user_id=draw(st.sampled_from(["U0ALICE", "U0BOB"]) | ids),
        ephemeral=draw(st.integers(0, 5)) == 0,
    )
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "junk", "huge"]))
        if action == "drop":
            del payload[key]
        else:
            payload[key] = draw(json_junk | ids) if action == "junk" else draw(huge)
    if draw(st.integers(0, 5)) == 0 and isinstance(payload.get("actions"), list):
        payload["actions"] = draw(st.lists(json_junk, max_size=3)) + payload["actions"][:1]
    if draw(st.integers(0, 19)) == 0:
        return draw(json_junk)
    return payload


@st.composite
def slack_requests(draw: st.DrawFn, rig: Rig) -> SlackRequest:
    fields: dict[str, Any] = rig.slack.slash_payload(draw(slash_names), draw(command_text))
    url, url_is_fake = draw(response_urls(rig))
    if url is None:
        del fields["response_url"]
    else:
        # A fresh path per example, so an answer is matched to its request.
        fields["response_url"] = url.replace("/respond/", f"/respond/{uuid.uuid4().hex}-", 1)
    answer_at = fields.get("response_url") if url_is_fake else None
    for key in list(fields):
        action = draw(mutation)
        if action == "drop":
            del fields[key]
        elif action == "junk":
            fields[key] = draw(st.text(max_size=30) | ids)
        elif action == "huge":
            fields[key] = draw(huge)
    if draw(st.integers(0, 9)) == 0:
        fields.update(draw(st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)))
    kind = draw(st.sampled_from(
        ["form"] * 5 + ["click"] * 2 + ["pairs", "json", "payload", "bytes", "percent", "empty"]
    ))
    content_type: str | None = FORM
    if kind == "click":  # a button under an alert: the interactivity envelope
        body = urlencode({"payload": json.dumps(draw(slack_clicks(rig)))}).encode()
    elif kind == "form":
        body = urlencode(fields).encode()
    elif kind == "pairs":  # keys given twice, the second value different
        pairs = list(fields.items())
        pairs += [(k, draw(command_names | command_text)) for k in draw(st.lists(
            st.sampled_from(["command", "text", "channel_id", "user_id", "response_url"]),
            min_size=1, max_size=3))]
        body = urlencode(draw(st.permutations(pairs))).encode()
    elif kind == "json":  # JSON where a form is expected, with fields of any type
        typed = {k: draw(st.just(v) | json_junk) for k, v in fields.items()}
        body = json.dumps(draw(st.just(typed) | json_junk)).encode()
        content_type = draw(st.sampled_from([FORM, "application/json", None]))
    elif kind == "payload":  # the interactivity envelope, holding anything
        body = urlencode({"payload": draw(st.text(max_size=40) | json_junk.map(json.dumps))}).encode()
    elif kind == "bytes":
        body = draw(st.binary(max_size=300)) + urlencode(fields).encode()[: draw(st.integers(0, 200))]
        body += draw(st.sampled_from([b"", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x00"]))
    elif kind == "percent":
        body = urlencode(fields).encode() + draw(
            st.sampled_from([b"%zz", b"&text=%C3%28", b"&text=%ED%A0%80", b"%", b"&=&&==", b"&%00=%00"])
        )
    else:
        body = b""
    if draw(st.integers(0, 7)) == 0:
        content_type = draw(st.sampled_from([
            "text/plain", "multipart/form-data; boundary=x", f"{FORM}; charset=bogus-8",
            f"{FORM}; charset=utf-16", "application/json; charset=utf-8", None,
        ]))
    well_formed_command = (
        kind in ("form", "percent")
        and answer_at is not None
        and fields.get("response_url") == answer_at
        and content_type == FORM
    )
    return SlackRequest(
        body=body,
        content_type=content_type,
        signature=draw(st.sampled_from(["valid"] * 10 + ["forged", "garbled"])),
        answer_at=answer_at if well_formed_command else None,
        note=kind,
    )


def fuzz_slack_http(rig: Rig, examples: int) -> None:
    http = httpx.Client(timeout=20)

    @settings(FUZZ, max_examples=examples)
    @given(request=slack_requests(rig))
    def send(request: SlackRequest) -> None:
        headers = sign(request.body, "forged" if request.signature == "forged" else SECRET)
        if request.signature == "garbled":
            headers["X-Slack-Request-Timestamp"] = "soon"
        if request.content_type is not None:
            headers["Content-Type"] = request.content_type
        response = http.post(rig.http_url, content=request.body, headers=headers)
        rig.sent["http"] += 1
        rig.statuses[response.status_code] += 1
        assert response.status_code < 500, (response.status_code, response.text[:200])
        if request.signature != "valid":
            # A body over aiohttp's limit (1 MiB, which bolt's web app keeps) is refused
            # before anything reads it, signature included.
            too_big = len(request.body) > 1024**2
            assert response.status_code == (413 if too_big else 401)
            return
        if response.status_code == 200 and request.answer_at is not None:
            # Slack would get an answer at its own response_url: the bot still answers.
            where = request.answer_at
            rig.slack.wait_for(
                lambda: [c for c in rig.slack.received("response_url") if c.body["_url"] == where],
                timeout=20,
                what=f"the answer at {where}",
            )
            rig.answered["http"] += 1

    try:
        send()
    finally:
        http.close()


# -- Slack Socket Mode -------------------------------------------------------------------


@st.composite
def socket_frames(draw: st.DrawFn, rig: Rig) -> dict[str, Any] | str:
    kind = draw(st.sampled_from(["envelope"] * 6 + ["click"] * 3 + ["bad-envelope", "not-json"]))
    if kind == "not-json":
        return draw(st.sampled_from(["", "{", "null", "[]", "42", '"hello"', "{\"type\": 5}"])
                    | st.text(max_size=50))
    if kind == "click":
        return {"envelope_id": str(uuid.uuid4()), "type": "interactive",
                "accepts_response_payload": False, "payload": draw(slack_clicks(rig))}
    payload: dict[str, Any] = rig.slack.slash_payload(draw(slash_names), draw(command_text))
    for key in list(payload):
        action = draw(mutation)
        if action == "drop":
            del payload[key]
        elif action == "junk":
            payload[key] = draw(json_junk | ids)
        elif action == "huge":
            payload[key] = draw(huge)
    frame: dict[str, Any] = {
        "envelope_id": str(uuid.uuid4()),
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }
    if kind == "bad-envelope":
        for key in draw(st.lists(st.sampled_from(sorted(frame)), max_size=4, unique=True)):
            frame[key] = draw(json_junk | st.sampled_from(
                ["events_api", "interactive", "hello", "slash_commands", "bogus"]))
        if draw(st.booleans()):
            frame.pop(draw(st.sampled_from(sorted(frame))), None)
    return frame


def fuzz_slack_socket(rig: Rig, examples: int) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(frame=socket_frames(rig))
    def send(frame: dict[str, Any] | str) -> None:
        envelope = rig.slack.push(frame)
        rig.sent["socket"] += 1
        payload = frame.get("payload") if isinstance(frame, dict) else None
        # A garbage "command" may be any JSON value (a list is not hashable): only a known
        # command's name is routed.
        command = payload.get("command") if isinstance(payload, dict) else None
        routed = isinstance(frame, dict) and frame.get("type") == "slash_commands" and isinstance(
            command, str) and command in SLASH_COMMANDS
        # A click: bolt routes every block_actions with a readable action (ours, or the
        # catch-all that logs a stranger's), so each is acked.
        actions = payload.get("actions") if isinstance(payload, dict) else None
        routed = routed or (
            isinstance(frame, dict) and frame.get("type") == "interactive"
            and isinstance(payload, dict) and payload.get("type") == "block_actions"
            and isinstance(actions, list) and bool(actions) and isinstance(actions[0], dict)
            and isinstance(actions[0].get("action_id"), str)
        )
        if envelope is not None and routed:
            # A command the bot has registered is acked, however odd its payload; Slack
            # never sends others (bolt leaves them unacked, and Slack tells the user).
            acked = rig.slack.wait_for(lambda: envelope.acked_at, timeout=5, what="the ack")
            assert acked
            rig.answered["socket"] += 1

    send()


# -- Discord -----------------------------------------------------------------------------


option_values = st.one_of(
    command_text, command_text, json_junk, huge, st.integers(-(2**70), 2**70), st.floats(), st.booleans()
)


@st.composite
def discord_options(draw: st.DrawFn) -> list[Any]:
    options = []
    for _ in range(draw(st.integers(0, 4))):
        option: dict[str, Any] = {
            "name": draw(st.sampled_from(["item", "since", "dm", "words", "focused", ""])
                         | st.text(max_size=10)),
            "type": draw(st.sampled_from([3, 3, 5]) | st.integers(1, 11)
                         | st.sampled_from([0, 99, -1, "3", None])),
            "value": draw(option_values),
        }
        if draw(st.integers(0, 5)) == 0:
            option.pop("value")
        if draw(st.integers(0, 5)) == 0:
            option["options"] = draw(discord_options())
        if draw(st.integers(0, 7)) == 0:
            option["focused"] = draw(json_junk)
        options.append(option)
    if draw(st.integers(0, 9)) == 0:
        return draw(st.lists(json_junk, max_size=3))
    return options


def drop(data: dict[str, Any], paths: list[str]) -> None:
    """Remove each dotted path (``member.user``) from ``data`` where it exists."""
    for path in paths:
        parent: Any = data
        *head, last = path.split(".")
        for part in head:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(last, None)


@st.composite
def interactions(draw: st.DrawFn, rig: Rig) -> Any:
    name = draw(st.sampled_from(KNOWN_COMMANDS) | st.sampled_from(KNOWN_COMMANDS)
                | st.sampled_from(["watch", "ping", ""]) | st.text(max_size=40) | huge)
    data = rig.discord.interaction_data(name, draw(discord_options()))
    data["type"] = draw(st.sampled_from([2] * 6 + [1, 3, 4, 5, 99]))
    droppable = [
        "member", "member.user", "user", "channel", "channel_id", "guild_id", "data.options",
        "data.name", "data.id", "locale", "app_permissions", "entitlements", "context",
        "authorizing_integration_owners", "data", "token", "version", "application_id", "id",
    ]
    drop(data, draw(st.lists(st.sampled_from(droppable), max_size=3, unique=True)))
    if "member" not in data and draw(st.booleans()):
        data["user"] = {"id": draw(ids), "username": draw(st.text(max_size=40)), "discriminator": "0",
                        "avatar": None}
    for key in draw(st.lists(st.sampled_from(["channel_id", "guild_id", "locale", "data.type"]),
                             max_size=2, unique=True)):
        target = data.get("data") if key.startswith("data.") else data
        if isinstance(target, dict):
            target[key.removeprefix("data.")] = draw(json_junk | ids)
    if draw(st.integers(0, 9)) == 0:
        data.update(draw(st.dictionaries(st.text(max_size=10), json_junk, max_size=3)))
    if draw(st.integers(0, 19)) == 0:
        return draw(json_junk)  # not even an object
    return data


@st.composite
def component_clicks(draw: st.DrawFn, rig: Rig) -> Any:
    """A click (type 3) on the seed's alert: custom ids forged or garbage, fields dropped
    or of the wrong type, the message missing or another's."""
    message = rig.discord.messages(ALERTS)[0]
    alert_id = message["components"][0]["components"][0]["custom_id"].split(":")[3]
    data = rig.discord.component_data(
        message, draw(button_ids(alert_id)),
        channel=draw(st.sampled_from([ALERTS] * 4 + [ADMIN, "1299999999999999999"])),
        user=draw(st.sampled_from([USER_ID, "1100000000000000077"]) | ids),
        permissions=draw(st.sampled_from(["2147483647", "0"])),
    )
    droppable = ["message", "message.id", "message.flags", "data.custom_id",
                 "data.component_type", "member", "channel_id", "data", "token", "id"]
    drop(data, draw(st.lists(st.sampled_from(droppable), max_size=2, unique=True)))
    if draw(st.integers(0, 5)) == 0:
        inner = data.get("data")
        if isinstance(inner, dict):
            inner[draw(st.sampled_from(["component_type", "values", "custom_id"]))] = draw(json_junk)
    return data


def fuzz_discord(rig: Rig, examples: int) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(data=interactions(rig) | component_clicks(rig))
    def send(data: Any) -> None:
        rig.discord.dispatch("INTERACTION_CREATE", data)
        rig.sent["discord"] += 1
        # The client answers a heartbeat request after it: it read the event and lives on.
        # The client read it and lives on: it reads what comes next, in order.
        name = f"Newsroom {rig.sent['discord']}"
        rig.discord.rename_guild(name)
        rig.discord.wait_for(lambda: getattr(guild(), "name", None) == name, timeout=20)

    def guild() -> Any:
        client = rig.bot.bot.adapters["discord"].client
        return client.get_guild(int(GUILD_ID)) if client is not None else None

    send()


# -- the checks after the storm ----------------------------------------------------------


def wait_quiet(rig: Rig, seconds: float = 1.0, timeout: float = 60) -> None:
    """Until nothing reached either fake for ``seconds``: the bot has answered what it will."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        now = len(rig.slack.received()) + len(rig.discord.received())
        if now == last:
            return
        last = now
        time.sleep(seconds)


def assert_still_serving(rig: Rig) -> None:
    """A valid /brief gets its answer on each path, with the seed's alert in it."""
    assert rig.bot.thread.is_alive() and rig.bot.error is None
    assert rig.on_bot_loop(asyncio.sleep(0, result="pong"), timeout=10) == "pong"
    fields = rig.slack.slash_payload("/brief", "north korea 7d")
    body = urlencode(fields).encode()
    response = httpx.post(rig.http_url, content=body,
                          headers={**sign(body), "Content-Type": FORM}, timeout=20)
    assert response.status_code == 200
    where = fields["response_url"]
    (answer,) = rig.slack.wait_for(
        lambda: [c for c in rig.slack.received("response_url") if c.body["_url"] == where],
        what="the /brief answer over HTTP",
    )
    assert SEED_TITLE in json.dumps(answer.body, ensure_ascii=False)

    envelope = rig.slack.slash("/brief", "kursk 7d")
    rig.slack.wait_for(lambda: envelope.acked_at, what="the Socket Mode ack")
    where = envelope.payload["response_url"]
    (answer,) = rig.slack.wait_for(
        lambda: [c for c in rig.slack.received("response_url") if c.body["_url"] == where],
        what="the /brief answer over Socket Mode",
    )
    assert SEED_TITLE in json.dumps(answer.body, ensure_ascii=False)

    _, token = rig.discord.interact("brief", {"since": "7d"})
    followups = rig.discord.wait_for(lambda: rig.discord.followups(token))
    assert SEED_TITLE in json.dumps(followups[-1].body, ensure_ascii=False)
    assert rig.discord.connected == 1


def run_storm(rig: Rig, log_trap: LogTrap, http: int, socket: int, discord: int) -> None:
    posts = rig.channel_posts()
    fuzz_slack_http(rig, http)
    fuzz_slack_socket(rig, socket)
    fuzz_discord(rig, discord)
    wait_quiet(rig)
    rig.answered["discord"] = len(rig.discord.received("POST", r"/interactions/.*"))
    print(f"\nsent {rig.sent}, answered {rig.answered}, HTTP statuses {dict(rig.statuses)}")
    assert rig.sent["http"] >= http and rig.sent["socket"] >= socket
    assert rig.sent["discord"] >= discord
    assert_still_serving(rig)
    assert rig.channel_posts() == posts, "the bot posted to a channel in answer to garbage"
    assert not rig.canary.requests, f"a response_url made the bot call {rig.canary.requests}"
    assert log_trap.problems() == []
    assert_no_stored_garbage(rig)


def assert_no_stored_garbage(rig: Rig) -> None:
    """Every stored answer is about an alert posted in the channel it names, and each
    person has one answer per alert and channel."""
    store = rig.bot.bot.store
    ratings = store.feedback.ratings()
    delivered = {(r.alert.id, r.platform, r.channel) for r in ratings}
    for alert_id, platform, channel in delivered:
        assert store.feedback.posted(alert_id, Target(platform, channel)) is not None
    assert {r.verdict for r in ratings} <= {"useful", "not_relevant"}
    keys = [(r.alert.id, r.platform, r.channel, r.user) for r in ratings]
    assert len(keys) == len(set(keys))
    print(f"stored {len(ratings)} answers from the storm's valid clicks")


def test_malformed_commands_never_crash_the_bot(rig: Rig, log_trap: LogTrap) -> None:
    run_storm(rig, log_trap, http=50, socket=35, discord=35)


@pytest.mark.longrun
def test_a_thousand_malformed_commands_never_crash_the_bot(rig: Rig, log_trap: LogTrap) -> None:
    run_storm(rig, log_trap, http=500, socket=350, discord=350)


