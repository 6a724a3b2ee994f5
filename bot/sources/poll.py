"""One poll of one feed: a conditional GET through ``http``, then ``parse_feed``.

Feeds are served by servers that time out, redirect, send HTML error pages, anti-bot
pages or gigabytes. ``fetch_feed`` never raises for any of that: it returns a
``FeedResult`` whose ``error`` is one line an admin can act on, and the poller moves on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx

from bot.models import Article
from bot.settings.sections import FeedConfig
from bot.sources.feeds import FeedError, parse_feed
from bot.sources.http import (
    CHALLENGE_STATUSES,
    Refused,
    connect_reason,
    download,
    host_of,
    trust_of,
)
from bot.sources.metadata import join_url, safe_url
from bot.text import clean_line, one_line

log = logging.getLogger(__name__)

_CHALLENGE = re.compile(
    rb"just a moment|captcha|cf-chl|challenge-platform|attention required|checking your browser"
    rb"|ddos-guard|are you a robot|access denied|verify you are human",
    re.I,
)
MAX_RETRY_AFTER = 24 * 3600.0
"""A Retry-After further out than a day is read as a day: the feed is checked again then."""

Status = Literal["ok", "not_modified", "error"]


@dataclass(frozen=True)
class FeedResult:
    """The outcome of one poll. Store ``etag``/``last_modified`` for the next poll, and when
    ``permanent_redirect`` is set, store ``final_url`` as the feed's new address."""

    status: Status
    articles: tuple[Article, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect: bool = False
    feed_title: str | None = None
    error: str | None = None
    retry_after: float | None = None
    """Seconds the server asked us to wait (429/503 Retry-After), capped at a day."""
    hub: str | None = None
    topic: str | None = None
    """WebSub: the hub the feed advertises (body or Link header) and the topic URL."""


MAX_VALIDATOR = 512
"""Longest ETag / Last-Modified kept for the next conditional request."""


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified fit to be sent back: printable ASCII, of sane length.

    A server may send ``ETag: ²``; sent back as ``If-None-Match``, httpx refuses to
    encode it and every later poll of the feed would raise before reaching the network.
    """
    if value and value.isascii() and value.isprintable() and len(value) <= MAX_VALIDATOR:
        return value
    return None


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: FeedConfig,
    *,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    timeout: float,
    url: str | None = None,
) -> FeedResult:
    """Poll one feed. Never raises for network or parse trouble: see ``FeedResult.error``.

    ``url`` is where to fetch it now (the stored ``final_url`` after a permanent redirect);
    articles keep ``feed:<configured url>`` as their ``source_id`` either way. ``timeout``
    bounds the whole poll (all redirects and the body), so a server that trickles one byte
    a second cannot hold a worker.
    """
    start = url or feed.url
    etag, last_modified = _validator(etag), _validator(last_modified)
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    def failed(message: str, final_url: str | None = None) -> FeedResult:
        return FeedResult(
            status="error",
            etag=etag,
            last_modified=last_modified,
            final_url=final_url or start,
            error=message,
        )

    hops = [start]
    try:
        async with asyncio.timeout(timeout):
            status, resp_headers, body, final_url, permanent = await download(
                client, hops, trust_of(feed), headers, max_bytes, timeout
            )
    except Refused as e:
        return failed(str(e))
    except (TimeoutError, httpx.TimeoutException):
        return failed(f"timed out after {timeout:g}s")
    except (httpx.ConnectError, OSError) as e:
        return failed(connect_reason(e, host_of(hops[-1])))
    except httpx.UnsupportedProtocol as e:
        return failed(f"unsupported URL: {one_line(e)}")
    except httpx.InvalidURL as e:  # httpx parses a redirect's Location before we see it
        return failed(f"{host_of(hops[-1])} answered with a URL that cannot be used: {one_line(e)}")
    except httpx.HTTPError as e:
        reason = one_line(e) or type(e).__name__
        return failed(f"connection to {host_of(hops[-1])} failed: {reason}")

    new_etag = _validator(resp_headers.get("etag")) or etag
    new_modified = _validator(resp_headers.get("last-modified")) or last_modified
    if status == 304:
        return FeedResult(
            status="not_modified",
            etag=new_etag,
            last_modified=new_modified,
            final_url=final_url,
            permanent_redirect=permanent,
        )
    if status != 200:
        return FeedResult(
            status="error",
            etag=etag,
            last_modified=last_modified,
            final_url=final_url,
            permanent_redirect=permanent,
            error=http_error(status, resp_headers, body),
            retry_after=retry_after(resp_headers) if status in (429, 503) else None,
        )
    try:
        # Off the loop: a large feed takes feedparser a noticeable time.
        parsed = await asyncio.to_thread(
            parse_feed,
            body,
            url=final_url,
            feed=feed,
            content_type=resp_headers.get("content-type"),
        )
    except FeedError as e:
        return failed(str(e), final_url)
    except Exception as e:  # feedparser on hostile input: report, never crash the poller
        log.warning("feed %s: parser crashed", feed.label, exc_info=True)
        return failed(f"could not parse feed: {one_line(e) or type(e).__name__}", final_url)
    hub = parsed.hub or link_header_hub(resp_headers, final_url)
    return FeedResult(
        status="ok",
        articles=parsed.articles,
        etag=new_etag,
        last_modified=new_modified,
        final_url=final_url,
        permanent_redirect=permanent,
        feed_title=clean_line(parsed.title) or None,  # already clean; kept so by contract
        hub=hub,
        topic=(parsed.self_url or link_header_self(resp_headers, final_url) or final_url)
        if hub
        else None,
    )


def is_challenge(status: int, headers: httpx.Headers, body: bytes) -> bool:
    """An anti-bot interstitial (Cloudflare's "Just a moment", a captcha) rather than an
    error of the feed itself: the fix is on the publisher's side (allow our user agent)."""
    if status not in CHALLENGE_STATUSES:
        return False
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    kind = headers.get("content-type", "").lower()
    return ("html" in kind or body.lstrip()[:1] == b"<") and bool(_CHALLENGE.search(body))


def http_error(status: int, headers: httpx.Headers, body: bytes) -> str:
    if is_challenge(status, headers, body):
        return f"blocked by an anti-bot page (HTTP {status})"
    if status == 429:
        return "HTTP 429 (rate limited by the publisher)"
    return f"HTTP {status}"


def retry_after(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # "²".isdigit() too, and float() refuses it
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _link_header(headers: httpx.Headers, base: str, rel: str) -> str | None:
    for value in headers.get_list("link"):
        for part in value.split(","):
            m = re.match(r"\s*<([^>]*)>(.*)$", part)
            if not m:
                continue
            rels = re.search(r'rel\s*=\s*"?([^";]+)"?', m.group(2), re.I)
            if rels and rel in rels.group(1).lower().split():
                href = safe_url(m.group(1))
                return join_url(base, href) if href else None
    return None


def link_header_hub(headers: httpx.Headers, base: str) -> str | None:
    """WebSub discovery through the HTTP ``Link`` header (``<...>; rel="hub"``)."""
    return _link_header(headers, base, "hub")


def link_header_self(headers: httpx.Headers, base: str) -> str | None:
    return _link_header(headers, base, "self")
