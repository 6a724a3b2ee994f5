"""Get, list and upsert rows of a table by its unique key: the one way feeds' health and
WebSub subscriptions are read and written."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from bot.store.db import Database
from bot.store.schema import Base

R = TypeVar("R", bound=Base)
S = TypeVar("S")


def as_state(cls: type[S], row: Base) -> S:
    """The frozen dataclass ``cls`` filled from the row's columns of the same names."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names})


class KeyedRows(Generic[R, S]):
    """Rows of ``model`` found by ``key`` (a unique column), handed out as ``state(row)``.

    A repository of such a table derives from this and names :meth:`get`, :meth:`all` and
    :meth:`upsert` as its callers know them (``feed_state``, ``set_websub``)."""

    def __init__(
        self,
        db: Database,
        model: type[R],
        key: InstrumentedAttribute[str],
        state: Callable[[R], S],
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.db = db
        self.model = model
        self.key = key
        self.state = state
        self.defaults = dict(defaults or {})
        """Values a new row starts with (before the ones :meth:`upsert` is given)."""
        self.fields = frozenset(c.key for c in model.__table__.columns) - {"id", key.key}
        """What :meth:`upsert` may set: any column but the id and the key."""

    def get(self, key: str) -> S | None:
        with self.db.session() as s:
            row = s.scalar(select(self.model).where(self.key == key))
            return None if row is None else self.state(row)

    def all(self) -> list[S]:
        """Every row, in the order they were made."""
        id_ = self.model.__table__.c.id
        with self.db.session() as s:
            return [self.state(r) for r in s.scalars(select(self.model).order_by(id_))]

    def upsert(self, key: str, **values: Any) -> None:
        """Create or update the row of ``key``; an unknown field is refused before anything
        is written."""
        unknown = set(values) - self.fields
        if unknown:
            raise ValueError(f"unknown {self.model.__tablename__} fields: {sorted(unknown)}")
        with self.db.session.begin() as s:
            row = s.scalar(select(self.model).where(self.key == key))
            if row is None:
                row = self.model(**{self.key.key: key, **self.defaults})
                s.add(row)
            for k, v in values.items():
                setattr(row, k, v)
