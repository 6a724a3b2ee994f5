"""``/search <words> [item] [since]``: the alerts this bot sent that mention some words,
best first, each with a link to where it was posted, answered to the caller alone.

It takes what it searches through as a narrow protocol (:class:`AlertSearch`, the store's
search repository) and the platform's message links as a function (:data:`LinkFor`, from
the adapter that received the command), so it knows neither a database nor a platform.
What people type is never handed on as a query language: only words (letters and digits,
lower-cased) reach the search, so quotes, stars, ``NEAR``, column filters and mentions are
plain text at most; too much of it is refused in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.commands.core import Caller, CommandError, Reply, parse_span
from bot.models import Alert, Target
from bot.nlp.watchlist import Watchlist
from bot.settings.sections import parse_duration
from bot.text import clean_line, plural

MAX_WORDS = 12
MAX_WORD = 60
MAX_TEXT = 500
"""Characters of a search as typed: a pasted article is refused, not searched."""
SHOWN = 5
"""Matches in an answer: a private reply, read at a glance."""
ASKED = 20
"""Matches asked of the store (some may have been sent on another platform only)."""
USAGE = "/search <words> [item] [since], e.g. /search artillery shells kursk 7d"

_WORD = re.compile(r"\w+", re.UNICODE)
_MENTION = re.compile(r"<[@#!][^<>]{0,80}>|@(?:everyone|here|channel)\b", re.IGNORECASE)
"""Slack ``<@U1>``, ``<#C1|x>``, ``<!here>``; Discord ``<@1>``, ``<@&1>``, ``<#1>``; and the
broadcast words. Dropped before the words are read: nobody searches news for a ping."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
"""Typed in capitals, these are query syntax, not words anyone searches news for."""


class Delivered(Protocol):
    """Where a found alert went: the channel, what became of it, the platform's id."""

    @property
    def target(self) -> Target: ...
    @property
    def status(self) -> str: ...
    @property
    def external_id(self) -> str | None: ...


class Hit(Protocol):
    """One found alert, with a plain-text snippet around the words and its deliveries."""

    @property
    def alert(self) -> Alert: ...
    @property
    def snippet(self) -> str: ...
    @property
    def deliveries(self) -> Sequence[Delivered]: ...


class AlertSearch(Protocol):
    """The alerts recorded, searched by words (the store's ``SearchRepository``); a
    ``ValueError`` (its ``SearchError``) for words it cannot search."""

    def alerts(
        self,
        words: str,
        *,
        item: str | None = None,
        language: str | None = None,
        feed: str | None = None,
        channel: Target | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> Sequence[Hit]: ...


LinkFor = Callable[[Target, "str | None"], "str | None"]
"""A link opening the message with that id in that channel, or None (the adapter's)."""


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...]
    item: str | None = None
    since: datetime | None = None
    since_text: str | None = None


def _since(text: str, now: datetime) -> datetime:
    """``2026-12-01`` (that day, UTC), or a span read as ``/brief`` reads it (``7d``,
    ``48h``: that long ago, uncapped)."""
    if _DATE.fullmatch(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as exc:
            raise CommandError(f"'{text}' is not a date; try 2026-12-01 or 7d.") from exc
        if day > now:
            raise CommandError(f"{text} has not happened yet; try an earlier date or 7d.")
        return day
    span = parse_span(
        text, timedelta(0), timedelta.max, "7d or 2026-12-01", what="a time span or a date", example="7d"
    )
    try:
        return now - span
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _reads_as_since(text: str) -> bool:
    if _DATE.fullmatch(text):
        return True
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


def _item_id(watchlist: Watchlist, name: str) -> str | None:
    wanted = name.casefold()
    return next((i.id for i in watchlist.items if i.id.casefold() == wanted), None)


def build_query(
    words: str,
    watchlist: Watchlist,
    item: str | None = None,
    since: str | None = None,
    now: datetime | None = None,
) -> SearchQuery:
    """The search asked for, from its parts (a Discord command's options); a refusal in
    words when it cannot be run."""
    now = now or datetime.now(UTC)
    if len(words) > MAX_TEXT:
        raise CommandError(
            f"That is a long search ({len(words)} characters); use a few words, at most {MAX_WORDS}."
        )
    found = [
        w.casefold() for w in _WORD.findall(_MENTION.sub(" ", words)) if w not in _OPERATORS
    ]
    if not found:
        raise CommandError(f"What should I look for? {USAGE}.")
    if len(found) > MAX_WORDS:
        raise CommandError(
            f"That is {len(found)} words; a search takes at most {MAX_WORDS}. Try the few that matter most."
        )
    if any(len(w) > MAX_WORD for w in found):
        raise CommandError(f"One of those words is over {MAX_WORD} characters long; nothing reads like that.")
    item_id = None
    if item:
        item_id = _item_id(watchlist, item.strip())
        if item_id is None:
            raise CommandError(f"Unknown watch item '{clean_line(item, 40)}'; see /watchlist.")
    span = (since or "").strip()
    when = _since(span, now) if span else None
    return SearchQuery(tuple(dict.fromkeys(found)), item_id, when, span or None)


def parse_search_args(text: str, watchlist: Watchlist, now: datetime | None = None) -> SearchQuery:
    """``/search shells kursk 7d`` as typed: a last word that reads as a time span or a
    date is ``since``; then, if words remain, a last word that is a watch item's id is
    ``item`` (``/search kursk`` searches the word). ``item:<id>`` and ``since:<span>``
    say so anywhere."""
    if len(text) > MAX_TEXT:
        return build_query(text, watchlist, now=now)
    tokens = text.split()
    item = since = None
    rest = []
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and key.casefold() == "item" and value:
            item = value
        elif sep and key.casefold() == "since" and value:
            since = value
        else:
            rest.append(token)
    if since is None and rest and _reads_as_since(rest[-1]):
        since = rest.pop()
    if item is None and len(rest) > 1 and _item_id(watchlist, rest[-1]) is not None:
        item = rest.pop()
    return build_query(" ".join(rest), watchlist, item, since, now)


def _date(alert: Alert) -> str:
    when = alert.published or alert.created_at
    return when.strftime("%Y-%m-%d") if when else "undated"


def _link(hit: Hit, caller: Caller, link: LinkFor | None) -> str | None:
    """Where to open the alert: its message in the caller's channel if it went there,
    else another channel of this platform; the article when no message can be linked."""
    sent = [d for d in hit.deliveries if d.status == "sent" and d.target.platform == caller.platform]
    sent.sort(key=lambda d: d.target.channel != caller.channel)
    for d in sent:
        url = link(d.target, d.external_id) if link is not None else None
        if url:
            return url
    return hit.alert.url


def search(
    repo: AlertSearch,
    watchlist: Watchlist,
    caller: Caller,
    query: SearchQuery,
    link: LinkFor | None = None,
    shown: int = SHOWN,
) -> Reply:
    """The best matches among the alerts sent on the caller's platform, one short block
    each: date, items, source, headline, the snippet, a link."""
    try:
        hits = repo.alerts(" ".join(query.words), item=query.item, since=query.since, limit=ASKED)
    except ValueError as exc:  # the store's SearchError: words it cannot search
        raise CommandError(f"Those words cannot be searched ({clean_line(str(exc), 120)}); try others.") from exc
    sent = [
        h for h in hits
        if any(d.status == "sent" and d.target.platform == caller.platform for d in h.deliveries)
    ][:shown]
    asked = f"“{' '.join(query.words)}”"
    scope = []
    if query.item:
        item = watchlist.get(query.item)
        scope.append(item.name if item else query.item)
    if query.since_text:
        scope.append(f"since {query.since_text}")
    where = f" ({', '.join(scope)})" if scope else ""
    if not sent:
        return Reply(f"No alert sent here matches {asked}{where}. Fewer words, or a longer span, may find one.")
    lines = [f"{plural(len(sent), 'alert')} for {asked}{where}, best first:"]
    for n, hit in enumerate(sent, 1):
        alert = hit.alert
        items = ", ".join(clean_line(m.name, 40) for m in alert.matches[:3])
        lines.append(f"{n}. {_date(alert)} · {items} · {clean_line(alert.source_name, 60)}")
        lines.append(f"   {clean_line(alert.title, 200) or '(untitled)'}")
        snippet = clean_line(hit.snippet, 200)
        if snippet:
            lines.append(f"   {snippet}")
        url = _link(hit, caller, link)
        if url:
            lines.append(f"   {url}")
    return Reply("\n".join(lines))
