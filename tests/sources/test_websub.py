"""WebSub against a local fake hub: subscribe, verify, signed pushes, polling fallback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from bot.sources.websub import MAX_LEASE, callback_key, signature_ok
from tests.localserver import FeedServer, rss
from tests.runtime.test_feed_polling import NEWS, make_bot, run

pytestmark = pytest.mark.network


async def until(check: Callable[[], object], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


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
            secret = form["hub.secret"]
            key = callback_key(secret)
            assert form["hub.callback"] == f"https://bot.example/websub/{key}"
            callback = f"http://127.0.0.1:{websub.port}/{key}"
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
                # Settled: a push the callback took in would be ingesting or delivering now.
                await until(lambda: not (websub._tasks or bot.worker.running()))
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
            assert bot.poller.next_poll[feed.url] - before >= timedelta(hours=2)
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
    assert bot.store.websub.websub(feed.url) is None
    state = bot.store.feeds.feed_state(feed.url)
    assert state is not None and state.consecutive_failures == 0 and state.items_seen == 1


class Hub:
    """A fake hub: records subscription requests and answers 202."""

    def __init__(self, feed_server: FeedServer) -> None:
        self.forms: list[dict[str, str]] = []
        feed_server.routes["/hub"] = self.handle

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", "0"))
        form = parse_qs(h.rfile.read(length).decode())
        self.forms.append({k: v[0] for k, v in form.items()})
        h.send_response(202)
        h.send_header("Content-Length", "0")
        h.end_headers()


def _websub_bot(tmp_path: Path, feed_server: FeedServer) -> tuple[Any, Hub, str]:
    hub = Hub(feed_server)
    topic = feed_server.url("/rss")
    link = f'<atom:link rel="hub" href="{feed_server.url("/hub")}"/>'
    feed_server.static("/rss", rss([], title="Pushed Wire", extra=link))
    bot, _ = make_bot(
        tmp_path, [topic],
        "websub: {callback_url: 'https://bot.example/websub', listen_port: 0}\n",
    )
    return bot, hub, topic


def test_a_verification_at_a_path_computed_from_the_feed_url_is_refused(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The old callback path was sha256(feed url)[:24]: anyone could compute it and confirm
    (or deny) a subscription. The path is now keyed by the subscription's random secret."""
    bot, hub, topic = _websub_bot(tmp_path, feed_server)
    feed = bot.settings.feeds[0]

    async def go() -> tuple[int, str, bool]:
        try:
            await bot.start()
            await bot.poll_feed(feed)
            guessable = hashlib.sha256(topic.encode()).hexdigest()[:24]
            port = bot.websub.port
            async with httpx.AsyncClient() as forger:
                forged = await forger.get(f"http://127.0.0.1:{port}/{guessable}", params={
                    "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": "f-1",
                    "hub.lease_seconds": "864000"})
            return forged.status_code, hub.forms[0]["hub.callback"], bot.websub.is_active(
                feed.url)
        finally:
            await bot.close()

    status, callback, active = asyncio.run(go())
    assert status == 404 and not active
    assert hashlib.sha256(topic.encode()).hexdigest()[:24] not in callback
    sub = bot.store.websub.websub(feed.url)
    assert sub is not None and sub.state == "requested"


def _verify(port: int, key: str, **params: str) -> httpx.Response:
    query = {f"hub.{k}": v for k, v in params.items()}
    return httpx.get(f"http://127.0.0.1:{port}/{key}", params=query)


def test_only_a_pending_subscription_is_verified_and_the_lease_is_clamped(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    bot, hub, topic = _websub_bot(tmp_path, feed_server)
    feed = bot.settings.feeds[0]

    async def go() -> list[tuple[int, str]]:
        try:
            await bot.start()
            await bot.poll_feed(feed)
            port, key = bot.websub.port, hub.forms[0]["hub.callback"].rsplit("/", 1)[1]
            answers = []
            for params in (
                # an unsubscribe we never asked for
                {"mode": "unsubscribe", "topic": topic, "challenge": "u-1"},
                # the real one, with a ten-year lease
                {"mode": "subscribe", "topic": topic, "challenge": "s-1",
                 "lease_seconds": str(10 * 365 * 86400)},
                # replayed once answered: nothing is pending any more
                {"mode": "subscribe", "topic": topic, "challenge": "s-2",
                 "lease_seconds": "9" * 400},
                {"mode": "denied", "topic": topic},
            ):
                r = await asyncio.to_thread(_verify, port, key, **params)
                answers.append((r.status_code, r.text))
            return answers
        finally:
            await bot.close()

    answers = asyncio.run(go())
    assert [a[0] for a in answers] == [404, 200, 404, 404]
    assert answers[1][1] == "s-1"
    sub = bot.store.websub.websub(feed.url)
    assert sub is not None and sub.state == "active" and sub.expires_at is not None
    assert sub.expires_at <= datetime.now(UTC) + MAX_LEASE


def test_a_huge_lease_is_clamped_not_an_error(tmp_path: Path, feed_server: FeedServer) -> None:
    bot, hub, topic = _websub_bot(tmp_path, feed_server)
    feed = bot.settings.feeds[0]

    async def go() -> tuple[int, str]:
        try:
            await bot.start()
            await bot.poll_feed(feed)
            port, key = bot.websub.port, hub.forms[0]["hub.callback"].rsplit("/", 1)[1]
            r = await asyncio.to_thread(
                _verify, port, key, mode="subscribe", topic=topic, challenge="big-1",
                lease_seconds="9" * 400,
            )
            return r.status_code, r.text
        finally:
            await bot.close()

    assert asyncio.run(go()) == (200, "big-1")
    sub = bot.store.websub.websub(feed.url)
    assert sub is not None and sub.expires_at is not None
    assert sub.expires_at <= datetime.now(UTC) + MAX_LEASE


def test_a_renewal_keeps_the_callback_and_secret(tmp_path: Path, feed_server: FeedServer) -> None:
    bot, hub, topic = _websub_bot(tmp_path, feed_server)
    feed = bot.settings.feeds[0]

    async def go() -> None:
        try:
            await bot.start()
            await bot.poll_feed(feed)
            assert bot.websub is not None
            await bot.websub.subscribe(feed, feed_server.url("/hub"), topic)
        finally:
            await bot.close()

    asyncio.run(go())
    first, renewal = hub.forms
    assert renewal["hub.secret"] == first["hub.secret"]
    assert renewal["hub.callback"] == first["hub.callback"]
    assert int(first["hub.lease_seconds"]) <= MAX_LEASE.total_seconds()
