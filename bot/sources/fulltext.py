"""The article behind a teaser: fetch the page an item links to and extract its text.

Many feeds carry a sentence or two per item; the matcher and the quote extractor need the
article. Links inside a feed are written by whoever runs the feed, so each page is fetched
with the same size and time caps as a feed, through the same vetted redirects and pinned
connections: a private address is refused unless it is the feed's own, admin-configured
host. Extraction (trafilatura) works on the bytes we fetched and makes no request itself.

Extraction is CPU work a stranger shapes: a 0.4 MB page of 40,000 ``<b>`` tags in one
paragraph kept trafilatura busy for about a minute. So a page is measured first (bytes,
elements) and refused when it is beyond any real article; what passes runs on a small
pool of its own (never the default executor, which the store and delivery use), and a
deadline stops the waiting. A thread cannot be killed: one that overruns keeps its slot
until it finishes, so at most ``EXTRACT_WORKERS`` such pages burn CPU at once, and new
work waits for a slot no longer than the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx

from bot.models import Article
from bot.sources.http import Refused, connect_reason, download, host_of
from bot.sources.netguard import Trust
from bot.text import one_line, strip_controls

log = logging.getLogger(__name__)

SHORT_TEXT = 600
"""An item body shorter than this (characters) is a teaser worth replacing."""
MIN_EXTRACTED = 200
"""Extracted text shorter than this is a cookie wall or a paywall stub, not the article."""
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
MAX_PAGE_BYTES = 2 * 1024 * 1024
"""A page larger than this is not handed to the extractor (the fetch cap may be larger)."""
MAX_ELEMENTS = 5_000
"""A page with more start tags than this is not handed to the extractor: article pages
have a few thousand; trafilatura's time grows with the square of dense inline markup."""
EXTRACT_DEADLINE = 10.0
"""Seconds to wait for one extraction (including the wait for a free worker)."""
EXTRACT_WORKERS = 2

_START_TAG = re.compile(rb"<[A-Za-z]")
_pool = ThreadPoolExecutor(max_workers=EXTRACT_WORKERS, thread_name_prefix="newsbot-fulltext")
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


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


def page_problem(html: bytes) -> str | None:
    """Why a page must not go to the extractor, or None. Linear in the page's size."""
    if len(html) > MAX_PAGE_BYTES:
        return f"page too large to extract ({len(html) // 1024} KB)"
    elements = sum(1 for _ in _START_TAG.finditer(html))
    if elements > MAX_ELEMENTS:
        return f"page too complex to extract ({elements} elements)"
    return None


async def extract_bounded(
    html: bytes, url: str, deadline: float | None = None
) -> tuple[str | None, str | None]:
    """``(text, error)``: :func:`extract_text` on the full-text pool, within a deadline.

    Exceptions of the extractor propagate; a page refused by :func:`page_problem` or an
    extraction past the deadline is an ``error``.
    """
    problem = page_problem(html)
    if problem is not None:
        return None, problem
    deadline = EXTRACT_DEADLINE if deadline is None else deadline
    loop = asyncio.get_running_loop()
    slots = _slots.setdefault(loop, asyncio.Semaphore(EXTRACT_WORKERS))

    def finished(fut: asyncio.Future[str | None]) -> None:
        slots.release()  # only now: an overrunning thread keeps its slot
        if not fut.cancelled():
            fut.exception()  # retrieved, so a late failure is not logged as unhandled

    try:
        async with asyncio.timeout(deadline):
            await slots.acquire()
            fut = loop.run_in_executor(_pool, extract_text, html, url)
            fut.add_done_callback(finished)
            text = await asyncio.shield(fut)
    except TimeoutError:
        return None, f"text extraction gave up after {deadline:g}s"
    return text, None if text else "no article text found"


async def fetch_page_text(
    client: httpx.AsyncClient,
    url: str,
    *,
    trust: Trust,
    max_bytes: int,
    timeout: float,
) -> tuple[str | None, str | None]:
    """``(text, error)`` for one article page; never raises for network trouble.

    ``trust`` is the feed's (``http.trust_of``): a link on the feed's own origin may be
    private only when the feed itself may be; any other link must be public."""
    hops = [url]
    try:
        async with asyncio.timeout(timeout):
            status, headers, body, final_url, _ = await download(
                client, hops, trust, {"Accept": HTML_ACCEPT}, max_bytes, timeout
            )
    except Refused as e:
        return None, str(e)
    except (TimeoutError, httpx.TimeoutException):
        return None, f"timed out after {timeout:g}s"
    except (httpx.HTTPError, OSError) as e:
        return None, connect_reason(e, host_of(hops[-1]))
    if status != 200:
        return None, f"HTTP {status}"
    kind = headers.get("content-type", "").lower()
    if kind and "html" not in kind:
        return None, f"not an article page ({one_line(kind.split(';')[0])})"
    try:
        return await extract_bounded(body, final_url)
    except Exception as e:  # a hostile page must not crash the poller
        log.warning("full text of %s: extractor crashed", url, exc_info=True)
        return None, f"could not extract text: {one_line(e) or type(e).__name__}"


def with_full_text(article: Article, text: str) -> Article:
    """The article with the page's text when it says more than the teaser did."""
    if len(text) <= len(article.text):
        return article
    return replace(article, text=text)
