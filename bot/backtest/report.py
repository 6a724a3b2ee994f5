"""A backtest as plain data for people: counts, the edit in words, each article with its
title, feed, date and why (the console's Watchlist page and ``newsbot watchlist backtest``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from bot.backtest import Backtest, Change, Decided
from bot.models import Match
from bot.nlp.watchlist import Watchlist
from bot.settings.diff import describe_watchlist_diff
from bot.text import clean_line


class Retained(Decided, Protocol):
    """A retained article (``HistoryRepository.retained``): what a backtest reads."""

    @property
    def seen_at(self) -> datetime: ...


T = TypeVar("T", bound=Retained)


def _why(matches: Sequence[Match], watchlist: Watchlist) -> list[dict[str, Any]]:
    out = []
    for m in matches:
        item = watchlist.get(m.id)
        out.append({
            "item": m.id,
            "name": clean_line(m.name, 120),
            "evidence": [clean_line(e, 160) for e in m.evidence[:6]],
            "score": m.score,
            "min_score": item.min_score if item is not None else None,
            "in_title": m.in_title,
        })
    return out


def _entry(change: Change[T], matches: Sequence[Match], watchlist: Watchlist) -> dict[str, Any]:
    article = change.record.article
    when = article.published or change.record.seen_at
    url = article.url if article.url and article.url.startswith(("https://", "http://")) else None
    return {
        "title": clean_line(article.title, 300) or "(no title)",
        "feed": clean_line(article.source_name, 120),
        "date": when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "",
        "url": url,
        "why": _why(matches, watchlist),
    }


def outcome(
    result: Backtest[T], current: Watchlist, edited: Watchlist, shown: int | None = None
) -> dict[str, Any]:
    """The backtest as plain data (the console's page, ``newsbot watchlist backtest --json``):
    the counts, the edit in words, and per article (the first ``shown`` of each side) its
    title, feed, date and why, every string from a feed cleaned to one bounded line."""
    return {
        "gained_count": result.gained_count,
        "lost_count": result.lost_count,
        "gained": [_entry(c, c.after, edited) for c in result.gained[:shown]],
        "lost": [_entry(c, c.before, current) for c in result.lost[:shown]],
        "articles": result.articles,
        "rematched": result.rematched,
        "changes": describe_watchlist_diff(result.diff),
    }


