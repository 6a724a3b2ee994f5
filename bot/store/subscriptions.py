"""Which channels want which watch items' alerts (``/subscribe``), and which of them are
paused because the bot could not post there."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from bot.models import Target
from bot.store.db import Database
from bot.store.schema import SubscriptionRow


class SubscriptionRepository:
    """The ``subscriptions`` table. Methods are synchronous; async callers run them in an
    executor."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def subscribe(
        self, target: Target, item_id: str, user: str | None = None, lang: str | None = None
    ) -> bool:
        """True if this is a new subscription. ``lang``: the language the channel gets the
        item's alerts in; given again on an existing subscription, it replaces the old one."""
        with self.db.session.begin() as s:
            row = s.scalar(
                select(SubscriptionRow).where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.item_id == item_id,
                )
            )
            if row is not None:
                if lang is not None:
                    row.lang = lang
                return False
            s.add(
                SubscriptionRow(
                    platform=target.platform, channel=target.channel, item_id=item_id,
                    created_by=user, lang=lang,
                )
            )
            return True

    def languages(self, target: Target) -> dict[str, str | None]:
        """The channel's subscriptions: item id -> the language asked for (None: unset)."""
        with self.db.session() as s:
            rows = s.execute(
                select(SubscriptionRow.item_id, SubscriptionRow.lang).where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                )
            )
            return {item: lang for item, lang in rows}

    def unsubscribe(self, target: Target, item_id: str | None = None) -> int:
        """Remove one subscription, or all of the channel's when item_id is None."""
        with self.db.session.begin() as s:
            q = select(SubscriptionRow).where(
                SubscriptionRow.platform == target.platform,
                SubscriptionRow.channel == target.channel,
            )
            if item_id is not None:
                q = q.where(SubscriptionRow.item_id == item_id)
            rows = list(s.scalars(q))
            for r in rows:
                s.delete(r)
            return len(rows)

    def resume(self, target: Target) -> int:
        """Deliver to a paused channel again (someone subscribed there anew); how many of
        its subscriptions were paused."""
        with self.db.session.begin() as s:
            result = s.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.paused_at.is_not(None),
                )
                .values(paused_at=None, paused_reason=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def paused(self, target: Target) -> tuple[datetime, str] | None:
        """When and why the channel's subscriptions were paused, if they are."""
        with self.db.session() as s:
            row = s.execute(
                select(SubscriptionRow.paused_at, SubscriptionRow.paused_reason)
                .where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.paused_at.is_not(None),
                )
                .order_by(SubscriptionRow.paused_at)
                .limit(1)
            ).first()
            if row is None or row[0] is None:
                return None
            return row[0], row[1] or ""

    def paused_targets(self) -> dict[Target, tuple[datetime, str]]:
        """Every paused channel, when and why (:meth:`paused` for all of them, one query)."""
        with self.db.session() as s:
            rows = s.execute(
                select(SubscriptionRow.platform, SubscriptionRow.channel,
                       SubscriptionRow.paused_at, SubscriptionRow.paused_reason)
                .where(SubscriptionRow.paused_at.is_not(None))
                .order_by(SubscriptionRow.paused_at)
            ).all()
        out: dict[Target, tuple[datetime, str]] = {}
        for platform, channel, when, why in rows:
            if when is not None:
                out.setdefault(Target(platform, channel), (when, why or ""))
        return out

    def subscriptions(self, target: Target | None = None) -> list[tuple[Target, str]]:
        with self.db.session() as s:
            q = select(SubscriptionRow).order_by(SubscriptionRow.id)
            if target is not None:
                q = q.where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                )
            return [(Target(r.platform, r.channel), r.item_id) for r in s.scalars(q)]

    def subscribed_targets(self, item_ids: Iterable[str]) -> list[Target]:
        wanted = set(item_ids) | {"all"}
        with self.db.session() as s:
            rows = s.scalars(
                select(SubscriptionRow).where(
                    SubscriptionRow.item_id.in_(wanted), SubscriptionRow.paused_at.is_(None)
                )
            )
            return list(dict.fromkeys(Target(r.platform, r.channel) for r in rows))

