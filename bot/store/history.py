"""Reading back what was recorded: recent alerts (``/brief``), the articles whose text is
still kept (backtests of a watchlist edit) and that text by alert (feedback exports).
Recording it is :mod:`bot.store.articles`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from bot.models import Alert, Article
from bot.store.db import Database
from bot.store.schema import AlertRow, ArticleRow, alert_from_json


@dataclass(frozen=True)
class RetainedArticle:
    """An article whose text is still kept, as it was ingested, and what became of it."""

    article: Article
    """Rebuilt from its row: ``guid`` and ``url`` as stored (an over-long one is kept
    shortened), ``language`` the detected one when it alerted, else the declared one."""
    seen_at: datetime
    alerted: bool
    """It matched enough to alert: an alert of its own, or one more source of a story."""
    item_ids: tuple[str, ...] = ()
    """The watch items of its alert (of the story's alert, for one more source)."""
    alert_id: str | None = None


class HistoryRepository:
    """What ingest recorded, read back. Methods are synchronous; async callers run them in
    an executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def recent_alerts(
        self, since: datetime, item_id: str | None = None, limit: int = 20
    ) -> list[Alert]:
        """Alerts created since ``since``, newest first, optionally for one watch item."""
        with self.db.session() as s:
            rows = s.scalars(
                select(AlertRow)
                .where(AlertRow.created_at >= since)
                .order_by(AlertRow.created_at.desc(), AlertRow.top_score.desc())
            )
            out: list[Alert] = []
            for row in rows:
                if item_id is not None and item_id not in row.item_ids:
                    continue
                out.append(alert_from_json(row.payload))
                if len(out) >= limit:
                    break
            return out


    def retained(self, since: datetime, *, batch: int = 500) -> Iterator[RetainedArticle]:
        """Every article seen since ``since`` whose text is still kept, oldest first.

        Read in batches of ``batch``, each in a short read of its own, so a week of a
        large deployment (70,000 articles) is never one list, nor one long transaction.
        """
        after: tuple[datetime, int] | None = None
        while True:
            with self.db.session() as s:
                query = select(ArticleRow).where(
                    ArticleRow.text.is_not(None), ArticleRow.seen_at >= since
                )
                if after is not None:
                    query = query.where(tuple_(ArticleRow.seen_at, ArticleRow.id) > after)
                rows = list(
                    s.scalars(query.order_by(ArticleRow.seen_at, ArticleRow.id).limit(batch))
                )
                if not rows:
                    return
                own = {
                    article_id: (alert_id, tuple(items))
                    for alert_id, article_id, items in s.execute(
                        select(AlertRow.id, AlertRow.article_id, AlertRow.item_ids).where(
                            AlertRow.article_id.in_([r.id for r in rows])
                        )
                    )
                }
                stories = {r.story_of for r in rows if r.story_of}
                story_items = {
                    alert_id: tuple(items)
                    for alert_id, items in s.execute(
                        select(AlertRow.id, AlertRow.item_ids).where(AlertRow.id.in_(stories))
                    )
                } if stories else {}
            for r in rows:
                alert_id, items = own.get(r.id, (None, ()))
                if alert_id is None and r.story_of:
                    alert_id, items = r.story_of, story_items.get(r.story_of, ())
                yield RetainedArticle(
                    article=_article_of(r),
                    seen_at=r.seen_at,
                    alerted=alert_id is not None,
                    item_ids=items,
                    alert_id=alert_id,
                )
            if len(rows) < batch:
                return
            after = (rows[-1].seen_at, rows[-1].id)

    def kept_texts(self, alert_ids: Iterable[str]) -> dict[str, str]:
        """The full text of each alert's article while it is still kept (``retention``),
        by alert id; alerts whose text was pruned (or never kept) are absent."""
        ids = list(dict.fromkeys(alert_ids))
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            with self.db.session() as s:
                out.update(
                    (alert_id, text)
                    for alert_id, text in s.execute(
                        select(AlertRow.id, ArticleRow.text)
                        .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
                        .where(AlertRow.id.in_(ids[i:i + 500]), ArticleRow.text.is_not(None))
                    )
                    if text
                )
        return out


def _article_of(row: ArticleRow) -> Article:
    return Article(
        source_id=row.source_id,
        source_name=row.source_name or "",
        guid=row.guid,
        title=row.title,
        text=row.text or "",
        url=row.url,
        published=row.published,
        language=row.language,
        location=row.location,
    )
