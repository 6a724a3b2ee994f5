"""Leases: which instance, among those sharing a database, holds a feed's poll or a named
job (a seed folder's scan) now. The cluster renews them while it lives and drops them when
it stops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database, utcnow
from bot.store.schema import FeedRow, LeaseRow


class LeaseRepository:
    """The ``leases`` table and the lease columns of ``feeds``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def shared(self) -> bool:
        """Other instances may share this database (PostgreSQL): leases and locks are real."""
        return self.db.postgres

    def url(self) -> str:
        """The database's URL, password included: a lock that needs a connection of its
        own opens it there."""
        return self.db.engine.url.render_as_string(hide_password=False)

    def take_lease(self, name: str, owner: str, lease: timedelta) -> bool:
        """Hold the named job for ``lease`` (or renew it); False while another holds it."""
        now = utcnow()
        for _ in range(3):
            try:
                with self.db.session.begin() as s:
                    row = s.scalar(
                        select(LeaseRow).where(LeaseRow.name == name).with_for_update()
                    )
                    if row is None:
                        s.add(LeaseRow(name=name, owner=owner, until=now + lease))
                        return True
                    if row.owner != owner and row.until > now:
                        return False
                    row.owner, row.until = owner, now + lease
                    return True
            except IntegrityError:  # another instance created it first
                continue
        return False

    def renew_leases(self, owner: str, lease: timedelta) -> int:
        """Extend every lease ``owner`` holds (its heartbeat): alive, so still its own."""
        until = utcnow() + lease
        with self.db.session.begin() as s:
            self.db.volatile(s)
            n = s.execute(
                update(FeedRow).where(FeedRow.lease_owner == owner).values(lease_until=until)
            ).rowcount  # type: ignore[attr-defined]
            n += s.execute(
                update(LeaseRow).where(LeaseRow.owner == owner).values(until=until)
            ).rowcount  # type: ignore[attr-defined]
            return int(n or 0)

    def drop_leases(self, owner: str | None) -> None:
        """A clean stop: what ``owner`` held is free for the others at once. ``None``:
        every lease (one instance, starting: whatever a previous run held is void)."""
        with self.db.session.begin() as s:
            feeds = update(FeedRow).where(FeedRow.lease_owner.is_not(None))
            jobs = delete(LeaseRow)
            if owner is not None:
                feeds = feeds.where(FeedRow.lease_owner == owner)
                jobs = jobs.where(LeaseRow.owner == owner)
            s.execute(feeds.values(lease_owner=None, lease_until=None))
            s.execute(jobs)
