"""The column types that make a value from outside fit either backend: PostgreSQL and SQLite
disagree on time zones, lengths, NUL and index sizes, and these types settle each the same
way on both. The tables that use them are :mod:`bot.store.schema`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# --- what a column may hold -----------------------------------------------------------------
# PostgreSQL enforces VARCHAR lengths, refuses NUL in text and cannot index a value of more
# than about 2,700 bytes; SQLite does none of that. Every string column that can hold a value
# from outside (a feed, a chat platform) has one of these types, which fit the value on the way
# in, in writes and in comparisons alike, so a write never fails on one backend only and a
# comparison finds what a write stored.


def clean_text(value: str) -> str:
    """``value`` without NUL (PostgreSQL text cannot hold it) and with any lone surrogate
    (which no database driver can encode as UTF-8) replaced by ``?``."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _cut_bytes(value: str, max_bytes: int) -> str:
    return value.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


class SizedString(TypeDecorator[str]):
    """A VARCHAR of ``length`` characters; subclasses say what becomes of a longer value."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length


class KeyString(SizedString):
    """An identity (a guid, a URL, a channel id): kept whole when it fits, else its start and
    a hash of the whole, so two long values still differ and the same one always compares
    equal. ``max_bytes`` keeps an indexed value under PostgreSQL's index row limit."""

    cache_ok = True

    def __init__(self, length: int, max_bytes: int | None = None) -> None:
        super().__init__(length)
        self.max_bytes = max_bytes

    def stored(self, value: str) -> str:
        """The value as this column stores (and compares) it."""
        value = clean_text(value)
        too_long = len(value) > self.length
        if not too_long and self.max_bytes is not None and len(value) * 4 > self.max_bytes:
            too_long = len(value.encode("utf-8")) > self.max_bytes
        if not too_long:
            return value
        tail = "#" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
        head = value[: self.length - len(tail)]
        if self.max_bytes is not None:
            head = _cut_bytes(head, self.max_bytes - len(tail))
        return head + tail

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.stored(value)


class ShownString(SizedString):
    """Text for people (a feed's name, a language tag): an over-long one is cut, ending in …."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = clean_text(value)
        return value if len(value) <= self.length else value[: self.length - 1] + "…"


class WholeString(SizedString):
    """A value only useful whole (an ETag, a redirect target, a message id): one that does
    not fit is not stored (NULL), as if the server had not sent it."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or len(value) > self.length or clean_text(value) != value:
            return None
        return value


class CleanText(TypeDecorator[str]):
    """Unbounded text (a title, an error message), cleaned of what PostgreSQL refuses."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(value)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean_json(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings are cleaned like :class:`CleanText` (an alert quotes feed text)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _clean_json(value)


# Index budgets (UTF-8 bytes): PostgreSQL refuses an index row over 2,704 bytes, and the
# (source_id, guid) pair shares one row of uq_article_source_guid.
SOURCE_ID = KeyString(2048, max_bytes=1000)
GUID = KeyString(2048, max_bytes=1500)
URL_KEY = KeyString(2048, max_bytes=2000)
CHANNEL = KeyString(256)
