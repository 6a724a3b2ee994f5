"""WebSub (PubSubHubbub): the feeds that advertise a hub push new items to us.

Used only when the operator configured a public ``websub.callback_url`` (a reverse proxy to
``listen_port``). For a feed whose last poll named a hub, the bot asks the hub to subscribe
its callback; the hub proves the callback is ours with a challenge GET, then POSTs new
content signed with our per-subscription secret (``X-Hub-Signature``). A push goes through
the same parse and ingest as a poll. Leases are renewed before they run out, and pushed
feeds are still polled, at ``websub.poll_interval``, in case a hub drops a push.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx
from aiohttp import web

from bot.models import Article
from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.sources.feeds import FeedError, parse_feed
from bot.sources.http import trust_of, vet
from bot.sources.netguard import trusting
from bot.store.db import utcnow
from bot.store.websub import WebSubRepository, WebSubState

if TYPE_CHECKING:
    from bot.ingest.pipeline import IngestReport

log = logging.getLogger(__name__)

PushHandler = Callable[[FeedConfig, list[Article]], Awaitable["IngestReport"]]
MAX_HUB_URL = 2048
"""The longest hub or topic URL subscribed to (the store's column)."""
RENEW_BEFORE = 0.1
"""Renew when less than this share of the lease is left (and at least a day before)."""
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
            "sha512": hashlib.sha512}


MIN_LEASE = timedelta(seconds=60)
MAX_LEASE = timedelta(days=10)
"""A hub's ``hub.lease_seconds`` is clamped to this range: a ten-year lease would keep a
subscription "active" (and the feed polled rarely) long after the hub forgot it."""


def callback_key(secret: str) -> str:
    """The path segment of a subscription's callback URL, derived from its random secret.

    Only the hub we told learns it: a key computed from the feed URL (as before) let anyone
    forge a verification or a push. It reveals nothing of the secret that signs pushes.
    """
    return hmac.new(secret.encode(), b"newsbot websub callback", hashlib.sha256).hexdigest()[:32]


def clamp_lease(value: str | None, default: timedelta) -> timedelta:
    """``hub.lease_seconds`` as a lease between MIN_LEASE and MAX_LEASE; the configured lease
    when absent or not a number."""
    try:
        seconds = int(value or "")
    except ValueError:
        return max(MIN_LEASE, min(default, MAX_LEASE))
    if seconds >= MAX_LEASE.total_seconds():
        return MAX_LEASE
    return max(MIN_LEASE, timedelta(seconds=seconds))


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature: sha256=<hex HMAC of the body>`` (sha1/384/512 too), checked in
    constant time."""
    if not header or "=" not in header:
        return False
    method, _, given = header.partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


class WebSub:
    def __init__(
        self,
        settings: Settings,
        records: WebSubRepository,
        client: Callable[[], httpx.AsyncClient],
        on_push: PushHandler,
    ) -> None:
        self.settings = settings
        self.config = settings.websub
        self.records = records
        self._client = client
        self.on_push = on_push
        self.feeds = {f.url: f for f in settings.feeds}
        self._active: dict[str, WebSubState] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self.port: int | None = None

    # -- the callback server ---------------------------------------------------------------

    async def start(self) -> None:
        for sub in await asyncio.to_thread(self.records.websub_all):
            if sub.state == "active":
                self._active[sub.feed_url] = sub
        app = web.Application(client_max_size=self.settings.max_feed_bytes)
        app.router.add_get("/{key}", self._verify)
        app.router.add_post("/{key}", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.listen_host, self.config.listen_port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.config.listen_port
        log.info("WebSub callback listening on %s:%s", self.config.listen_host, self.port)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def callback_for(self, secret: str) -> str:
        assert self.config.callback_url
        return f"{self.config.callback_url}/{callback_key(secret)}"

    async def _subscription(self, key: str) -> tuple[FeedConfig, WebSubState] | None:
        """The configured feed and subscription whose callback key is ``key``."""
        found = None
        for sub in await asyncio.to_thread(self.records.websub_all):
            feed = self.feeds.get(sub.feed_url)
            if feed is not None and sub.secret and hmac.compare_digest(
                callback_key(sub.secret), key
            ):
                found = feed, sub
        return found

    async def _verify(self, request: web.Request) -> web.StreamResponse:
        """The hub's intent verification: echo the challenge only for a request we made
        and are waiting on (subscribe pending, same topic); anything else is a 404."""
        found = await self._subscription(request.match_info["key"])
        q = request.query
        mode, topic = q.get("hub.mode", ""), q.get("hub.topic", "")
        if found is None or topic != found[1].topic:
            return web.Response(status=404, text="unknown subscription")
        feed, sub = found
        if sub.state != "requested":  # nothing asked, or already answered: a replay
            return web.Response(status=404, text="not expecting this")
        if mode == "denied":
            reason = q.get("hub.reason", "no reason given")[:300]
            log.warning("WebSub hub %s denied %s: %s", sub.hub, feed.label, reason)
            await asyncio.to_thread(
                self.records.set_websub, feed.url, state="failed", last_error=f"denied: {reason}"
            )
            self._active.pop(feed.url, None)
            return web.Response(text="ok")
        challenge = q.get("hub.challenge", "")
        if mode != "subscribe" or not challenge:  # we never ask to unsubscribe
            return web.Response(status=404, text="not expecting this")
        expires = utcnow() + clamp_lease(q.get("hub.lease_seconds"), self.config.lease)
        await asyncio.to_thread(
            self.records.set_websub, feed.url, state="active", expires_at=expires, last_error=None
        )
        state = await asyncio.to_thread(self.records.websub, feed.url)
        if state is not None:
            self._active[feed.url] = state
        log.info("WebSub: %s subscribed at %s until %s", feed.label, sub.hub, f"{expires:%Y-%m-%d}")
        return web.Response(text=challenge, content_type="text/plain")

    async def _push(self, request: web.Request) -> web.StreamResponse:
        """New content from the hub. Always 2xx (the spec: a bad signature is ignored
        locally, not argued with); only a correctly signed body is ingested."""
        found = await self._subscription(request.match_info["key"])
        if found is None or found[1].state == "failed":
            return web.Response(status=404, text="unknown subscription")
        feed, sub = found
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("WebSub push for %s larger than the feed size cap, ignored", feed.label)
            return web.Response(status=413)
        if not signature_ok(sub.secret, body, request.headers.get("X-Hub-Signature")):
            log.warning("WebSub push for %s with a missing or wrong signature, ignored", feed.label)
            return web.Response(status=202)
        task = asyncio.get_running_loop().create_task(
            self._ingest(feed, sub.topic, body, request.headers.get("Content-Type"))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _ingest(
        self, feed: FeedConfig, topic: str, body: bytes, content_type: str | None
    ) -> None:
        try:
            parsed = await asyncio.to_thread(
                parse_feed, body, url=topic, feed=feed, content_type=content_type
            )
        except FeedError as e:
            log.warning("WebSub push for %s is not a feed: %s", feed.label, e)
            return
        except Exception:
            log.warning("WebSub push for %s: parser crashed", feed.label, exc_info=True)
            return
        try:
            await self.on_push(feed, list(parsed.articles))
        except Exception:
            log.exception("WebSub push for %s could not be ingested", feed.label)

    # -- subscribing -------------------------------------------------------------------------

    def is_active(self, feed_url: str) -> bool:
        sub = self._active.get(feed_url)
        return bool(sub and sub.expires_at and sub.expires_at > utcnow())

    async def discovered(self, feed: FeedConfig, hub: str, topic: str) -> None:
        """A poll found the feed's hub: subscribe, unless already (or just) asked."""
        if max(len(hub), len(topic)) > MAX_HUB_URL:
            # The store keeps no such address whole, so it would never recognise this
            # subscription again and would ask the hub anew at every poll.
            log.debug("WebSub: %s advertises a hub or topic URL too long to use", feed.label)
            return
        sub = await asyncio.to_thread(self.records.websub, feed.url)
        if sub is not None and sub.hub == hub and sub.topic == topic:
            if sub.state == "active" and not self._renewal_due(sub):
                return
            recently = sub.requested_at and utcnow() - sub.requested_at < timedelta(hours=1)
            if sub.state in ("requested", "failed") and recently:
                return
        await self.subscribe(feed, hub, topic)

    def _renewal_due(self, sub: WebSubState) -> bool:
        if sub.expires_at is None:
            return True
        lease = self.config.lease
        margin = max(timedelta(days=1) if lease > timedelta(days=2) else lease / 4,
                     lease * RENEW_BEFORE)
        return sub.expires_at - utcnow() < margin

    async def subscribe(self, feed: FeedConfig, hub: str, topic: str) -> bool:
        """Ask the hub; True when it accepted the request (verification comes separately).

        A renewal (same hub and topic) keeps the secret, so the callback stays the same and
        pushes signed while it is pending still check out; a new subscription gets a new one.
        """
        old = await asyncio.to_thread(self.records.websub, feed.url)
        same = old is not None and old.hub == hub and old.topic == topic and old.secret
        secret = old.secret if same and old is not None else secrets.token_hex(24)
        await asyncio.to_thread(
            self.records.set_websub, feed.url, hub=hub, topic=topic, secret=secret,
            state="requested", requested_at=utcnow(), last_error=None,
        )
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": self.callback_for(secret),
            "hub.secret": secret,
            "hub.lease_seconds": str(int(clamp_lease(None, self.config.lease).total_seconds())),
        }
        error = await self._post_hub(hub, form, feed)
        if error is None:
            log.info("WebSub: asked %s to push %s", hub, feed.label)
            return True
        log.warning("WebSub subscription of %s at %s failed: %s", feed.label, hub, error)
        await asyncio.to_thread(self.records.set_websub, feed.url, state="failed", last_error=error)
        return False

    async def _post_hub(self, hub: str, form: dict[str, str], feed: FeedConfig) -> str | None:
        # Same vetting as a redirect: a hub on a private address is refused unless it is the
        # feed's own, admin-configured origin and that may be private.
        client = self._client()
        trust = trust_of(feed)
        try:
            await vet(hub, trust, "WebSub hub at")
            with trusting(trust):
                resp = await client.post(
                    hub,
                    content=urlencode(form).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    timeout=self.settings.fetch_timeout.total_seconds(),
                )
        except Exception as e:  # any failure is one line on the subscription
            return str(e) or type(e).__name__
        if resp.status_code not in (202, 204):
            return f"hub answered HTTP {resp.status_code}"
        return None

    async def renew_due(self) -> int:
        """Renew every subscription close to the end of its lease; returns how many."""
        renewed = 0
        by_url = {f.url: f for f in self.settings.feeds}
        for sub in await asyncio.to_thread(self.records.websub_all):
            feed = by_url.get(sub.feed_url)
            if feed is None or sub.state != "active" or not self._renewal_due(sub):
                continue
            renewed += await self.subscribe(feed, sub.hub, sub.topic)
        return renewed
