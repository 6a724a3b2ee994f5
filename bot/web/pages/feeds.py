"""Feeds: each configured feed's health as the store has it, and pause or resume one.

A paused feed is skipped by the feed scheduler of every instance (``feeds.paused_at``);
the config is not touched, so pausing is for an outage or a noisy week, not for removal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from aiohttp import web

from bot.settings.model import Settings
from bot.store.db import utcnow
from bot.store.feeds import FeedRepository, FeedState
from bot.text import clean_line, display_url, window_text
from bot.web.app import Offload, Page, flash, redirect, render

PER_DAY_OVER = timedelta(days=7)
"""Items per day is the average over this long."""
COUNTS_FOR = 60.0
"""Seconds the per-feed article counts are reused: a week's average hardly moves in a
minute, and counting a week of articles is most of the page's database time."""


@lru_cache(maxsize=8192)
def _shown(url: str) -> str:
    """A feed URL as shown (credentials and query secrets hidden); the config's URLs are
    few and stable, so each is worked out once."""
    return display_url(url)


@dataclass(frozen=True)
class FeedLine:
    """One line of the health table, every value already a string fit to show."""

    index: int
    name: str
    url: str
    status: str
    """``new``, ``ok``, ``down`` or ``paused``."""
    last_poll: str
    last_success: str
    next_poll: str
    failures: int
    last_error: str
    per_day: str
    paused: bool


def _ago(when: datetime | None, now: datetime) -> str:
    return f"{window_text(when, now)} ago" if when else "never"


def feed_rows(
    settings: Settings, states: dict[str, FeedState], counts: dict[str, int], now: datetime
) -> list[FeedLine]:
    """The table: configured feeds in config order, joined with what the store recorded."""
    rows = []
    days = PER_DAY_OVER.total_seconds() / 86400
    for i, feed in enumerate(settings.feeds):
        st = states.get(feed.url)
        paused = st is not None and st.paused_at is not None
        polled = st is not None and st.last_polled_at is not None
        if paused:
            status = "paused"
        elif not polled:
            status = "new"
        else:
            status = "down" if st and st.consecutive_failures else "ok"
        nxt = st.next_poll_at if st else None
        if paused:
            next_poll = "paused"
        elif nxt is None:
            next_poll = "at start"
        elif nxt > now:
            next_poll = f"in {window_text(now - (nxt - now), now)}"
        else:
            next_poll = "due"
        per_day = ""
        if polled:
            per_day = f"{counts.get(feed.url, 0) / days:.1f}"
        rows.append(FeedLine(
            index=i,
            name=clean_line(feed.name or (st.name if st else None) or feed.label, 80),
            url=_shown(feed.url),
            status=status,
            last_poll=_ago(st.last_polled_at if st else None, now),
            last_success=_ago(st.last_success_at if st else None, now),
            next_poll=next_poll,
            failures=st.consecutive_failures if st else 0,
            last_error=clean_line(st.last_error, 200) if st and st.last_error else "",
            per_day=per_day,
            paused=paused,
        ))
    return rows


def routes(feeds: FeedRepository, settings: Callable[[], Settings], run: Offload) -> Page:
    """The Feeds page, reading and pausing through ``feeds``."""
    table = web.RouteTableDef()
    counted: list[tuple[float, dict[str, int]]] = []

    def counts(now: datetime) -> dict[str, int]:
        clock = time.monotonic()
        if not counted or clock - counted[0][0] > COUNTS_FOR:
            counted[:] = [(clock, feeds.items_since(now - PER_DAY_OVER))]
        return counted[0][1]

    def snapshot() -> tuple[list[FeedLine], datetime]:
        now = utcnow()
        states = {st.url: st for st in feeds.feed_states()}
        return feed_rows(settings(), states, counts(now), now), now

    @table.get("/feeds")
    async def show(request: web.Request) -> web.StreamResponse:
        rows, now = await run(snapshot)
        return render(request, "feeds.html", rows=rows, now=now)

    @table.post("/feeds/{index:\\d{1,9}}/{action:pause|resume}")
    async def pause(request: web.Request) -> web.StreamResponse:
        """By index in the config, checked against the URL the form was made for: an edit
        of the config in between must not pause another feed."""
        form = await request.post()
        configured = settings().feeds
        index = int(request.match_info["index"])
        if index >= len(configured):
            raise web.HTTPNotFound(text="No such feed (the config changed?): reload the page.")
        feed = configured[index]
        if str(form.get("url", "")) != _shown(feed.url):
            raise web.HTTPConflict(text="The feed list changed since the page was loaded: reload it.")
        action = request.match_info["action"]
        await run(feeds.pause_feed, feed.url, action == "pause")
        flash(request, f"{feed.label}: {action}d.")
        raise redirect("/feeds")

    return Page("Feeds", "/feeds", table)
