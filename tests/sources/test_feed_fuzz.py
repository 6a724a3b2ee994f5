"""Fuzzed feed documents, one after another, into one running bot's real poll path.

A local publisher on 127.0.0.1 serves whatever :func:`tests.feedgen.feed_documents` draws
at one feed URL; ``NewsBot.poll_feed`` fetches, parses, stores, matches and queues it
exactly as the scheduler would. After every poll: no exception escaped, and the feed's
health record says either "polled fine" or a one-line error an admin can read. After the
storm, a well-formed feed with a matching item still alerts. ``make test`` polls 100
documents; the ``longrun`` test (``make test-slow``) polls 1,000.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from bot.runtime.bot import NewsBot
from tests.feedgen import Served, feed_documents
from tests.fuzzing import FUZZ
from tests.localserver import FeedServer, rss
from tests.runtime.test_feed_polling import Recorder, make_bot

pytestmark = [pytest.mark.network, pytest.mark.timeout(900)]


class Tracebacks(logging.Handler):
    """Records that carry a traceback, or say a task's exception was lost."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info or "Traceback" in text or "never retrieved" in text:
            self.found.append(f"{record.name}: {text[:200]} ({record.exc_info and record.exc_info[1]!r})")


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    trap = Tracebacks()
    logging.getLogger().addHandler(trap)
    try:
        yield trap
    finally:
        logging.getLogger().removeHandler(trap)


def storm(tmp_path: Path, feed_server: FeedServer, trap: Tracebacks, examples: int) -> None:
    url = feed_server.url("/feed")
    # Bursts off: the storm's own alerts must not hold the last, well-formed one back for
    # a digest (pacing has tests of its own; this one is about the poller).
    extra = "max_feed_bytes: 4194304\nbursts: {max_alerts: 100000}\n"
    bot, recorder = make_bot(tmp_path, [url], extra)
    feed = bot.settings.feeds[0]
    loop = asyncio.new_event_loop()
    outcomes = {"ok": 0, "error": 0, "new items": 0}
    errors: Counter[str] = Counter()
    try:

        @settings(FUZZ, max_examples=examples)
        @given(doc=feed_documents())
        def poll(doc: Served) -> None:
            logged = len(trap.found)
            feed_server.static("/feed", doc.body, status=doc.status, content_type=doc.content_type,
                               **{k.replace("-", "_"): v for k, v in doc.headers})
            before = bot.store.feeds.feed_state(url)
            report = loop.run_until_complete(bot.poll_feed(feed))  # raises = the test fails
            state = bot.store.feeds.feed_state(url)
            assert state is not None, str(doc)
            if report is None:
                outcomes["error"] += 1
                error = state.last_error or ""
                assert error.strip() and "\n" not in error and len(error) <= 400, (error, str(doc))
                assert state.consecutive_failures >= 1
                errors[re.sub(r"\(.*", "(...)", error)[:70]] += 1
            else:
                outcomes["ok"] += 1
                outcomes["new items"] += report.new
                assert state.last_error is None and state.consecutive_failures == 0
                assert state.items_seen == (before.items_seen if before else 0) + report.new
            assert trap.found[logged:] == [], (trap.found[logged:], str(doc))

        poll()
        loop.run_until_complete(still_alerts(bot, recorder, feed_server))
    finally:
        loop.run_until_complete(bot.close())
        loop.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"\n{examples} documents: {outcomes}, {len(recorder.alerts)} alerts, peak RSS {peak} MB")
    print("errors:")
    for line, n in errors.most_common(12):
        print(f"  {n:4d}  {line}")
    assert outcomes["ok"] + outcomes["error"] >= examples
    assert outcomes["ok"] and outcomes["error"] and outcomes["new items"], outcomes
    assert trap.found == []


async def still_alerts(bot: NewsBot, recorder: Recorder, feed_server: FeedServer) -> None:
    """After the storm, a well-formed feed with a fresh matching item is alerted."""
    title = "Nordkorea liefert nach dem Sturm weitere Raketen an Russland"
    fresh: dict[str, Any] = {
        "title": title,
        "link": "https://nachrichten.example.de/nk-after-the-storm",
        "guid": "nk-after-the-storm",
        "description": "Nordkorea hat nach Angaben aus Seoul weitere ballistische Raketen "
        "an Russland geliefert, sagte ein Sprecher am Dienstag.",
        "pubDate": format_datetime(datetime.now(UTC)),
    }
    feed_server.static("/feed", rss([fresh]))
    report = await bot.poll_feed(bot.settings.feeds[0])
    assert report is not None and report.alerted == 1
    await bot.deliver()
    assert title in [a.title for a in recorder.alerts]


def test_fuzzed_feeds_never_crash_the_poller(
    tmp_path: Path, feed_server: FeedServer, tracebacks: Tracebacks
) -> None:
    storm(tmp_path, feed_server, tracebacks, examples=100)


@pytest.mark.longrun
def test_a_thousand_fuzzed_feeds_never_crash_the_poller(
    tmp_path: Path, feed_server: FeedServer, tracebacks: Tracebacks
) -> None:
    storm(tmp_path, feed_server, tracebacks, examples=1000)
