"""Questions only tests ask the database: the bot itself never needs them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from bot.models import Alert, Article
from bot.store.articles import seen_clause
from bot.store.repositories import Repositories
from bot.store.schema import AlertRow, ArticleRow, DeliveryRow, alert_from_json


def is_seen(store: Repositories, article: Article) -> bool:
    """Would the article count as seen (by guid, canonical URL or content hash)?"""
    with store.db.session() as s:
        return s.scalar(select(ArticleRow.id).where(seen_clause(article)).limit(1)) is not None


def next_due(store: Repositories, platforms: Iterable[str]) -> datetime | None:
    """When the earliest pending delivery for ``platforms`` is due."""
    with store.db.session() as s:
        return s.scalar(
            select(DeliveryRow.next_attempt_at)
            .where(DeliveryRow.status == "pending", DeliveryRow.platform.in_(list(platforms)))
            .order_by(DeliveryRow.next_attempt_at)
            .limit(1)
        )


def get_alert(store: Repositories, alert_id: str) -> Alert | None:
    """The alert as stored now."""
    with store.db.session() as s:
        row = s.get(AlertRow, alert_id)
        return None if row is None else alert_from_json(row.payload)
