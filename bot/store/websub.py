"""The WebSub subscription of each configured feed at the hub it advertises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database
from bot.store.keyed import KeyedRows
from bot.store.schema import WebSubRow


@dataclass(frozen=True)
class WebSubState:
    feed_url: str
    hub: str
    topic: str
    secret: str
    state: str
    requested_at: datetime | None
    expires_at: datetime | None
    last_error: str | None


def websub_state(row: WebSubRow) -> WebSubState:
    return WebSubState(
        feed_url=row.feed_url,
        hub=row.hub,
        topic=row.topic,
        secret=row.secret,
        state=row.state,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        last_error=row.last_error,
    )


class WebSubRepository:
    """The ``websub`` table, by feed URL."""

    def __init__(self, db: Database) -> None:
        self._rows = KeyedRows(db, WebSubRow, WebSubRow.feed_url, websub_state)

    def websub(self, feed_url: str) -> WebSubState | None:
        return self._rows.get(feed_url)

    def websub_all(self) -> list[WebSubState]:
        return self._rows.all()

    def set_websub(self, feed_url: str, **values: Any) -> None:
        """Create or update the subscription record of a feed."""
        self._rows.upsert(feed_url, values)
