"""RSS 2.0, RSS 1.0 and Atom documents parsed into ``Article``s (pure: no I/O).

Feeds are written by strangers: the bytes are made safe first (``xmlguard``), then every
title, body, link, date and language tag is cleaned on its way into an ``Article``. One odd
item costs that item, never the feed; a document that is no feed is one ``FeedError``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from bot.models import Article
from bot.settings.sections import FeedConfig
from bot.sources.html import html_to_text
from bot.sources.metadata import absolute_url, join_url, normalize_language, safe_url
from bot.sources.xmlguard import FeedError, prepare
from bot.text import clean_line, collapse_ws, headline, one_line, strip_controls

__all__ = ["FeedError", "ParsedFeed", "parse_feed"]


@dataclass(frozen=True)
class ParsedFeed:
    """What ``parse_feed`` found: the items as ``Article``s and what the feed says of itself."""

    title: str | None
    articles: tuple[Article, ...]
    language: str | None = None
    hub: str | None = None
    """The WebSub hub the feed advertises (``<link rel="hub">``), if any."""
    self_url: str | None = None
    """The feed's own URL as it names itself (``rel="self"``): the WebSub topic."""


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


def parse_feed(
    data: bytes, *, url: str, feed: FeedConfig, content_type: str | None = None
) -> ParsedFeed:
    """Parse a fetched document (pure: no I/O). Raises ``FeedError`` when it is not a feed.

    ``url`` is where the document came from (base for relative links); ``feed`` supplies
    the ``source_id``, the configured name and the language hint.
    """
    data, headers = prepare(data, content_type)
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
            raise FeedError("not a feed" + (f" ({one_line(reason)})" if reason else ""))
        if parsed.get("bozo"):
            raise FeedError(f"malformed feed: {one_line(parsed.get('bozo_exception'))}")
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
            self_url = join_url(url, href)
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
