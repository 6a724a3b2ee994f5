"""`newsbot run` with Slack credentials, against a local Slack: what a channel really gets."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from bot.commands.dispatch import Commands
from tests.chat.conftest import SEED_TITLE, Home
from tests.fakes.slack import FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROUTED = "C0ROUTED"


def header(post: dict[str, Any]) -> str:
    return str(post["blocks"][0]["text"]["text"])


def socket_mode(home: Home, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Any:
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    routes = [{"platform": "slack", "channel": ROUTED, "items": ["north-korea"]}]
    return home.write_config(routes, **extra)


def test_seed_alert_reaches_the_routed_channel_as_blocks(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    bot = start_bot(socket_mode(home, fake_slack, monkeypatch))
    posts = fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert")
    bot.stop()
    assert len(posts) == 1
    post = posts[0]
    assert SEED_TITLE in header(post)
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    for words in ("North Korea", "Kursk", "Choe Son Hui", "Antony Blinken", "Corée du Nord"):
        assert words in blocks
    assert post["metadata"]["event_type"] == "newsbot_alert"
    assert post["text"].endswith(header(post)) or SEED_TITLE in post["text"]
    call = fake_slack.received("chat.postMessage", channel=ROUTED)[0]
    assert call.headers["Authorization"] == "Bearer xoxb-1111-2222-fakebottoken"


KURSK_DOC = """Ukrainian units dig in around Kursk as winter sets in

Fighting continued on Tuesday in the Russian border region of Kursk, where Ukrainian
units have held a strip of land since August, a regional official said. "We are holding
every village we took," a Ukrainian commander told reporters near the front.
"""


def test_subscribe_in_a_channel_then_an_alert_arrives_there(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    start_bot(socket_mode(home, fake_slack, monkeypatch))
    fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert")
    fake_slack.wait_connected()

    sent = fake_slack.slash("/subscribe", "kursk", channel_id="C0NEWS", channel_name="news")
    fake_slack.wait_for(lambda: sent.acked_at, 10, "the ack")
    reply = fake_slack.wait_for(lambda: fake_slack.received("response_url"), what="the reply")
    assert reply[0].body["response_type"] == "ephemeral"
    assert reply[0].body["text"] == "Subscribed #news to Kursk (kursk). New alerts will be posted there."
    assert not fake_slack.posts("C0NEWS"), "the seed was alerted before the subscription"

    home.add_seed("kursk-front.txt", KURSK_DOC)
    posts = fake_slack.wait_for(lambda: fake_slack.posts("C0NEWS"), what="the new alert")
    assert "Ukrainian units dig in around Kursk" in header(posts[0])
    assert "Kursk" in json.dumps(posts[0]["blocks"])
    # The route for north-korea does not get a Kursk-only story.
    fake_slack.wait_for(home.outbox_settled, what="the outbox to settle")
    assert [header(p) for p in fake_slack.posts(ROUTED)] == [header(fake_slack.posts(ROUTED)[0])]


def test_brief_is_acked_at_once_and_answered(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    """Slack wants the ack within 3 seconds: it must not wait for the answer, however
    long the answer takes (here: until the test lets it go)."""
    release = threading.Event()
    run_text = Commands.run_text

    async def slow(self: Commands, *args: Any, **kw: Any) -> Any:
        await asyncio.to_thread(release.wait, 60)
        return await run_text(self, *args, **kw)

    monkeypatch.setattr(Commands, "run_text", slow)
    start_bot(socket_mode(home, fake_slack, monkeypatch))
    fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert")
    fake_slack.wait_connected()

    sent = fake_slack.slash("/brief", "north korea 48h")
    fake_slack.wait_for(lambda: sent.acked_at, 30, "the ack, with the answer still held")
    assert not fake_slack.received("response_url")
    release.set()
    url = sent.payload["response_url"]
    answer = fake_slack.wait_for(
        lambda: [c for c in fake_slack.received("response_url") if c.body["_url"] == url],
        what="the brief",
    )[0].body
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"].startswith("Brief: North Korea, last 2 days")
    assert SEED_TITLE in json.dumps(answer["blocks"], ensure_ascii=False)

    typo = fake_slack.slash("/subscribe", "kursck")
    wrong = fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.received("response_url")
            if c.body["_url"] == typo.payload["response_url"]
        ],
        what="the answer to a typo",
    )[0].body
    assert "Did you mean kursk?" in wrong["text"]
    assert not fake_slack.posts("C0NEWS")


def test_rate_limit_is_retried_after_the_delay_slack_asked_for(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    fake_slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=2)
    start_bot(socket_mode(home, fake_slack, monkeypatch))
    fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the retried alert")
    first, second = fake_slack.received("chat.postMessage", channel=ROUTED)[:2]
    assert (first.status, first.ok) == (429, False)
    assert second.ok
    assert second.at - first.at >= 2.0, "retried before Retry-After"
    assert second.body["blocks"] == first.body["blocks"]
    fake_slack.wait_for(home.outbox_settled, what="the outbox to settle")
    assert len(fake_slack.posts(ROUTED)) == 1  # the delivery is sent: nothing posts it twice


def test_missing_channel_fails_at_once_and_tells_the_admin_channel(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    fake_slack.fail("chat.postMessage", error="channel_not_found", channel=ROUTED)
    start_bot(socket_mode(home, fake_slack, monkeypatch, slack={"admin_channel": "C0ADMIN"}))
    notice = fake_slack.wait_for(lambda: fake_slack.posts("C0ADMIN"), what="the admin notice")
    text = notice[0]["text"]
    assert "C0ROUTED" in text and "channel_not_found" in text and "invite the bot" in text
    fake_slack.wait_for(home.outbox_settled, what="the outbox to settle")
    assert len(fake_slack.received("chat.postMessage", channel=ROUTED)) == 1, "retried a lost cause"


HOSTILE_MD = """---
title: "<!channel> Pyongyang & Moscow <@U0BOSS> sign deal <https://evil.example|click> <!here>"
url: "javascript:alert(1)"
source: "Wire <!everyone>"
language: en
---

North Korea and Russia signed a deal in Pyongyang on Monday, officials said. "This is
a <!channel> moment for us," said Kim Example, a spokesman, as reporters gathered.
"""


def _rss(title: str) -> bytes:
    from email.utils import format_datetime

    from bot.store.db import utcnow

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Hostile Wire</title><link>http://wire.example/</link>
<item><title>{title}</title><link>http://wire.example/a?x=1&amp;y=&lt;2&gt;</link>
<guid>hostile-1</guid><pubDate>{format_datetime(utcnow())}</pubDate>
<description>North Korea sent troops to Russia, officials in Pyongyang said on Monday.</description>
</item></channel></rss>""".encode()


def test_feed_and_seed_text_cannot_ping_or_link(
    home: Home,
    fake_slack: FakeSlack,
    feed_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    start_bot: Any,
) -> None:
    feed_server.static("/rss", _rss("&lt;!channel&gt; North Korea &amp; Russia &lt;@U0BOSS&gt;"))
    home.add_seed("hostile.md", HOSTILE_MD)
    feeds = [{"url": feed_server.url("/rss"), "name": "Hostile Wire", "interval": "5m"}]
    start_bot(socket_mode(home, fake_slack, monkeypatch, feeds=feeds))
    posts = fake_slack.wait_for(
        lambda: len(fake_slack.posts(ROUTED)) >= 3 and fake_slack.posts(ROUTED),
        what="seed, hostile seed and feed alerts",
    )
    raw = json.dumps(posts, ensure_ascii=False)
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<https://evil", "javascript:"):
        assert ping not in raw
    hostile = next(p for p in posts if "Pyongyang &amp; Moscow" in header(p))
    assert "&lt;!channel&gt;" in header(hostile) and "&lt;@U0BOSS&gt;" in header(hostile)
    links = [e for b in hostile["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" in e]
    assert not links, "a javascript: button"
    feed = next(p for p in posts if "Hostile Wire" in json.dumps(p["blocks"]))
    assert "North Korea &amp; Russia" in header(feed)
    assert "&lt;!channel&gt;" in header(feed)


def test_commands_work_again_after_slack_asks_for_a_reconnect(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    start_bot(socket_mode(home, fake_slack, monkeypatch))
    fake_slack.wait_connected()
    assert fake_slack.connections_opened == 1
    fake_slack.disconnect()
    fake_slack.wait_for(
        lambda: fake_slack.sockets_accepted == 2 and len(fake_slack._sockets) == 1,
        20,
        "a new connection in place of the old one",
    )
    assert fake_slack.connections_opened == 2, "reconnected without asking for a new URL"
    sent = fake_slack.slash("/subscriptions", channel_id="C0NEWS", channel_name="news")
    fake_slack.wait_for(lambda: sent.acked_at, 10, "the ack on the new connection")
    answer = fake_slack.wait_for(lambda: fake_slack.received("response_url"), what="the answer")
    assert answer[0].body["text"].startswith("#news has no subscriptions.")
