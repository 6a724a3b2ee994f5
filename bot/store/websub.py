"""The WebSub subscription of each configured feed at the hub it advertises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database
from bot.store.keyed import KeyedRows, as_state
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
    return as_state(WebSubState, row)


class WebSubRepository(KeyedRows[WebSubRow, WebSubState]):
    """The ``websub`` table, by feed URL: ``set_websub(url, **fields)`` creates or updates
    the subscription record of a feed."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, WebSubRow, WebSubRow.feed_url, websub_state)

    websub = KeyedRows.get
    websub_all = KeyedRows.all
    set_websub = KeyedRows.upsert
