"""The article behind a teaser: fetch the page an item links to and extract its text.

Many feeds carry a sentence or two per item; the matcher and the quote extractor need the
article. Links inside a feed are written by whoever runs the feed, so each page is fetched
with the same size and time caps as a feed, through the same vetted redirects and pinned
connections: a private address is refused unless it is the feed's own, admin-configured
host. Extraction (trafilatura) works on the bytes we fetched and makes no request itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from urllib.parse import urlsplit

import httpx

from bot.models import Article
from bot.sources.feeds import _connect_reason, _one_line, _Refused, download
from bot.sources.netguard import Trust
from bot.textutil import strip_controls

log = logging.getLogger(__name__)

SHORT_TEXT = 600
"""An item body shorter than this (characters) is a teaser worth replacing."""
MIN_EXTRACTED = 200
"""Extracted text shorter than this is a cookie wall or a paywall stub, not the article."""
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


def wants_full_text(article: Article) -> bool:
    return bool(article.url) and len(article.text) < SHORT_TEXT


def extract_text(html: bytes, url: str) -> str | None:
    """The main text of an article page (pure: no I/O, trafilatura decodes the bytes)."""
    import trafilatura  # heavy (lxml, justext): loaded only where a feed asks for full text

    text = trafilatura.extract(
        html,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=True,
    )
    if not text:
        return None
    text = strip_controls(text, keep_newlines=True).strip()
    return text if len(text) >= MIN_EXTRACTED else None


async def fetch_page_text(
    client: httpx.AsyncClient,
    url: str,
    *,
    trust: Trust,
    max_bytes: int,
    timeout: float,
) -> tuple[str | None, str | None]:
    """``(text, error)`` for one article page; never raises for network trouble.

    ``trust`` is the feed's (``feeds.trust_of``): a link on the feed's own origin may be
    private only when the feed itself may be; any other link must be public."""
    hops = [url]
    try:
        async with asyncio.timeout(timeout):
            status, headers, body, final_url, _ = await download(
                client, hops, trust, {"Accept": HTML_ACCEPT}, max_bytes, timeout
            )
    except _Refused as e:
        return None, str(e)
    except (TimeoutError, httpx.TimeoutException):
        return None, f"timed out after {timeout:g}s"
    except (httpx.HTTPError, OSError) as e:
        return None, _connect_reason(e, urlsplit(hops[-1]).hostname or hops[-1])
    if status != 200:
        return None, f"HTTP {status}"
    kind = headers.get("content-type", "").lower()
    if kind and "html" not in kind:
        return None, f"not an article page ({_one_line(kind.split(';')[0])})"
    try:
        text = await asyncio.to_thread(extract_text, body, final_url)
    except Exception as e:  # a hostile page must not crash the poller
        log.warning("full text of %s: extractor crashed", url, exc_info=True)
        return None, f"could not extract text: {_one_line(e) or type(e).__name__}"
    return text, None if text else "no article text found"


def with_full_text(article: Article, text: str) -> Article:
    """The article with the page's text when it says more than the teaser did."""
    if len(text) <= len(article.text):
        return article
    return replace(article, text=text)
