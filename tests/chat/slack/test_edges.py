"""Slack at its edges (issue 14, items 11, 13, 14): who may change a channel, replayed
HTTP requests, and feed text that must never broadcast. The real slack_bolt and slack_sdk
talk to the local Slack in tests/fakes/slack.py."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.chat.slack.adapter import SlackAdapter
from bot.commands.dispatch import Commands
from bot.models import Alert, Digest, Match, Quote, Target
from tests.fakes.slack import APP_TOKEN, BOT_TOKEN, Envelope, FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

SECRET = "3c9f1d0e5a7b42e8a1f0c6d9b8e7a6f5"


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
    assert asked == ["C0NEWS", "C0NEWS", "C0NEWS", "C0DESK", "C0OPS"]
    scope = [r.getMessage() for r in caplog.records if "cannot tell who created" in r.getMessage()]
    assert scope == [
        "Slack: cannot tell who created C0OPS (missing_scope); only admins may change its "
        "subscriptions. Add the channels:read and groups:read scopes."
    ]


# -- item 13: a signed HTTP request is answered once -------------------------------------


def signed(body: str, when: float | None = None) -> dict[str, str]:
    ts = str(int(time.time() if when is None else when))
    mac = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={mac}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def test_http_mode_refuses_a_replayed_signed_request(
    fake_slack: FakeSlack, commands: Commands, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> tuple[list[int], int]:
        adapter = SlackAdapter(
            commands, bot_token=BOT_TOKEN, signing_secret=SECRET, api_url=fake_slack.api_url,
            http_port=0, http_host="127.0.0.1",
        )
        await adapter.start()
        try:
            url = f"http://127.0.0.1:{adapter.http_bound_port}/slack/events"
            payload = fake_slack.slash_payload("/unsubscribe", "")
            body = urlencode(payload)
            headers = signed(body)
            async with httpx.AsyncClient(timeout=10) as http:
                first = await http.post(url, content=body, headers=headers)
                await until(lambda: fake_slack.received("response_url"), what="the first answer")
                replay = await http.post(url, content=body, headers=headers)
                # The same command signed again by Slack (a new timestamp) is a new request.
                again = await http.post(url, content=body, headers=signed(body, time.time() + 1))
                await until(lambda: len(fake_slack.received("response_url")) >= 2, what="answers")
            return [first.status_code, replay.status_code, again.status_code], len(
                fake_slack.received("response_url")
            )
        finally:
            await adapter.stop()

    statuses, answered = asyncio.run(asyncio.wait_for(go(), 60))
    assert statuses == [200, 401, 200]
    assert answered == 2
    replays = [r for r in caplog.records if "replayed" in r.getMessage()]
    assert [r.levelno for r in replays] == [logging.WARNING]


def test_the_memory_of_signatures_forgets_stale_ones_and_stays_bounded() -> None:
    from bot.chat.slack.httpmode import SeenSignatures

    now = [1_700_000_000.0]
    seen = SeenSignatures(max_age=300, limit=3, clock=lambda: now[0])
    t = int(now[0])
    assert seen.first_time(str(t), "v0=a")
    assert not seen.first_time(str(t), "v0=a")
    assert seen.first_time(str(t), "v0=b") and seen.first_time(str(t + 200), "v0=c")
    assert seen.first_time(str(t + 250), "v0=d")  # full: the soonest to go stale is dropped
    assert len(seen) == 3
    now[0] += 301  # a and b went stale: their signatures are refused by age now anyway
    assert seen.first_time(str(t + 300), "v0=e")
    assert len(seen) == 3 and not seen.first_time(str(t + 200), "v0=c")
    now[0] += 10_000
    assert seen.first_time(str(int(now[0])), "v0=f") and len(seen) == 1


# -- item 14: feed text never broadcasts, on any Slack surface -------------------------------

HOSTILE = "Ultras chant @everyone, @here and @Channel <!channel> <@U0BOSS> at the derby"
BROADCAST = re.compile(r"@(?:channel|here|everyone)\b|<[!@#]", re.IGNORECASE)


def hostile_alert(id: str = "h1") -> Alert:
    return Alert(
        id=id,
        title=HOSTILE,
        source_name="@channel Daily",
        language="en",
        matches=(Match("kursk", "Kursk", "entity", 2, 5.0, ("Kursk",), in_title=True),),
        quotes=(Quote("Tell @here and @everyone: <!here> we are in Kursk", "@channel"),),
        url="https://news.example/derby?a=1&b=2",
        lead="Kursk fans wrote @everyone on a banner.",
    )


def strings_and_mrkdwn(value: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every string a payload carries, and every mrkdwn text object in it."""
    texts: list[str] = []
    objects: list[dict[str, Any]] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            texts.append(v)
        elif isinstance(v, dict):
            if v.get("type") == "mrkdwn":
                objects.append(v)
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return texts, objects


def assert_cannot_broadcast(body: dict[str, Any], what: str) -> None:
    blocks = body.get("blocks")
    if isinstance(blocks, str):  # slack_sdk sends blocks as a JSON string in form posts
        body = {**body, "blocks": json.loads(blocks)}
    texts, objects = strings_and_mrkdwn({k: v for k, v in body.items() if k != "_url"})
    found = [t for t in texts if BROADCAST.search(t)]
    assert not found, f"{what} carries a broadcast: {found}"
    assert all(o.get("verbatim") is True for o in objects), f"{what}: mrkdwn without verbatim"
    assert any("@\u200beveryone" in t for t in texts), f"{what} lost the words themselves"


class BriefWithHostileHeadlines(Commands):
    """``/brief`` answered from a store holding a hostile headline."""

    async def brief(self, item: str | None = None, since: str | None = None) -> Digest:
        return Digest(title="Brief: all watch items, last 1 day", alerts=(hostile_alert(),))


def test_feed_text_cannot_broadcast_on_any_slack_surface(
    fake_slack: FakeSlack, commands: Commands
) -> None:
    channel = Target("slack", "C0NEWS")
    answering = BriefWithHostileHeadlines(commands.store, commands._watchlist)

    async def go() -> str:
        async with socket_mode(fake_slack, answering) as slack:
            ts = await slack.send_alert(channel, hostile_alert())
            assert ts is not None
            await slack.update_alert(channel, ts, hostile_alert())
            await slack.send_digest(channel, Digest("Burst: Kursk", (hostile_alert(), hostile_alert("h2"))), "b1")
            await slack.send_notice(channel, f"Delivery of '{HOSTILE}' to C0GONE failed for good")
            sent = fake_slack.slash("/brief", "")
            await reply(fake_slack, sent)
            return str(sent.payload["response_url"])

    url = asyncio.run(asyncio.wait_for(go(), 60))
    surfaces = {
        "alert": fake_slack.received("chat.postMessage")[0].body,
        "update": fake_slack.received("chat.update")[0].body,
        "digest": fake_slack.received("chat.postMessage")[1].body,
        "notice": fake_slack.received("chat.postMessage")[2].body,
        "/brief reply": next(c.body for c in fake_slack.received("response_url") if c.body["_url"] == url),
    }
    for what, body in surfaces.items():
        assert_cannot_broadcast(body, what)
    # The fallback text a notification shows is plain text too: broken, not dropped.
    assert "@\u200beveryone" in surfaces["alert"]["text"]
