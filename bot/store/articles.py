"""What was seen and what was alerted: an article's "seen" mark, its alert and one delivery
row per target are written in one transaction, so a crash can never leave an alert that
nobody will deliver, and a restart never alerts an article twice."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Alert, Article, Match, Target
from bot.store.columns import GUID, URL_KEY
from bot.store.db import Database, utcnow
from bot.store.enqueue import FollowupModes, StoryNews, queue_new_targets, queue_updates
from bot.store.schema import (
    AlertRow,
    ArticleRow,
    DeliveryRow,
    alert_from_json,
    alert_to_json,
)


@dataclass(frozen=True)
class StoryJoin:
    """What :meth:`ArticleRepository.join_story` made of a near-copy."""

    alert: Alert
    """The story's alert as it now reads."""
    changed: bool = False
    """It gained a source or a watch item: its posted messages are queued as edits."""
    queued: int = 0
    """Deliveries queued for targets of watch items the alert did not name before."""


def seen_clause(article: Article) -> Any:
    """Rows that make ``article`` seen: its guid, its canonical URL or its content hash."""
    clauses = [
        (ArticleRow.source_id == article.source_id) & (ArticleRow.guid == article.guid),
        ArticleRow.content_hash == article.content_hash,
    ]
    if article.url:
        clauses.append(ArticleRow.url == article.url)
    return or_(*clauses)


MAX_TEXT = 100_000
"""Characters of an article's body kept for its retention window (a long feature is about
30,000; what a feed or page may bring is capped in bytes before, this caps what is kept)."""
MAX_SUMMARY = 4_000


def summary_of(alert: Alert) -> str:
    """What an alert quotes of its article, kept searchable after the text is pruned."""
    parts = [alert.lead, *(q.text for q in alert.quotes)]
    return "\n".join(p for p in parts if p)[:MAX_SUMMARY]


def _article_values(
    article: Article, language: str | None, *, keep_text: bool = True, **extra: Any
) -> dict[str, Any]:
    return {
        "source_id": article.source_id,
        "guid": article.guid,
        "url": article.url,
        "content_hash": article.content_hash,
        "title": article.title[:2000],
        "language": language,
        "published": article.published,
        "seen_at": utcnow(),
        "source_name": article.source_name,
        "location": article.location,
        "text": article.text[:MAX_TEXT] if keep_text else None,
        **extra,
    }


def _chunks(items: Sequence[Article], size: int) -> Iterable[Sequence[Article]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _seen(s: Session, article: Article) -> bool:
    return s.scalar(select(ArticleRow.id).where(seen_clause(article)).limit(1)) is not None


class ArticleRepository:
    """Articles and their alerts as ingest records them (reading them back is
    :class:`~bot.store.history.HistoryRepository`). Methods are synchronous; async callers
    run them in an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def filter_new(self, articles: Iterable[Article], session: Session | None = None) -> list[Article]:
        """The articles not seen before, by guid, canonical URL or content hash.

        A few IN queries per batch, not one per article: a seed folder is re-checked
        every scan. Duplicates inside the batch count as seen after their first copy.
        """
        articles = list(articles)
        guids: set[tuple[str, str]] = set()
        urls: set[str] = set()
        hashes: set[str] = set()
        with contextlib.nullcontext(session) if session is not None else self.db.session() as s:
            for chunk in _chunks(articles, 400):
                by_source: dict[str, list[str]] = {}
                for a in chunk:
                    by_source.setdefault(a.source_id, []).append(a.guid)
                for source, gs in by_source.items():
                    rows = s.execute(
                        select(ArticleRow.guid).where(
                            ArticleRow.source_id == source, ArticleRow.guid.in_(gs)
                        )
                    )
                    guids |= {(source, g) for (g,) in rows}
                wanted_urls = [a.url for a in chunk if a.url]
                if wanted_urls:
                    urls |= set(
                        s.scalars(select(ArticleRow.url).where(ArticleRow.url.in_(wanted_urls)))
                    )
                hashes |= set(
                    s.scalars(
                        select(ArticleRow.content_hash).where(
                            ArticleRow.content_hash.in_([a.content_hash for a in chunk])
                        )
                    )
                )
        fresh: list[Article] = []
        for a in articles:
            # Compared as stored: an over-long guid or URL is kept shortened (KeyString).
            guid, url = (a.source_id, GUID.stored(a.guid)), a.url and URL_KEY.stored(a.url)
            if guid in guids or a.content_hash in hashes or (url and url in urls):
                continue
            fresh.append(a)
            guids.add(guid)
            hashes.add(a.content_hash)
            if url:
                urls.add(url)
        return fresh

    def record(
        self,
        article: Article,
        alert: Alert | None,
        targets: Sequence[Target] = (),
        fingerprint: str | None = None,
        *,
        keep_text: bool = True,
    ) -> bool:
        """Mark the article seen, and queue its alert for every target, in one transaction.

        Returns False (and writes nothing) if the article was seen meanwhile.
        ``fingerprint`` (the story's SimHash) lets a later near-copy find this alert.
        ``keep_text``: store the body too (``retention`` is not 0), until it is pruned.
        """
        try:
            return self._record(article, alert, targets, fingerprint, keep_text)
        except IntegrityError:
            return False  # another process recorded the same guid first

    def _record(
        self,
        article: Article,
        alert: Alert | None,
        targets: Sequence[Target],
        fingerprint: str | None,
        keep_text: bool,
    ) -> bool:
        with self.db.session.begin() as s:
            self.db.serialise(s)
            if _seen(s, article):
                return False
            language = alert.language if alert else article.language
            row = ArticleRow(
                **_article_values(
                    article, language, keep_text=keep_text, alerted=alert is not None,
                    summary=summary_of(alert) if alert else None,
                )
            )
            s.add(row)
            s.flush()
            if alert is not None:
                s.add(
                    AlertRow(
                        id=alert.id,
                        article_id=row.id,
                        created_at=alert.created_at or utcnow(),
                        item_ids=list(alert.item_ids),
                        top_score=max((m.score for m in alert.matches), default=0.0),
                        payload=alert_to_json(alert),
                        fingerprint=fingerprint,
                    )
                )
                for t in dict.fromkeys(targets):
                    s.add(DeliveryRow(alert_id=alert.id, platform=t.platform, channel=t.channel))
            return True

    def record_seen(
        self, articles: Iterable[Article], *, filtered: bool = False, keep_text: bool = True
    ) -> int:
        """Mark many articles seen, none alerted, in one transaction (a feed's backlog).

        One transaction instead of one per article: a new feed's first poll brings dozens.
        Returns how many were new. ``filtered``: the caller just took these from
        :meth:`filter_new`, so they are inserted without asking again; should another
        process have recorded one meanwhile, the unique guid refuses the batch and it is
        filtered after all. (A same-URL copy slipping in twice is harmless: it alerts
        nobody.)
        """
        articles = list(articles)
        for attempt in range(3):
            try:
                with self.db.session.begin() as s:
                    self.db.serialise(s)
                    trust = filtered and attempt == 0
                    fresh = articles if trust else self.filter_new(articles, session=s)
                    if fresh:  # a core INSERT: the ORM's unit of work costs more than the row
                        s.execute(
                            insert(ArticleRow),
                            [
                                _article_values(a, a.language, keep_text=keep_text, alerted=False)
                                for a in fresh
                            ],
                        )
                    return len(fresh)
            except IntegrityError:  # another process recorded one of them: filter again
                continue
        return 0

    # -- stories (one alert per story) ---------------------------------------------------

    def story_candidates(self, since: datetime) -> list[tuple[str, str]]:
        """``(alert id, fingerprint)`` of the alerts since ``since`` that have a fingerprint."""
        with self.db.session() as s:
            rows = s.execute(
                select(AlertRow.id, AlertRow.fingerprint).where(
                    AlertRow.created_at >= since, AlertRow.fingerprint.is_not(None)
                )
            )
            return [(i, fp) for i, fp in rows if fp]

    def join_story(
        self,
        article: Article,
        alert_id: str,
        matches: Sequence[Match] = (),
        targets_of: Mapping[str, Sequence[Target]] | None = None,
        modes: FollowupModes | None = None,
        *,
        keep_text: bool = True,
    ) -> StoryJoin | None:
        """Record ``article`` as one more source of an alerted story, in one transaction:
        the article is marked seen, the alert lists the source, and every delivery of the
        alert that was already posted is queued again as an edit of that message.

        ``matches``: what the article matched. Watch items the alert did not name yet are
        added to it, and every target of those items (``targets_of[item]``) that the alert
        has no delivery for is queued the story's alert, in the same transaction: once,
        however many copies follow (the alert then names the item, and a target it was
        queued for has its row).

        ``modes``: each channel's follow-up mode; where it is ``thread`` or ``both`` the new
        outlet is told as a reply in the alert's thread (see :func:`queue_updates`).

        Returns the alert as it now reads, or None if the article was seen meanwhile.
        """
        try:
            with self.db.session.begin() as s:
                self.db.serialise(s)
                if _seen(s, article):
                    return None
                alert_row = s.get(AlertRow, alert_id)
                if alert_row is None:
                    return None
                s.add(
                    ArticleRow(
                        **_article_values(
                            article, article.language, keep_text=keep_text, story_of=alert_id
                        )
                    )
                )
                alert = alert_from_json(alert_row.payload)
                had = set(alert.item_ids)
                # Spans point into this article's text, not the alert's: kept out.
                added = tuple(
                    replace(m, spans=()) for m in dict(
                        (m.id, m) for m in matches if m.id not in had
                    ).values()
                )
                source = article.source_name
                new_source = source != alert.source_name and source not in alert.also_in
                if not added and not new_source:
                    return StoryJoin(alert)  # the same outlet again, nothing new: nothing to tell
                if new_source:
                    alert = replace(alert, also_in=(*alert.also_in, source))
                queued = 0
                if added:
                    alert = replace(alert, matches=(*alert.matches, *added))
                    alert_row.item_ids = list(alert.item_ids)
                    alert_row.top_score = max(m.score for m in alert.matches)
                    queued = queue_new_targets(s, alert_id, added, targets_of or {})
                alert_row.payload = alert_to_json(alert)
                news = StoryNews("source", source, article.url or None) if new_source else None
                queue_updates(s, alert_id, news, modes)
                return StoryJoin(alert, changed=True, queued=queued)
        except IntegrityError:
            return None

    # -- kept text: its pruning (reading it back is bot.store.history) -----------------

    def prune_text(self, before: datetime, *, batch: int = 200) -> int:
        """Forget the text of at most ``batch`` articles seen before ``before`` (the rest of
        each row stays: it is still seen, its alert still found by title and summary).

        One short transaction: the caller repeats while it returns ``batch``, so a big
        backlog never holds the database's write lock for long. Returns how many."""
        with self.db.session.begin() as s:
            ids = list(
                s.scalars(
                    select(ArticleRow.id)
                    .where(ArticleRow.text.is_not(None), ArticleRow.seen_at < before)
                    .order_by(ArticleRow.seen_at)
                    .limit(batch)
                )
            )
            if ids:
                s.execute(update(ArticleRow).where(ArticleRow.id.in_(ids)).values(text=None))
            return len(ids)
