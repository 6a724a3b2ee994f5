"""The commands that only read: ``/brief``, ``/watchlist``, ``/feeds`` and autocomplete.

The CLI's ``newsbot brief`` and ``newsbot feeds`` call the same functions, so chat and
terminal agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.commands.core import Reply, parse_span, resolve_item
from bot.models import Digest
from bot.nlp.watchlist import Watchlist
from bot.settings.sections import FeedConfig, parse_duration
from bot.store.db import utcnow
from bot.store.feeds import FeedRepository
from bot.store.history import HistoryRepository
from bot.text import clean_line, display_url, plural, window_text
from bot.translate.texts import StoredLookup, with_stored_titles

DEFAULT_SINCE = timedelta(hours=24)
MAX_SINCE = timedelta(days=31)


def parse_since(text: str | None) -> timedelta:
    return parse_span(text, DEFAULT_SINCE, MAX_SINCE)


def brief(
    alerts: HistoryRepository,
    watchlist: Watchlist,
    item: str | None = None,
    since: str | None = None,
    limit: int = 10,
    translated: tuple[StoredLookup, str, str] | None = None,
) -> Digest:
    """Recent alerts, newest first, for one watch item or all of them. ``translated``:
    (the store's lookup, target language, backend name): headlines in that language where
    a translation is stored."""
    item_id = resolve_item(watchlist, item) if item else None
    window = parse_since(since)
    start = utcnow() - window
    recent = alerts.recent_alerts(start, item_id=item_id, limit=limit)
    if translated is not None:
        lookup, target, backend = translated
        recent = list(with_stored_titles(recent, lookup, target, backend))
    chosen = watchlist.get(item_id) if item_id else None
    what = chosen.name if chosen else "all watch items"
    return Digest(
        title=f"Brief: {what}, last {window_text(start)}",
        alerts=tuple(recent),
        since=start,
        item_id=item_id,
    )


def watchlist_overview(watchlist: Watchlist) -> Reply:
    """What can be watched: id, name, kind and the languages it has aliases in."""
    lines = []
    for item in watchlist.items:
        langs = sorted(lang for lang in item.aliases if lang != "any")
        where = f" [{', '.join(langs)}]" if langs else ""
        lines.append(f"{item.id}: {item.name} ({item.kind}){where}")
    lines.append("Subscribe with /subscribe <id>, or /subscribe all.")
    return Reply("\n".join(lines))


def feeds_overview(
    feeds: FeedRepository, now: datetime | None = None, configured: Sequence[FeedConfig] = ()
) -> Reply:
    """Feed health as ``/feeds`` and ``newsbot feeds`` show it: one line per feed.

    ``configured`` feeds the store has never heard of are listed too, as not polled yet.
    """
    states = feeds.feed_states()
    known = {st.url for st in states}
    never = [f for f in configured if f.url not in known]
    if not states and not never:
        return Reply("No feeds polled yet.")
    now = now or utcnow()
    lines = []
    for st in states:
        label = clean_line(st.name or display_url(st.url), 80)
        if st.consecutive_failures:
            since = f" since {window_text(st.last_success_at, now)} ago" if st.last_success_at else ""
            error = clean_line(st.last_error, 160)
            retry = (
                f", next try in {window_text(now - (st.next_poll_at - now), now)}"
                if st.next_poll_at and st.next_poll_at > now
                else ""
            )
            lines.append(
                f"DOWN {label}: {plural(st.consecutive_failures, 'failed poll')}{since}"
                f" ({error}){retry}"
            )
        elif st.last_success_at:
            lines.append(
                f"ok   {label}: polled {window_text(st.last_success_at, now)} ago, "
                f"{plural(st.items_seen, 'item')} seen"
            )
        else:
            lines.append(f"new  {label}: not polled yet")
    for feed in never:
        lines.append(f"new  {clean_line(feed.label, 80)}: not polled yet")
    return Reply("\n".join(lines))


def parse_brief_args(text: str) -> tuple[str | None, str | None]:
    """``/brief kursk 48h``, ``/brief 48h``, ``/brief north korea``: item and time span.

    A last word that reads as a duration is the span; the rest is the item, so multi-word
    names work without quoting.
    """
    words = text.split()
    since = None
    if words:
        try:
            parse_duration(words[-1])
            since = words.pop()
        except ValueError:
            pass
    return (" ".join(words) or None), since


def item_choices(watchlist: Watchlist, prefix: str = "", limit: int = 25) -> list[tuple[str, str]]:
    """(id, name) pairs for autocomplete, best first: prefix matches, then substring."""
    wanted = prefix.strip().casefold()
    items = [(i.id, i.name) for i in watchlist.items] + [("all", "Every watch item")]
    if not wanted:
        return items[:limit]
    starts = [p for p in items if p[0].startswith(wanted) or p[1].casefold().startswith(wanted)]
    inside = [p for p in items if p not in starts and (wanted in p[0] or wanted in p[1].casefold())]
    return (starts + inside)[:limit]
