"""HTTP for feeds, article pages and WebSub hubs: every hop vetted, every body bounded.

A URL in a feed is written by a stranger. A fetch follows redirects itself so that each
target is vetted (only the admin-configured origin may be private), connects only to
addresses the pinned transport vetted, reads at most the size cap even of a gzip bomb,
and fails with a ``Refused`` whose text is one line an admin can act on.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import zlib
from urllib.parse import urljoin, urlsplit

import httpx

from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.sources.netguard import (
    AddressRefused,
    PinnedTransport,
    Resolver,
    Trust,
    is_public_address,
    origin_of,
    trusting,
)
from bot.text import human_size, one_line

MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
CHALLENGE_STATUSES = frozenset({403, 429, 503})
"""Statuses an anti-bot page comes with: of these, the start of the body is read."""
ERROR_BODY_BYTES = 32 * 1024
"""Of an error response, only this much is read: enough to recognise an anti-bot page."""
ACCEPT_ENCODING = "gzip, deflate"
"""The encodings we can decompress with a bound on the output (not br or zstd, which httpx
would offer when their modules happen to be installed)."""
_RAW_CHUNK = 16 * 1024


def trust_of(feed: FeedConfig) -> Trust:
    """The one origin an admin vouched for by configuring ``feed``."""
    return Trust.of(feed.url, allow_private=feed.allow_private)


def make_client(settings: Settings, resolver: Resolver | None = None) -> httpx.AsyncClient:
    """The one HTTP client for feeds and article pages: our user agent, bounded timeouts,
    a pool as large as the global fetch limit, HTTP/2 where a server offers it, no
    automatic redirects (``download`` follows them itself to vet each hop), and a
    transport that connects only to addresses it has vetted (see ``netguard``; tests
    pass their own ``resolver``)."""
    timeout = settings.fetch_timeout.total_seconds()
    size = max(settings.max_fetches, 4)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.AsyncClient(
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,
        transport=PinnedTransport(limits=limits, http2=True, resolver=resolver),
    )


class Refused(Exception):
    """A fetch stopped for a reason already phrased for the admin."""


def host_of(url: str) -> str:
    """The host to name in an error about ``url`` (the URL itself if it has none)."""
    return urlsplit(url).hostname or url


def connect_reason(exc: BaseException, host: str) -> str:
    """Why a connection to ``host`` failed, in words an admin can act on (DNS, refused,
    TLS, an address netguard refused), from anywhere in the exception's chain."""
    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    refused = next((c for c in chain if isinstance(c, AddressRefused)), None)
    if refused is not None:
        return str(refused)
    text = " ".join(str(c) for c in chain).lower()
    if any(isinstance(c, socket.gaierror) for c in chain) or any(
        s in text
        for s in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
            "getaddrinfo failed",
        )
    ):
        return f"cannot reach host {host} (DNS lookup failed)"
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or "refused" in text:
        return f"cannot reach host {host} (connection refused)"
    if any(isinstance(c, ssl.SSLError) for c in chain) or "certificate" in text:
        return f"TLS error with host {host}: {one_line(chain[-1])}"
    return f"cannot reach host {host} ({one_line(chain[-1]) or type(chain[-1]).__name__})"


async def vet(target: str, trust: Trust, what: str = "redirect to") -> None:
    """Refuse a URL the admin did not write if it is no web URL or a private address.

    Only literal addresses are judged here; a host name is resolved once, by the
    connection, which vets every address it got and connects to that very address
    (``netguard.PinnedBackend``): a second lookup here could get a different answer. The
    configured origin passes; the connection trusts it on a private address only when
    ``trust`` says so. Any other origin, even another port of the same host, must be public.
    """
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{what} unsupported URL {target!r} refused")
    if trust.origin is not None and origin_of(target) == trust.origin:
        return
    host = parts.hostname
    ip = _literal_ip(host)
    if ip is not None and not is_public_address(ip):
        raise Refused(f"{what} private address refused ({host})")


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _refusal(exc: BaseException) -> AddressRefused | None:
    e: BaseException | None = exc
    for _ in range(10):
        if e is None:
            return None
        if isinstance(e, AddressRefused):
            return e
        e = e.__cause__ or e.__context__
    return None


class _TooBig(Exception):
    pass


class _Inflater:
    """zlib decompression that never produces more than ``limit`` bytes in all: a 200 KB
    gzip bomb holds 200 MB, and decoding each network chunk whole (as httpx does) makes
    tens of MB before any size check can look at them."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.deflate = encoding == "deflate"
        wbits = zlib.MAX_WBITS if self.deflate else zlib.MAX_WBITS | 16
        self._z = zlib.decompressobj(wbits)
        self._first = True
        self.over = False

    def feed(self, data: bytes) -> bytes:
        """The output for ``data``; at most one byte past the limit, then ``over`` is set."""
        if self._first and self.deflate and data:
            self._first = False
            try:  # "deflate" is zlib-wrapped by the RFC and raw by many servers
                zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:2])
            except zlib.error:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        out: list[bytes] = []
        while data and not self._z.eof and not self.over:
            room = self.limit - self.size + 1  # one byte more than allowed tells "too big"
            try:
                piece = self._z.decompress(data, room)
            except zlib.error as e:
                raise httpx.DecodingError(f"bad compressed data: {e}") from e
            self.size += len(piece)
            self.over = self.size > self.limit
            out.append(piece)
            data = self._z.unconsumed_tail
        return b"".join(out)


def _decoders(headers: httpx.Headers, limit: int) -> list[_Inflater]:
    """One bounded inflater per ``Content-Encoding`` layer, outermost first."""
    layers = []
    for value in reversed(headers.get_list("content-encoding", split_commas=True)):
        name = value.strip().lower()
        if name in ("", "identity"):
            continue
        if name in ("gzip", "x-gzip"):
            layers.append(_Inflater("gzip", limit))
        elif name == "deflate":
            layers.append(_Inflater("deflate", limit))
        else:
            raise Refused(f"unsupported content encoding {one_line(name)[:40]!r}")
    return layers


async def _read_bounded(resp: httpx.Response, limit: int, *, truncate: bool = False) -> bytes:
    """The decoded body, at most ``limit`` bytes of it ever held: raw bytes are inflated
    as they arrive, with the bound on each step's output. Past the limit: ``_TooBig``, or
    the first ``limit`` bytes when ``truncate``."""
    layers = _decoders(resp.headers, limit)
    chunks: list[bytes] = []
    size = 0
    async for raw in resp.aiter_raw(_RAW_CHUNK):
        data = raw
        for layer in layers:
            data = layer.feed(data)
        size += len(data)
        chunks.append(data)
        if size > limit or any(layer.over for layer in layers):
            if truncate:
                return b"".join(chunks)[:limit]
            raise _TooBig
    return b"".join(chunks)


async def download(
    client: httpx.AsyncClient,
    hops_seen: list[str],
    trust: Trust,
    headers: dict[str, str],
    max_bytes: int,
    timeout: float,
) -> tuple[int, httpx.Headers, bytes, str, bool]:
    """``(status, headers, body, final_url, permanent)`` after vetted redirects.

    ``hops_seen`` starts with the URL to fetch; each redirect target is appended, so the
    caller can name the host that failed. Only the configured origin may be private, and
    only as ``trust`` says; every address is vetted at connect time too. Of a non-200
    response only the first ``ERROR_BODY_BYTES`` are read.
    """
    with trusting(trust):
        try:
            return await _download(client, hops_seen, trust, headers, max_bytes, timeout)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
            # Most often a kept-alive connection the server closed as we reused it: one
            # more try, on a new connection, before calling the feed broken.
            del hops_seen[1:]
            return await _download(client, hops_seen, trust, headers, max_bytes, timeout)


async def _download(
    client: httpx.AsyncClient,
    hops_seen: list[str],
    trust: Trust,
    headers: dict[str, str],
    max_bytes: int,
    timeout: float,
) -> tuple[int, httpx.Headers, bytes, str, bool]:
    url = hops_seen[-1]
    await vet(url, trust, "fetch from")  # a stored moved-to URL: re-check
    permanent = True
    hops = 0
    while True:
        try:
            return await _hop(client, url, headers, max_bytes, timeout, hops, permanent)
        except _Redirect as r:
            hops += 1
            if hops > MAX_REDIRECTS:
                raise Refused(f"too many redirects (more than {MAX_REDIRECTS})") from None
            permanent = permanent and r.permanent
            await vet(r.target, trust)
            url = r.target
            hops_seen.append(url)
        except httpx.ConnectError as e:
            refused = _refusal(e)
            if refused is not None and (hops or origin_of(url) != trust.origin):
                raise Refused(f"{'redirect to' if hops else 'fetch from'} {refused}") from e
            raise


class _Redirect(Exception):
    def __init__(self, target: str, permanent: bool) -> None:
        self.target = target
        self.permanent = permanent


async def _hop(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    timeout: float,
    hops: int,
    permanent: bool,
) -> tuple[int, httpx.Headers, bytes, str, bool]:
    """One request: the response, or ``_Redirect`` to where it points."""
    async with client.stream(
        "GET",
        url,
        headers={"Accept-Encoding": ACCEPT_ENCODING, **headers},
        timeout=httpx.Timeout(timeout),
    ) as resp:
        status = resp.status_code
        if status in _REDIRECTS and "location" in resp.headers:
            raise _Redirect(urljoin(url, resp.headers["location"]), status in _PERMANENT)
        if status != 200:
            preview = b""
            if status in CHALLENGE_STATUSES:
                preview = await _read_bounded(resp, ERROR_BODY_BYTES, truncate=True)
            return status, resp.headers, preview, url, permanent and hops > 0
        declared = resp.headers.get("content-length", "")
        too_big = f"response larger than {human_size(max_bytes)}, refused"
        if declared.isdigit() and int(declared) > max_bytes:
            raise Refused(too_big)
        try:
            body = await _read_bounded(resp, max_bytes)
        except _TooBig:
            raise Refused(too_big) from None
        return status, resp.headers, body, url, permanent and hops > 0
