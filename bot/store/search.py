"""Full-text search over what was seen and alerted (title, alert quotes, source, kept text).

The index is the database's own, kept by it whatever writes an article (migration 0005):
SQLite FTS5 (``articles_fts``, external content, triggers) and PostgreSQL's ``tsvector``
(``articles.search_vector``, ``simple`` configuration: ten languages, no stemming, accents
folded by ``newsbot_fold``). The user's words never reach either query language as
written: each is reduced to letters and digits and quoted, then bound as a parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, cast, exists, func, literal_column, or_, select
from sqlalchemy import text as sql
from sqlalchemy.orm import aliased

from bot.models import Alert, Target
from bot.store.db import Database
from bot.store.schema import AlertRow, ArticleRow, DeliveryRow, alert_from_json
from bot.text import ELLIPSIS, clean_line, folded_with_offsets

MAX_WORDS = 16
MAX_WORD = 64
MAX_QUERY = 4_000
MAX_LIMIT = 100
SNIPPET = 220
"""Characters of text shown around a hit."""
_WORD = re.compile(r"[^\W_]+")
_WIDE = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af]")
SEARCH_OBJECTS = ("articles_fts", "search_vector", "ix_articles_search")
"""What the search index adds to the schema outside the models (per backend)."""


class SearchError(ValueError):
    """The words cannot be searched; the message says why, for the person who typed them."""


@dataclass(frozen=True)
class Term:
    word: str
    """Lowercase letters and digits (the database folds accents itself)."""
    prefix: bool
    """Also matches longer words it begins (``kursk`` finds ``kurskaya``)."""


def search_terms(words: str | Sequence[str]) -> tuple[Term, ...]:
    """The terms of a query, every one to be found. Empty words: no terms (list recent).

    Anything but letters and digits separates words, so quotes, ``*``, ``NEAR(``, ``OR``
    are words or nothing, never syntax. A word of four letters or more (two of Hangul or
    kana/ideographs) also matches the words it begins: inflected forms, Korean particles.
    """
    raw = words if isinstance(words, str) else " ".join(words)
    if len(raw) > MAX_QUERY:
        raise SearchError(f"a search is at most {MAX_QUERY} characters long")
    found = list(dict.fromkeys(w.casefold() for w in _WORD.findall(raw)))
    if not found:
        if raw.strip():
            raise SearchError(f"nothing to search for in {clean_line(raw, 40)!r}: give words")
        return ()
    if len(found) > MAX_WORDS:
        raise SearchError(f"a search takes at most {MAX_WORDS} words (this one has {len(found)})")
    long = next((w for w in found if len(w) > MAX_WORD), None)
    if long is not None:
        raise SearchError(f"words are at most {MAX_WORD} characters ({long[:20]}… is longer)")
    return tuple(
        Term(w, len(w) >= 4 or (len(w) >= 2 and bool(_WIDE.search(w)))) for w in found
    )


@dataclass(frozen=True)
class StorySource:
    """One article of an alert's story: the one that alerted (``first``) or a later copy."""

    source_name: str
    source_id: str
    title: str
    url: str | None
    location: str | None
    language: str | None
    seen_at: datetime
    first: bool


@dataclass(frozen=True)
class DeliveryState:
    """What became of an alert in one channel."""

    target: Target
    status: str
    """``pending``, ``sending``, ``sent`` or ``failed``."""
    last_error: str | None
    external_id: str | None
    """The platform's id of the posted message (Slack ``ts``, Discord message id)."""
    sent_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class AlertHit:
    alert: Alert
    snippet: str
    """Plain text around the first hit (escape it where it is shown)."""
    sources: tuple[StorySource, ...]
    deliveries: tuple[DeliveryState, ...]


@dataclass(frozen=True)
class SeenHit:
    """An article seen but not alerted (nor part of an alerted story)."""

    title: str
    source_name: str
    source_id: str
    url: str | None
    location: str | None
    language: str | None
    seen_at: datetime
    snippet: str


def _source_id(feed: str) -> str:
    return feed if feed.startswith(("feed:", "files:")) else f"feed:{feed}"


def snippet(texts: Sequence[str], terms: Sequence[Term], size: int = SNIPPET) -> str:
    """One line of plain text around the first hit in the first text with the most terms
    found (the start of the first text when none is found: a hit in a pruned text)."""
    best: tuple[int, str, int] | None = None
    for text in texts:
        if not text:
            continue
        folded, origin = folded_with_offsets(text)
        found, first = 0, len(folded)
        for t in terms:
            m = re.search(rf"(?<!\w){re.escape(t.word)}" + ("" if t.prefix else r"(?!\w)"), folded)
            if m:
                found += 1
                first = min(first, m.start())
        if best is None or found > best[0]:
            at = origin[first] if first < len(folded) else 0
            best = (found, text, at)
        if terms and found == len(terms):
            break
    if best is None:
        return ""
    _, text, at = best
    start = max(0, at - size // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < at else start
    piece = clean_line(text[start:], size)
    return (ELLIPSIS + " " if start else "") + piece


class SearchRepository:
    """Searches alerts and seen articles; read-only."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the match, per backend ------------------------------------------------------------

    def _hits(self, terms: Sequence[Term]) -> Any:
        """``(article_id, rank)`` of every article matching all ``terms``; lower rank first."""
        if self.db.postgres:
            query = " & ".join(f"'{t.word}'" + (":*" if t.prefix else "") for t in terms)
            tsq = func.to_tsquery(literal_column("'simple'::regconfig"), func.newsbot_fold(query))
            vector: Any = literal_column("articles.search_vector")
            return (
                select(ArticleRow.id.label("article_id"), (-func.ts_rank(vector, tsq)).label("rank"))
                .where(vector.op("@@")(tsq))
                .subquery("hits")
            )
        query = " ".join('"' + t.word.replace('"', '""') + '"' + ("*" if t.prefix else "") for t in terms)
        return (
            select(
                literal_column("articles_fts.rowid").label("article_id"),
                literal_column("bm25(articles_fts, 10.0, 4.0, 2.0, 1.0)").label("rank"),
            )
            .select_from(sql("articles_fts"))
            .where(sql("articles_fts MATCH :fts_query").bindparams(fts_query=query))
            # Materialised: bm25 can only be computed inside the MATCH query itself.
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )

    def _search(
        self,
        query: Select[Any],
        words: str | Sequence[str],
        limit: int,
        *,
        ranked_by: Callable[[Any], tuple[Any, Any]],
        when: Any,
        language_of: Any,
        language: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[Select[Any], tuple[Term, ...]]:
        """What both searches share: the words read (refused before any query), the hits
        joined best first (newest first without words), the time window, the language and
        a limit between 1 and :data:`MAX_LIMIT`. ``ranked_by(hits)``: what to join the
        article hits as and on what, a subquery with a ``rank`` column."""
        terms = search_terms(words)
        if terms:
            ranked, on = ranked_by(self._hits(terms))
            query = query.join(ranked, on).order_by(ranked.c.rank, when.desc())
        else:
            query = query.order_by(when.desc())
        if since is not None:
            query = query.where(when >= since)
        if until is not None:
            query = query.where(when < until)
        if language:
            query = query.where(language_of == language)
        return query.limit(max(1, min(limit, MAX_LIMIT))), terms

    # -- alerts --------------------------------------------------------------------------

    def alerts(
        self,
        words: str | Sequence[str],
        *,
        item: str | None = None,
        language: str | None = None,
        feed: str | None = None,
        channel: Target | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> list[AlertHit]:
        """Alerts whose story (the alerted article, the copies that joined it) matches
        every word, best first; no words: the newest. ``feed``: a feed URL or source id,
        anywhere in the story; ``channel``: it was queued for that channel.
        Raises :class:`SearchError` for words that cannot be searched."""
        own = aliased(ArticleRow)
        query, terms = self._search(
            select(AlertRow).join(own, own.id == AlertRow.article_id), words, limit,
            ranked_by=_by_alert, when=AlertRow.created_at, language_of=own.language,
            language=language, since=since, until=until,
        )
        if item:
            query = query.where(
                cast(AlertRow.item_ids, Text).contains(json.dumps(item), autoescape=True)
            )
        if feed:
            story = aliased(ArticleRow)
            query = query.where(
                exists().where(
                    story.source_id == _source_id(feed),
                    or_(story.id == AlertRow.article_id, story.story_of == AlertRow.id),
                )
            )
        if channel is not None:
            query = query.where(
                exists().where(
                    DeliveryRow.alert_id == AlertRow.id,
                    DeliveryRow.platform == channel.platform,
                    DeliveryRow.channel == channel.channel,
                )
            )
        with self.db.session() as s:
            rows = list(s.scalars(query))
            if not rows:
                return []
            ids = [r.id for r in rows]
            deliveries: dict[str, list[DeliveryState]] = {}
            for d in s.scalars(
                select(DeliveryRow).where(DeliveryRow.alert_id.in_(ids)).order_by(DeliveryRow.id)
            ):
                deliveries.setdefault(d.alert_id, []).append(
                    DeliveryState(Target(d.platform, d.channel), d.status, d.last_error,
                                  d.external_id, d.sent_at, d.attempts)
                )
            first_of = {r.article_id: r.id for r in rows}
            stories: dict[str, list[tuple[StorySource, str | None, str | None]]] = {}
            for a in s.scalars(
                select(ArticleRow)
                .where(or_(ArticleRow.id.in_(list(first_of)), ArticleRow.story_of.in_(ids)))
                .order_by(ArticleRow.seen_at, ArticleRow.id)
            ):
                alert_id = first_of.get(a.id) or a.story_of
                if alert_id is None:
                    continue
                stories.setdefault(alert_id, []).append(
                    (_source(a, first=a.id in first_of), a.text, a.summary)
                )
        out = []
        for r in rows:
            alert = alert_from_json(r.payload)
            told = stories.get(r.id, [])
            texts = [alert.title, alert.lead, *(q.text for q in alert.quotes)]
            texts += [t for _, t, _ in told if t] + [src.title for src, _, _ in told]
            out.append(
                AlertHit(
                    alert=alert,
                    snippet=snippet(texts, terms),
                    sources=tuple(src for src, _, _ in told),
                    deliveries=tuple(deliveries.get(r.id, ())),
                )
            )
        return out

    # -- seen, not alerted ---------------------------------------------------------------

    def seen(
        self,
        words: str | Sequence[str],
        *,
        language: str | None = None,
        feed: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> list[SeenHit]:
        """Articles seen but not alerted (nor joined to an alerted story) matching every
        word, best first; no words: the newest."""
        quiet = and_(
            ArticleRow.alerted.is_(False),
            ArticleRow.story_of.is_(None),
            ~exists().where(AlertRow.article_id == ArticleRow.id),
        )
        query, terms = self._search(
            select(ArticleRow).where(quiet), words, limit,
            ranked_by=lambda hits: (hits, hits.c.article_id == ArticleRow.id),
            when=ArticleRow.seen_at, language_of=ArticleRow.language,
            language=language, since=since, until=until,
        )
        if feed:
            query = query.where(ArticleRow.source_id == _source_id(feed))
        with self.db.session() as s:
            rows = list(s.scalars(query))
        return [
            SeenHit(
                title=a.title, source_name=a.source_name or "", source_id=a.source_id,
                url=a.url, location=a.location, language=a.language, seen_at=a.seen_at,
                snippet=snippet([a.text or "", a.title], terms),
            )
            for a in rows
        ]


def _by_alert(hits: Any) -> tuple[Any, Any]:
    """Article hits as alert hits: an alert matches through its own article or any copy
    that joined its story, ranked by its best one."""
    hit_article = aliased(ArticleRow)
    alert_of = aliased(AlertRow)
    key = func.coalesce(hit_article.story_of, alert_of.id)
    matched = (
        select(key.label("alert_id"), func.min(hits.c.rank).label("rank"))
        .select_from(hits)
        .join(hit_article, hit_article.id == hits.c.article_id)
        .outerjoin(alert_of, alert_of.article_id == hit_article.id)
        .where(or_(hit_article.story_of.is_not(None), alert_of.id.is_not(None)))
        .group_by(key)
        .subquery("matched")
    )
    return matched, matched.c.alert_id == AlertRow.id


def _source(a: ArticleRow, *, first: bool) -> StorySource:
    return StorySource(
        source_name=a.source_name or "", source_id=a.source_id, title=a.title, url=a.url,
        location=a.location, language=a.language, seen_at=a.seen_at, first=first,
    )
