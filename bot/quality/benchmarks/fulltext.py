"""Full-text extraction on a hostile page: how long the guarded path takes, and how long
trafilatura takes on the largest page the guard still lets through (same shape).

The hostile page is an invented article followed by one paragraph of 40,000 bold words
(0.4 MB); unguarded, trafilatura spent about a minute on it.
"""

from __future__ import annotations

import asyncio
import time

from rich.console import Console

from bot.sources import fulltext

ARTICLE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Harbour closed"
    "</title></head><body><article><h1>Harbour closed after the storm</h1>"
    "<p>The port authority kept the harbour closed on Tuesday while divers checked the "
    "breakwater for damage, a spokeswoman said.</p>{extra}</article></body></html>"
)


def page(tags: int) -> bytes:
    return ARTICLE.format(extra="<p>" + "<b>word</b> " * tags + "</p>").encode()


def _timed(coro_factory: object) -> float:
    start = time.perf_counter()
    asyncio.run(coro_factory())  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    out = Console()
    hostile = page(40_000)
    guarded = _timed(lambda: fulltext.extract_bounded(hostile, "https://news.example/a/1"))
    _, error = asyncio.run(fulltext.extract_bounded(hostile, "https://news.example/a/1"))
    largest = page(fulltext.MAX_ELEMENTS - 20)
    start = time.perf_counter()
    fulltext.extract_text(largest, "https://news.example/a/2")
    worst = time.perf_counter() - start
    out.print(
        f"full text, hostile page ({len(hostile) / 1e6:.2f} MB, 40,000 tags): "
        f"{guarded * 1000:.1f} ms guarded ({error})",
        markup=False, highlight=False, soft_wrap=True,
    )
    out.print(
        f"full text, largest page let through ({fulltext.MAX_ELEMENTS - 20} tags, same shape): "
        f"{worst:.2f} s of extraction (deadline {fulltext.EXTRACT_DEADLINE:g} s)",
        markup=False, highlight=False, soft_wrap=True,
    )
