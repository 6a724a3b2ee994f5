"""WebSub against a local fake hub: subscribe, verify, signed pushes, polling fallback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sources.websub import feed_key, signature_ok
from tests.localserver import FeedServer, rss
from tests.test_feed_polling import NEWS, make_bot, run

pytestmark = pytest.mark.network


def test_signature_check() -> None:
    body = b"<rss/>"
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature_ok("s3cret", body, good)
    assert signature_ok("s3cret", body, "sha1=" + hmac.new(b"s3cret", body, "sha1").hexdigest())
    assert not signature_ok("other", body, good)
    assert not signature_ok("s3cret", body + b" ", good)
    assert not signature_ok("s3cret", body, None)
    assert not signature_ok("s3cret", body, "md5=abc")


def test_subscribe_verify_push_and_poll_less_often(tmp_path: Path, feed_server: FeedServer) -> None:
    hub_requests: list[dict[str, list[str]]] = []

    def hub(h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", "0"))
        hub_requests.append(parse_qs(h.rfile.read(length).decode()))
        h.send_response(202)
        h.send_header("Content-Length", "0")
        h.end_headers()

    feed_server.routes["/hub"] = hub
    link = f'<atom:link rel="hub" href="{feed_server.url("/hub")}"/>'
    topic = feed_server.url("/rss")
    feed_server.static("/rss", rss([], title="Pushed Wire", extra=link))
    bot, chat = make_bot(
        tmp_path,
        [topic],
        "websub: {callback_url: 'https://bot.example/websub', listen_port: 0, "
        "poll_interval: 2h}\n",
    )
    assert bot.websub is not None
    websub = bot.websub
    feed = bot.settings.feeds[0]

    async def go() -> tuple[int, str, int, int]:
        try:
            await bot.start()
            await bot.poll_feed(feed)  # discovers the hub and subscribes
            assert len(hub_requests) == 1
            form = {k: v[0] for k, v in hub_requests[0].items()}
            assert form["hub.mode"] == "subscribe" and form["hub.topic"] == topic
            assert form["hub.callback"] == f"https://bot.example/websub/{feed_key(topic)}"
            secret = form["hub.secret"]
            callback = f"http://127.0.0.1:{websub.port}/{feed_key(topic)}"
            async with httpx.AsyncClient() as hub_client:
                # A challenge for a topic we never asked for is refused.
                bad = await hub_client.get(callback, params={
                    "hub.mode": "subscribe", "hub.topic": "http://other.example/",
                    "hub.challenge": "x1"})
                ok = await hub_client.get(callback, params={
                    "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "c-123",
                    "hub.lease_seconds": "86400"})
                assert websub.is_active(feed.url)
                body = rss([NEWS], title="Pushed Wire")
                forged = await hub_client.post(callback, content=body, headers={
                    "Content-Type": "application/rss+xml",
                    "X-Hub-Signature": "sha256=" + "0" * 64})
                await asyncio.sleep(0.5)
                assert chat.alerts == []  # a forged push is acknowledged and dropped
                sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                pushed = await hub_client.post(callback, content=body, headers={
                    "Content-Type": "application/rss+xml",
                    "X-Hub-Signature": f"sha256={sig}"})
            for _ in range(50):
                await bot.deliver()
                if chat.alerts:
                    break
                await asyncio.sleep(0.1)
            before = datetime.now(UTC)
            await bot.poll_feed(feed)
            assert bot.next_poll[feed.url] - before >= timedelta(hours=2)
            return bad.status_code, ok.text, forged.status_code, pushed.status_code
        finally:
            await bot.close()

    bad, echoed, forged, pushed = asyncio.run(go())
    assert (bad, echoed, forged, pushed) == (404, "c-123", 202, 202)
    assert [a.title for a in chat.alerts] == [NEWS["title"]]


def test_no_callback_url_means_no_websub(tmp_path: Path, feed_server: FeedServer) -> None:
    link = f'<atom:link rel="hub" href="{feed_server.url("/hub")}"/>'
    feed_server.static("/rss", rss([], extra=link))
    bot, _ = make_bot(tmp_path, [feed_server.url("/rss")])
    assert bot.websub is None

    run(bot, bot.poll_feed(bot.settings.feeds[0]))
    assert [p for p, _ in feed_server.requests] == ["/rss"]




def test_a_hub_address_too_long_to_store_is_not_asked_at_every_poll(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The store cannot keep a 3,000-character hub URL whole, so it could never recognise
    the subscription again: such a hub is left alone, and the feed is simply polled."""
    asked: list[str] = []

    def hub(h: BaseHTTPRequestHandler) -> None:
        asked.append(h.path)
        h.send_response(202)
        h.send_header("Content-Length", "0")
        h.end_headers()

    feed_server.routes["/hub"] = hub
    long_hub = feed_server.url("/hub") + "?tenant=" + "t" * 3000
    feed_server.static("/rss", rss([NEWS], extra=f'<atom:link rel="hub" href="{long_hub}"/>'))
    bot, chat = make_bot(
        tmp_path,
        [feed_server.url("/rss")],
        "websub: {callback_url: 'https://bot.example/websub', listen_port: 0}\n",
    )
    feed = bot.settings.feeds[0]

    async def go() -> None:
        try:
            await bot.start()
            await bot.poll_feed(feed)
            await bot.poll_feed(feed)
        finally:
            await bot.close()

    asyncio.run(go())
    assert asked == []
    assert bot.store.websub(feed.url) is None
    state = bot.store.feed_state(feed.url)
    assert state is not None and state.consecutive_failures == 0 and state.items_seen == 1
