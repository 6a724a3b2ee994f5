"""RSS 2.0, RSS 1.0 and Atom feeds: fetched politely and safely, parsed into ``Article``s.

Feeds are written by strangers and served by servers that time out, redirect, send HTML
error pages or gigabytes. ``fetch_feed`` never raises for any of that: it returns a
``FeedResult`` whose ``error`` is one line an admin can act on, and the poller moves on.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import ipaddress
import logging
import re
import socket
import ssl
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from xml.parsers import expat

import feedparser
import httpx
from feedparser.encodings import convert_to_utf8

from bot.models import Article
from bot.settings.model import FeedConfig, Settings
from bot.sources.html import collapse_ws, html_to_text
from bot.sources.metadata import normalize_language, safe_url
from bot.sources.netguard import (
    AddressRefused,
    PinnedTransport,
    Resolver,
    Trust,
    is_public_address,
    origin_of,
    trusting,
)
from bot.text import clean_line, headline, human_size, strip_controls

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_TRACKING = re.compile(r"^(utm_[a-z_]*|fbclid|gclid|dclid|msclkid|mc_eid|mc_cid|igshid)$", re.I)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(?:rss|feed|RDF)[\s>]")
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html|html)", re.I | re.S
)

_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*\sencoding\s*=\s*["'][A-Za-z0-9._:-]+["']""")
_CHARREF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_DECLARED = re.compile(rb"""(\xef\xbb\xbf)?(\s*<\?xml[^>]*?)\sencoding\s*=\s*(["'])(.*?)\3""", re.S)
_ENCODING_NAME = re.compile(rb"[A-Za-z0-9._:-]{1,40}")
_CHALLENGE = re.compile(
    rb"just a moment|captcha|cf-chl|challenge-platform|attention required|checking your browser"
    rb"|ddos-guard|are you a robot|access denied|verify you are human",
    re.I,
)
_CHALLENGE_STATUSES = frozenset({403, 429, 503})
MAX_RETRY_AFTER = 24 * 3600.0
"""A Retry-After further out than a day is read as a day: the feed is checked again then."""

Status = Literal["ok", "not_modified", "error"]


class FeedError(Exception):
    """A document that is not a usable feed; ``str()`` is one line for the admin."""


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    articles: tuple[Article, ...]
    language: str | None = None
    hub: str | None = None
    """The WebSub hub the feed advertises (``<link rel="hub">``), if any."""
    self_url: str | None = None
    """The feed's own URL as it names itself (``rel="self"``): the WebSub topic."""


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


# -- parsing ------------------------------------------------------------------------------


def clean_url(url: str, base: str | None = None) -> str:
    """Absolute link without fragment and click-tracking parameters, so the same story
    shared through two campaigns is one URL."""
    url = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def absolute_url(href: str, base: str | None = None) -> str | None:
    """:func:`clean_url`, or None for a link no URL parser accepts (``http://[::1``): one
    odd link in a feed costs that link, not the feed."""
    try:
        return clean_url(href, base)
    except ValueError:
        return None


def _wide_codec(data: bytes) -> tuple[str, int] | None:
    """``(codec, BOM length)`` of a UTF-16/32 document, which byte searches cannot read."""
    head = data[:4]
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return codec, len(bom)
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", 0
    return None


def _to_utf8_for_checks(data: bytes) -> bytes:
    """UTF-16/32 documents with a BOM hide ``<!ENTITY`` from a byte search; re-encode those."""
    wide = _wide_codec(data)
    if wide is None:
        return data
    codec, bom = wide
    return data[bom:].decode(codec, "replace").encode("utf-8")


def _as_parser_reads(data: bytes, headers: dict[str, str]) -> bytes:
    """The document as feedparser's XML parser will read it: UTF-8, converted by
    feedparser's own encoding detection (BOMs, BOM-less UTF-16/32, EBCDIC, the XML
    declaration, the HTTP charset). A check on the bytes as served misses ``<!ENTITY``
    written in cp037, cp500 or UTF-32; on these bytes it sees what the parser will."""
    return bytes(convert_to_utf8(dict(headers), data, {}))


class _RootFound(Exception):
    pass


def _prolog_end(data: bytes) -> int:
    """Byte offset of the root element's start tag, found by a real XML tokenizer; or
    ``len(data)`` when the prolog is not well-formed and the root cannot be told apart.

    A regex for "the first ``<name``" is fooled by ``<x`` inside a comment, a processing
    instruction or a DOCTYPE literal; expat is not. Parsing stops at the root start tag, so
    nothing after the prolog is read and no entity is ever expanded. The latin-1 override
    reads any ASCII-compatible encoding byte for byte: markup characters are all ASCII.
    """
    parser = expat.ParserCreate(encoding="iso-8859-1")

    def stop(*args: object) -> None:
        raise _RootFound

    parser.StartElementHandler = stop
    try:
        parser.Parse(data, True)
    except _RootFound:
        return parser.CurrentByteIndex
    except expat.ExpatError:
        pass
    return len(data)


def _check_prolog(data: bytes) -> None:
    """Refuse entity declarations before parsing: "billion laughs" expands a few KB of
    DOCTYPE into gigabytes, and no real feed needs its own entities.

    ``data`` is what ``_as_parser_reads`` returns. Entities can only be declared in the
    DOCTYPE, before the root element; after it, ``<!ENTITY`` is text in a CDATA section (an
    article about XML) and harmless. When the prolog cannot be parsed, the whole document
    is searched.
    """
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if _ENTITY_DECL.search(data, 0, _prolog_end(data)):
        raise FeedError(
            "document declares XML entities (possible entity-expansion attack), refused"
        )


def _valid_charref(match: re.Match[bytes]) -> bytes:
    hex_digits, digits = match.group(1), match.group(2)
    number = hex_digits if hex_digits is not None else digits
    # More than 8 digits is out of range whatever they say (and int() refuses 4,300).
    if len(number.lstrip(b"0")) <= 8:
        value = int(number, 16 if hex_digits is not None else 10)
        if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
            return match.group(0)
    return b"&#xFFFD;"


def _fix_charrefs(data: bytes) -> bytes:
    """Character references to no character (``&#xD800;``, ``&#1114112;``) become U+FFFD.

    Such a reference makes the document not well-formed, so feedparser reads it with its
    loose parser, which decodes it with ``chr(n).encode()``: one such reference in one item
    made it raise for the whole feed. A UTF-16/32 document is rewritten in its own encoding.
    """
    wide = _wide_codec(data)
    if wide is None:
        return _CHARREF.sub(_valid_charref, data) if b"&" in data else data
    codec, bom = wide
    try:
        text = data[bom:].decode(codec)
    except UnicodeDecodeError:
        return data  # feedparser will say what is wrong with it
    fixed = _CHARREF.sub(_valid_charref, text.encode("utf-8", "surrogatepass"))
    return data[:bom] + fixed.decode("utf-8", "surrogatepass").encode(codec, "surrogatepass")


def _drop_junk_encoding(data: bytes) -> bytes:
    """An XML declaration's ``encoding="..."`` that is no encoding name at all is removed.

    feedparser looks the name up and catches only LookupError; a name with a NUL in it
    (``encoding="\x00UTF-8"``) raises ValueError and failed the whole feed. Without the
    attribute feedparser falls back as it does for an unknown name.
    """
    m = _DECLARED.match(data)
    if m is None or _ENCODING_NAME.fullmatch(m.group(4)):
        return data
    return (m.group(1) or b"") + m.group(2) + data[m.end() :]


def _looks_like_html(data: bytes, content_type: str | None) -> bool:
    head = data[:4096]
    if _FEED_ROOT.search(head):
        return False
    if _HTML_START.match(head):
        return True
    return bool(content_type and "html" in content_type.lower() and b"<" in head)


def _text_of(detail: Any, fallback: str = "") -> str:
    """Plain text of a feedparser text construct (``title_detail``, a ``content`` item)."""
    if not detail:
        return fallback
    value = detail.get("value") or ""
    kind = (detail.get("type") or "").lower()
    if "html" in kind:
        return html_to_text(value)
    return "\n".join(collapse_ws(line) for line in value.splitlines() if line.strip())


def _body(entry: Any) -> tuple[str, str | None]:
    """``(text, language)`` preferring full content (content:encoded, atom content) over
    the summary, which is often a teaser."""
    best: Any = None
    for item in entry.get("content") or []:
        if item.get("value") and (best is None or len(item["value"]) > len(best["value"])):
            best = item
    if best is None:
        best = entry.get("summary_detail")
        if best is None and entry.get("summary"):
            best = {"value": entry["summary"], "type": "text/html"}
    if best is None:
        return "", None
    return _text_of(best), best.get("language")


def _published(entry: Any) -> datetime | None:
    """Aware UTC datetime of ``published`` or else ``updated``; None when absent or odd."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # bypass FeedParserDict's deprecated key aliasing
        if parsed:
            try:
                y, mo, d, h, mi, sec = parsed[:6]
                return datetime(y, mo, d, h, mi, min(sec, 59), tzinfo=UTC)  # already UTC
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _entry_article(
    entry: Any, *, feed: FeedConfig, base: str, source_name: str, feed_lang: str | None
) -> Article | None:
    text, body_lang = _body(entry)
    text = strip_controls(text, keep_newlines=True).strip()
    title = clean_line(_text_of(entry.get("title_detail"), entry.get("title") or ""))
    if not title and not text:
        return None
    if not title:
        title = clean_line(headline(text))
    # Checked before and after clean_url: urlsplit silently drops tabs and newlines.
    link = safe_url(entry.get("link"))
    url = safe_url(absolute_url(link, base)) if link else None
    if url and not url.startswith(("http://", "https://")):
        url = None
    guid = (
        clean_line(entry.get("id"))
        or url
        or ("sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest())
    )
    title_detail = entry.get("title_detail") or {}
    language = (
        normalize_language(body_lang)
        or normalize_language(title_detail.get("language"))
        or normalize_language(entry.get("language"))
        or feed_lang
    )
    return Article(
        source_id=f"feed:{feed.url}",
        source_name=source_name,
        guid=guid,
        title=title,
        text=text,
        url=url,
        published=_published(entry),
        language=language,
        location=url,
    )


def _parser_headers(data: bytes, content_type: str | None) -> dict[str, str]:
    """The response headers feedparser is given.

    The HTTP charset is a server default, often wrong for the feed it serves; the XML
    declaration is written by whatever generated the feed. When the document names its
    encoding, that wins (a latin-1 header on a UTF-8 or cp1251 feed made mojibake).
    """
    declares = _XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf")) or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    )
    if content_type and "charset=" in content_type.lower() and not declares:
        return {"content-type": content_type}
    return {}


def parse_feed(
    data: bytes, *, url: str, feed: FeedConfig, content_type: str | None = None
) -> ParsedFeed:
    """Parse a fetched document (pure: no I/O). Raises ``FeedError`` when it is not a feed.

    ``url`` is where the document came from (base for relative links); ``feed`` supplies
    the ``source_id``, the configured name and the language hint.
    """
    headers = _parser_headers(data, content_type)
    data = _fix_charrefs(_drop_junk_encoding(data))
    # Both views: the document as the parser will decode it (EBCDIC, BOM-less UTF-32) and
    # as its BOM says (a UTF-16 file the parser misreads is still refused in words).
    _check_prolog(_to_utf8_for_checks(data))
    checked = _as_parser_reads(data, headers)
    _check_prolog(checked)
    if _looks_like_html(checked, content_type):
        raise FeedError("not a feed (got HTML)")
    # No content-location: feedparser would "resolve" a plain guid like ``news-1001`` into
    # a URL on the feed's host, and the guid would change whenever the feed moves. Links
    # are made absolute below instead.
    # A BytesIO, never bare bytes: feedparser treats a string that looks like a path or a
    # URL as something to open, and the body comes from a stranger.
    # No relative-URI rewriting inside HTML bodies: they become plain text below, and the
    # item links are made absolute by clean_url; it is a fifth of feedparser's time.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        resolve_relative_uris=False,
    )
    entries = parsed.get("entries") or []
    if not entries:
        if not parsed.get("version"):
            reason = parsed.get("bozo_exception")
            raise FeedError("not a feed" + (f" ({_one_line(reason)})" if reason else ""))
        if parsed.get("bozo"):
            raise FeedError(f"malformed feed: {_one_line(parsed.get('bozo_exception'))}")
    meta = parsed.get("feed") or {}
    feed_title = clean_line(_text_of(meta.get("title_detail"), meta.get("title") or "")) or None
    title_detail = meta.get("title_detail") or {}
    feed_lang = (
        normalize_language(meta.get("language"))
        or normalize_language(title_detail.get("language"))
        or normalize_language(feed.language)
    )
    source_name = (
        clean_line(feed.name) or feed_title or clean_line(urlsplit(feed.url).hostname or feed.url)
    )
    hub = self_url = None
    for link in meta.get("links") or []:
        href = safe_url(link.get("href"))
        if not href:
            continue
        rel = (link.get("rel") or "").lower()
        if rel == "hub" and hub is None:
            hub = absolute_url(href, url)
        elif rel == "self" and self_url is None:
            self_url = _join(url, href)
    articles = []
    for entry in entries:
        article = _entry_article(
            entry, feed=feed, base=url, source_name=source_name, feed_lang=feed_lang
        )
        if article is not None:
            articles.append(article)
    return ParsedFeed(
        title=feed_title, articles=tuple(articles), language=feed_lang, hub=hub, self_url=self_url
    )


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


def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href)
    except ValueError:  # "Invalid IPv6 URL" and the like, from a stranger's link
        return None


def _one_line(value: object) -> str:
    text = collapse_ws(str(value)) if value is not None else "unknown error"
    return text[:200]


# -- fetching -----------------------------------------------------------------------------


def trust_of(feed: FeedConfig) -> Trust:
    """The one origin an admin vouched for by configuring ``feed``."""
    return Trust.of(feed.url, allow_private=feed.allow_private)


def make_client(settings: Settings, resolver: Resolver | None = None) -> httpx.AsyncClient:
    """The one HTTP client for feeds and article pages: our user agent, bounded timeouts,
    a pool as large as the global fetch limit, HTTP/2 where a server offers it, no
    automatic redirects (``fetch_feed`` follows them itself to vet each hop), and a
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


class _Refused(Exception):
    """A fetch stopped for a reason already phrased for the admin."""


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _connect_reason(exc: BaseException, host: str) -> str:
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
        return f"TLS error with host {host}: {_one_line(chain[-1])}"
    return f"cannot reach host {host} ({_one_line(chain[-1]) or type(chain[-1]).__name__})"


async def _vet(target: str, trust: Trust, what: str = "redirect to") -> None:
    """Refuse a URL the admin did not write if it is no web URL or a private address.

    Only literal addresses are judged here; a host name is resolved once, by the
    connection, which vets every address it got and connects to that very address
    (``netguard.PinnedBackend``): a second lookup here could get a different answer. The
    configured origin passes; the connection trusts it on a private address only when
    ``trust`` says so. Any other origin, even another port of the same host, must be public.
    """
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Refused(f"{what} unsupported URL {target!r} refused")
    if trust.origin is not None and origin_of(target) == trust.origin:
        return
    host = parts.hostname
    ip = _literal_ip(host)
    if ip is not None and not is_public_address(ip):
        raise _Refused(f"{what} private address refused ({host})")


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


ERROR_BODY_BYTES = 32 * 1024
"""Of an error response, only this much is read: enough to recognise an anti-bot page."""
ACCEPT_ENCODING = "gzip, deflate"
"""The encodings we can decompress with a bound on the output (not br or zstd, which httpx
would offer when their modules happen to be installed)."""
_RAW_CHUNK = 16 * 1024


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
            raise _Refused(f"unsupported content encoding {_one_line(name)[:40]!r}")
    return layers


async def _read_bounded(
    resp: httpx.Response, limit: int, *, truncate: bool = False
) -> bytes:
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
    await _vet(url, trust, "fetch from")  # a stored moved-to URL: re-check
    permanent = True
    hops = 0
    while True:
        try:
            return await _hop(client, url, headers, max_bytes, timeout, hops, permanent)
        except _Redirect as r:
            hops += 1
            if hops > MAX_REDIRECTS:
                raise _Refused(f"too many redirects (more than {MAX_REDIRECTS})") from None
            permanent = permanent and r.permanent
            await _vet(r.target, trust)
            url = r.target
            hops_seen.append(url)
        except httpx.ConnectError as e:
            refused = _refusal(e)
            if refused is not None and (hops or origin_of(url) != trust.origin):
                raise _Refused(f"{'redirect to' if hops else 'fetch from'} {refused}") from e
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
            if status in _CHALLENGE_STATUSES:
                preview = await _read_bounded(resp, ERROR_BODY_BYTES, truncate=True)
            return status, resp.headers, preview, url, permanent and hops > 0
        declared = resp.headers.get("content-length", "")
        too_big = f"response larger than {human_size(max_bytes)}, refused"
        if declared.isdigit() and int(declared) > max_bytes:
            raise _Refused(too_big)
        try:
            body = await _read_bounded(resp, max_bytes)
        except _TooBig:
            raise _Refused(too_big) from None
        return status, resp.headers, body, url, permanent and hops > 0


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
    except _Refused as e:
        return failed(str(e))
    except (TimeoutError, httpx.TimeoutException):
        return failed(f"timed out after {timeout:g}s")
    except (httpx.ConnectError, OSError) as e:
        return failed(_connect_reason(e, _host(hops[-1])))
    except httpx.UnsupportedProtocol as e:
        return failed(f"unsupported URL: {_one_line(e)}")
    except httpx.InvalidURL as e:  # httpx parses a redirect's Location before we see it
        return failed(f"{_host(hops[-1])} answered with a URL that cannot be used: {_one_line(e)}")
    except httpx.HTTPError as e:
        reason = _one_line(e) or type(e).__name__
        return failed(f"connection to {_host(hops[-1])} failed: {reason}")

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
        return failed(f"could not parse feed: {_one_line(e) or type(e).__name__}", final_url)
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
    if status not in _CHALLENGE_STATUSES:
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
            m = re.match(r'\s*<([^>]*)>(.*)$', part)
            if not m:
                continue
            rels = re.search(r'rel\s*=\s*"?([^";]+)"?', m.group(2), re.I)
            if rels and rel in rels.group(1).lower().split():
                href = safe_url(m.group(1))
                return _join(base, href) if href else None
    return None


def link_header_hub(headers: httpx.Headers, base: str) -> str | None:
    """WebSub discovery through the HTTP ``Link`` header (``<...>; rel="hub"``)."""
    return _link_header(headers, base, "hub")


def link_header_self(headers: httpx.Headers, base: str) -> str | None:
    return _link_header(headers, base, "self")
