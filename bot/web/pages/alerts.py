"""Alerts: search what the bot alerted (and, on request, what it saw and let pass), with
where each alert went: per channel sent, pending or failed (and why), and a link to the
posted message where the running adapter can make one.

The form is a GET, so a search is a link an admin can bookmark or share with another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.commands.search import LinkFor
from bot.models import Target
from bot.settings.model import Settings
from bot.store.search import AlertHit, SearchError, SearchRepository, SeenHit
from bot.text import clean_line
from bot.web.app import Offload, Page, render

SHOWN = 25
"""Alerts (and seen articles) per search: a page to read, not an export (``newsbot
search --json`` is that)."""
MAX_FIELD = 300
"""Longest filter value kept (the words are bounded by the search itself)."""


@dataclass(frozen=True)
class Query:
    """The form as submitted, every value a string to put back in the form."""

    words: str = ""
    item: str = ""
    language: str = ""
    feed: str = ""
    channel: str = ""
    date_from: str = ""
    date_to: str = ""
    seen: bool = False


@dataclass(frozen=True)
class Delivery:
    platform: str
    channel: str
    status: str
    error: str
    message_id: str
    link: str | None


@dataclass(frozen=True)
class Source:
    name: str
    url: str | None
    first: bool


@dataclass(frozen=True)
class Shown:
    """One alert as the page shows it."""

    hit: AlertHit
    when: str
    url: str | None
    sources: list[Source]
    deliveries: list[Delivery]


def web_url(url: str | None) -> str | None:
    """A feed's link fit for an ``href``: http(s) only (a ``javascript:`` or ``data:``
    link from a feed is shown as nothing rather than followed)."""
    if not url or len(url) > 2000 or not url.lower().startswith(("http://", "https://")):
        return None
    return url if url.isprintable() and " " not in url else None


def query_of(params: MultiMapping[str]) -> Query:
    def field(name: str) -> str:
        return str(params.get(name, "")).strip()[:MAX_FIELD]

    return Query(
        words=str(params.get("q", "")).strip(), item=field("item"), language=field("language"),
        feed=field("feed"), channel=field("channel"), date_from=field("from"),
        date_to=field("to"), seen=params.get("seen") == "1",
    )


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SearchError(f"{name}: {clean_line(text, 40)!r} is not a date (YYYY-MM-DD)") from None


def _channel(text: str) -> Target | None:
    """``platform:channel`` (``slack:C0123``), as the routes of the config name them."""
    if not text:
        return None
    platform, sep, channel = text.partition(":")
    if not sep or not platform.strip() or not channel.strip():
        raise SearchError(f"channel: {clean_line(text, 40)!r} is not platform:channel (slack:C0123)")
    return Target(platform.strip().lower(), channel.strip())


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def routes(
    search: SearchRepository, settings: Callable[[], Settings], link: LinkFor, run: Offload
) -> Page:
    """The Alerts page over the search repository; ``link`` makes a posted message's link
    (the running adapter's, so only what it cheaply knows)."""
    table = web.RouteTableDef()

    def find(q: Query) -> tuple[list[AlertHit], list[SeenHit] | None]:
        since, until = _day(q.date_from, "from"), _day(q.date_to, "to")
        after = datetime.combine(since, datetime.min.time(), UTC) if since else None
        before = None  # the end of ``until``; 9999-12-31 has no day after: no end then
        if until is not None and until < date.max:
            before = datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC)
        if after and before and after >= before:
            raise SearchError("from: the first day is after the last")
        alerts = search.alerts(
            q.words, item=q.item or None, language=q.language or None, feed=q.feed or None,
            channel=_channel(q.channel), since=after, until=before, limit=SHOWN,
        )
        seen = None
        if q.seen:
            seen = search.seen(
                q.words, language=q.language or None, feed=q.feed or None,
                since=after, until=before, limit=SHOWN,
            )
        return alerts, seen

    def shown(hit: AlertHit) -> Shown:
        sources = [
            Source(clean_line(s.source_name or s.source_id, 120), web_url(s.url), s.first)
            for s in hit.sources
        ]
        return Shown(hit, _when(hit.alert.created_at), web_url(hit.alert.url), sources, [
            Delivery(
                d.target.platform, d.target.channel, d.status,
                clean_line(d.last_error, 300) if d.last_error else "",
                d.external_id or "", link(d.target, d.external_id),
            )
            for d in hit.deliveries
        ])

    @table.get("/alerts")
    async def show(request: web.Request) -> web.StreamResponse:
        q = query_of(request.query)
        configured = settings()
        context: dict[str, Any] = {
            "q": q,
            "feeds": [(f.url, f.label) for f in configured.feeds],
            "channels": sorted({f"{r.platform}:{r.channel}" for r in configured.routes}),
            "when": _when,
            "web_url": web_url,
        }
        try:
            hits, seen = await run(find, q)
        except SearchError as exc:
            return render(request, "alerts.html", status=400, error=str(exc),
                          alerts=[], seen=None, **context)
        # Links on the loop: an adapter's channel cache is the loop's to read.
        return render(request, "alerts.html", error=None, alerts=[shown(h) for h in hits],
                      seen=seen, **context)

    return Page("Alerts", "/alerts", table)
