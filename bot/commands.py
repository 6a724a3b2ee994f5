"""What team members can ask, independent of the chat platform that carried the question.

Adapters parse their platform's command payload into these calls and render what comes
back; the CLI's ``newsbot brief`` calls the same function, so chat and terminal agree.
"""

from __future__ import annotations

import difflib
from datetime import timedelta

from bot.alerts import window_text
from bot.models import Digest
from bot.nlp.watchlist import Watchlist
from bot.settings import parse_duration
from bot.store import Store, utcnow

DEFAULT_SINCE = timedelta(hours=24)
MAX_SINCE = timedelta(days=31)


class CommandError(ValueError):
    """A request that cannot be answered as asked; the message is meant for the user."""


def resolve_item(watchlist: Watchlist, name: str) -> str:
    """A watch item id from what a user typed (id or display name, any case)."""
    wanted = name.strip().casefold()
    for item in watchlist.items:
        if wanted in (item.id.casefold(), item.name.casefold()):
            return item.id
    choices = [i.id for i in watchlist.items]
    close = difflib.get_close_matches(wanted, choices, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise CommandError(f"Unknown watch item '{name}'.{hint} Known: {', '.join(choices)}.")


def parse_since(text: str | None) -> timedelta:
    if not text:
        return DEFAULT_SINCE
    try:
        since = parse_duration(text)
    except ValueError as exc:
        raise CommandError(f"'{text}' is not a time span; try 6h, 48h or 7d.") from exc
    if since <= timedelta(0):
        raise CommandError("The time span must be positive, e.g. 24h.")
    return min(since, MAX_SINCE)


def brief(
    store: Store,
    watchlist: Watchlist,
    item: str | None = None,
    since: str | None = None,
    limit: int = 10,
) -> Digest:
    """Recent alerts, newest first, for one watch item or all of them."""
    item_id = resolve_item(watchlist, item) if item else None
    window = parse_since(since)
    start = utcnow() - window
    alerts = store.recent_alerts(start, item_id=item_id, limit=limit)
    chosen = watchlist.get(item_id) if item_id else None
    what = chosen.name if chosen else "all watch items"
    return Digest(
        title=f"Brief: {what}, last {window_text(start)}",
        alerts=tuple(alerts),
        since=start,
        item_id=item_id,
    )
