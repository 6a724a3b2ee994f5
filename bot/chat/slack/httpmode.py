"""Slack's HTTP mode: the aiohttp server Slack calls, and the checks before bolt reads a request.

With ``SLACK_SIGNING_SECRET`` (and no app token), Slack POSTs slash commands to the bot's
own port. Every request must carry a valid v0 signature no older than five minutes, may not
be a replay of one already answered, and must be text bolt can parse; anything else is
refused here, unread by bolt.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp

log = logging.getLogger(__name__)

SIGNATURE_MAX_AGE = 300
"""Seconds a signed HTTP request stays valid, as Slack and bolt have it."""


def _signed(raw: bytes, timestamp: str | None, signature: str | None, secret: str) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes of its timestamp.

    Computed here rather than with slack_sdk's ``SignatureVerifier``, which decodes the
    body as UTF-8 first and so cannot tell a forged request from a signed one that is not
    text.
    """
    if not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest(f"v0={mac.hexdigest()}".encode(), signature.encode(errors="replace"))


SEEN_SIGNATURES_MAX = 10_000
"""Signed requests remembered at most (Slack sends far fewer in five minutes); past this
the one closest to going stale anyway is forgotten first."""


class SeenSignatures:
    """The signed requests already answered, for as long as their signature is valid.

    A signature covers its timestamp, so a captured request can be sent again unchanged
    for five minutes; remembering (timestamp, signature) until the timestamp goes stale
    refuses the repeat. Memory is bounded: stale entries are pruned on every request, and
    at most ``limit`` are kept.
    """

    def __init__(
        self,
        max_age: float = SIGNATURE_MAX_AGE,
        limit: int = SEEN_SIGNATURES_MAX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age, self.limit, self._clock = max_age, limit, clock
        self._seen: set[tuple[str, str]] = set()
        self._expiry: list[tuple[float, tuple[str, str]]] = []  # a heap, soonest first

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, timestamp: str, signature: str) -> bool:
        """Remember this request; False if it was seen before (a replay)."""
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            self._seen.discard(heapq.heappop(self._expiry)[1])
        key = (timestamp, signature)
        if key in self._seen:
            return False
        while len(self._seen) >= self.limit:
            self._seen.discard(heapq.heappop(self._expiry)[1])
        self._seen.add(key)
        heapq.heappush(self._expiry, (int(timestamp) + self.max_age, key))
        return True


def signed_requests_only(signing_secret: str, seen: SeenSignatures | None = None) -> Any:
    """aiohttp middleware for HTTP mode: a request must be signed and readable before
    slack-bolt parses it.

    bolt decodes and parses the body (``{...}`` as JSON, form fields, the charset the
    request names) before it checks the signature, and raises on what it cannot read: any
    stranger who reaches the port could fill the log with tracebacks and get 500s. Here an
    unsigned or stale request gets 401 unread, so does a replay of a signed one (``seen``),
    and a signed body that is not text in a known charset, or that bolt cannot parse, gets
    400 and one line in the log.
    """
    seen = seen if seen is not None else SeenSignatures()

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        raw = await request.read()  # cached: bolt reads the same bytes
        headers = request.headers
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        if not _signed(raw, timestamp, signature, signing_secret):
            return web.Response(status=401, text="invalid request")
        assert timestamp is not None and signature is not None  # _signed checked both
        if not seen.first_time(timestamp, signature):
            log.warning("Slack HTTP: refused a replayed request (its signature was already used)")
            return web.Response(status=401, text="invalid request")
        try:
            raw.decode(request.charset or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            log.warning("Slack HTTP: refused a signed request whose body is not text (%s)", exc)
            return web.Response(status=400, text="the body is not text")
        try:
            return await handler(request)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("Slack HTTP: refused a signed request bolt cannot parse (%r)", exc)
            return web.Response(status=400, text="malformed request")

    return guard


async def listen(app: AsyncApp, host: str, port: int, path: str, signing_secret: str) -> web.AppRunner:
    """Serve ``app`` on ``host:port`` at ``path``, signed requests only; the runner to clean up.

    ``port`` 0 picks a free one (:func:`bound_port` says which).
    """
    web_app = app.web_app(path=path, port=port)
    web_app.middlewares.append(signed_requests_only(signing_secret))
    runner = web.AppRunner(web_app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


def bound_port(runner: web.AppRunner | None) -> int | None:
    """The port a running server listens on (the one picked, when asked for port 0)."""
    if runner is None:
        return None
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
