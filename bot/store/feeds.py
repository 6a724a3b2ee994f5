"""Each configured feed's health, HTTP validators and schedule: what the feed scheduler
and the poller read and write, and how instances sharing a database divide the feeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.columns import URL_KEY
from bot.store.db import Database, utcnow
from bot.store.keyed import KeyedRows, as_state
from bot.store.schema import ArticleRow, FeedRow


@dataclass(frozen=True)
class FeedState:
    url: str
    current_url: str | None
    etag: str | None
    last_modified: str | None
    first_poll_done: bool
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    items_seen: int
    name: str | None
    next_poll_at: datetime | None = None
    down_notified: bool = False
    paused_at: datetime | None = None
    """When an admin paused the feed (web console); None: polled as usual."""


def feed_state(row: FeedRow) -> FeedState:
    # down_notified came after the table: a row older than it holds NULL there.
    return replace(as_state(FeedState, row), down_notified=bool(row.down_notified))


class FeedRepository(KeyedRows[FeedRow, FeedState]):
    """The ``feeds`` table, by configured URL. ``feed_states()``: every feed the bot has
    polled, in the order they were first polled; ``update_feed(url, **fields)`` creates or
    updates a feed's health and HTTP validators. Methods are synchronous; async callers
    run them in an executor."""

    def __init__(self, db: Database) -> None:
        super().__init__(
            db, FeedRow, FeedRow.url, feed_state,
            defaults={"consecutive_failures": 0, "items_seen": 0, "first_poll_done": False},
        )

    feed_state = KeyedRows.get
    update_feed = KeyedRows.upsert

    def feed_states(self) -> list[FeedState]:
        """Every feed row, in the order they were made: one query of plain columns, no ORM
        objects (the web console's Feeds page reads a thousand per load)."""
        names = [f.name for f in fields(FeedState)]
        with self.db.session() as s:
            rows = s.execute(
                select(*(getattr(FeedRow, n) for n in names)).order_by(FeedRow.id)
            ).all()
        states = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            values["down_notified"] = bool(values["down_notified"])  # NULL in older rows
            states.append(FeedState(**values))
        return states

    def ensure_feeds(self, first_due: Mapping[str, datetime]) -> int:
        """Give every configured feed a row, due at ``first_due[url]`` if it has none yet.

        Rows that exist keep their schedule: an instance (re)starting does not poll again
        what another one, or its own previous run, polled a minute ago. Returns how many
        rows were added.
        """
        if not first_due:
            return 0
        for _ in range(3):
            try:
                with self.db.session.begin() as s:
                    have = set()
                    urls = list(first_due)
                    for i in range(0, len(urls), 500):
                        have |= set(
                            s.scalars(select(FeedRow.url).where(FeedRow.url.in_(urls[i:i + 500])))
                        )
                    missing = [u for u in urls if URL_KEY.stored(u) not in have]
                    if missing:
                        s.execute(
                            insert(FeedRow),
                            [
                                {"url": u, "next_poll_at": first_due[u],
                                 "consecutive_failures": 0, "items_seen": 0,
                                 "first_poll_done": False, "down_notified": False}
                                for u in missing
                            ],
                        )
                    return len(missing)
            except IntegrityError:  # another instance added some meanwhile: look again
                continue
        return 0

    def claim_feeds(
        self,
        urls: Sequence[str],
        owner: str,
        lease: timedelta,
        limit: int,
        now: datetime | None = None,
    ) -> list[str]:
        """Lease up to ``limit`` of ``urls`` that are due and that no live instance holds.

        ``SELECT ... FOR UPDATE SKIP LOCKED``: two instances claiming at the same moment
        get different feeds, never wait for each other, and never both get one. The lease
        lasts ``lease`` unless renewed (:meth:`LeaseRepository.renew_leases`), so a dead
        holder's feeds are polled again once it runs out.
        """
        now = now or utcnow()
        if not urls or limit <= 0:
            return []
        with self.db.session.begin() as s:
            self.db.volatile(s)
            rows = s.scalars(
                select(FeedRow)
                .where(
                    FeedRow.url.in_(list(urls)),
                    FeedRow.paused_at.is_(None),
                    or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now),
                    or_(FeedRow.lease_until.is_(None), FeedRow.lease_until < now),
                )
                .order_by(FeedRow.next_poll_at.asc().nulls_first(), FeedRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.lease_owner, row.lease_until = owner, now + lease
            as_given = {URL_KEY.stored(u): u for u in urls}  # an over-long URL is stored cut
            return [as_given.get(row.url, row.url) for row in rows]

    def release_feed(self, url: str, owner: str) -> None:
        """The poll is over (its result and next poll time are written, or it failed or
        was stopped midway, and the feed is due again for any instance): drop the lease."""
        with self.db.session.begin() as s:
            self.db.volatile(s)
            s.execute(
                update(FeedRow)
                .where(FeedRow.url == url, FeedRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def next_feed_due(self, urls: Sequence[str]) -> datetime | None:
        """When the earliest of ``urls`` can next be claimed (due, its lease over, not
        paused)."""
        if not urls:
            return None
        with self.db.session() as s:
            rows = s.execute(
                select(FeedRow.next_poll_at, FeedRow.lease_until).where(
                    FeedRow.url.in_(list(urls)), FeedRow.paused_at.is_(None)
                )
            ).all()
        best: datetime | None = None
        for next_at, until in rows:
            at = next_at or datetime.min.replace(tzinfo=UTC)
            if until is not None and until > at:
                at = until
            if best is None or at < best:
                best = at
        return best

    def feed_due_sooner(self, url: str, when: datetime) -> None:
        """Poll ``url`` by ``when`` at the latest (its interval was shortened)."""
        with self.db.session.begin() as s:
            s.execute(
                update(FeedRow)
                .where(FeedRow.url == url, or_(FeedRow.next_poll_at.is_(None),
                                               FeedRow.next_poll_at > when))
                .values(next_poll_at=when)
            )

    def pause_feed(self, url: str, paused: bool, now: datetime | None = None) -> None:
        """Stop polling ``url`` (on every instance) until resumed, or resume it: a resumed
        feed is due at its next poll time, at once if that passed meanwhile. A poll already
        in flight finishes."""
        self.upsert(url, paused_at=(now or utcnow()) if paused else None)

    def items_since(self, since: datetime) -> dict[str, int]:
        """Articles first seen since ``since``, per configured feed URL (for items per day)."""
        prefix = "feed:"
        with self.db.session() as s:
            rows = s.execute(
                select(ArticleRow.source_id, func.count())
                .where(ArticleRow.source_id.startswith(prefix), ArticleRow.seen_at >= since)
                .group_by(ArticleRow.source_id)
            ).all()
        return {source[len(prefix):]: int(n) for source, n in rows}
