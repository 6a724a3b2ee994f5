"""Several instances, one database: who this instance is, the leases it keeps alive, and
which chat platforms' connections it holds.

PostgreSQL is the coordinator; there is no consensus of our own. Feed polls and named jobs
(a seed folder's scan) are row leases that each instance's heartbeat renews, so they run
out when an instance dies. A chat platform's connection (Slack Socket Mode, the Discord
gateway) and its deliveries belong to whichever instance holds a session advisory lock,
which PostgreSQL frees the moment the holder's connection dies; a standby asks for it
every ``cluster.lock_retry``. On SQLite there is one instance and every lock is granted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import zlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from bot.runtime.waiting import wait_set
from bot.settings.sections import ClusterConfig
from bot.store.leases import LeaseRepository
from bot.store.outage import DatabaseOutage

log = logging.getLogger(__name__)

INSTANCE_ENV = "NEWSBOT_INSTANCE_ID"
LOCK_NAMESPACE = 0x6E62  # "nb": the first key of every newsbot advisory lock (two-key form)


class LostLock(RuntimeError):
    """Another instance took a platform's lock while this one's hold on it was cut; this
    one stops (and is restarted as a standby by its supervisor) rather than risk two
    connections."""


def instance_id(env: Mapping[str, str] | None = None) -> str:
    """``NEWSBOT_INSTANCE_ID``, else host name and process id.

    Stable across restarts in a container (same host name, pid 1), so a restarted instance
    recognises the leases its previous life held and frees them at once.
    """
    env = os.environ if env is None else env
    given = (env.get(INSTANCE_ENV) or "").strip()
    return given[:128] if given else f"{socket.gethostname()}-{os.getpid()}"[:128]


def lock_key(name: str) -> tuple[int, int]:
    """The two int4 keys of the advisory lock called ``name`` (stable across versions)."""
    return LOCK_NAMESPACE, zlib.crc32(name.encode()) & 0x7FFFFFFF


class PlatformLock(Protocol):
    """The right to hold one chat platform's connection and deliver its alerts."""

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until held (True), or until ``stop`` is set (False); with ``stop``
        already set, take it only if it is free now."""
        ...

    async def lost(self) -> None:
        """Return if the lock is lost while held (its database connection died)."""
        ...

    async def regain(self, stop: asyncio.Event) -> bool | None:
        """After :meth:`lost`: take the lock again as soon as the database answers. True:
        held again; False: another instance holds it now; None: ``stop`` was set."""
        ...

    async def release(self) -> None: ...


class LocalLock:
    """One instance (SQLite): the platform is always ours."""

    def __init__(self) -> None:
        self._released = asyncio.Event()

    async def acquire(self, stop: asyncio.Event) -> bool:
        return True

    async def lost(self) -> None:
        await self._released.wait()

    async def regain(self, stop: asyncio.Event) -> bool | None:
        return True

    async def release(self) -> None:
        self._released.set()


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection of its own.

    The connection is kept open while the lock is held (and while waiting for it); TCP
    keepalives make a vanished database show up as a lost lock within seconds, and the
    holder then gives the platform up rather than risk two connections.
    """

    def __init__(self, database_url: str, name: str, retry: timedelta) -> None:
        self.name = name
        self.key = lock_key(name)
        self.retry = retry.total_seconds()
        self._engine: Engine = create_engine(
            database_url,
            poolclass=NullPool,
            connect_args={
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 3,
                "connect_timeout": 10,
                "application_name": f"newsbot lock {name}"[:63],
            },
        )
        self._conn: Connection | None = None
        self._held = False

    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _try(self) -> bool:
        return self._attempt() is True

    def _attempt(self, *, quiet: bool = False) -> bool | None:
        """One ``pg_try_advisory_lock``: True taken, False held by another session, None
        the database did not answer (``quiet``: the caller has said so already)."""
        try:
            got = self._connection().execute(
                text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": self.key[0], "b": self.key[1]}
            ).scalar()
        except Exception as exc:
            if not quiet:
                log.warning("lock %s: database unreachable (%s); trying again", self.name, exc)
            self._drop_connection()
            return None
        return bool(got)

    def _still_held(self) -> bool:
        try:
            n = self._connection().execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid = :a AND objid = :b AND objsubid = 2"
                ),
                {"a": self.key[0], "b": self.key[1]},
            ).scalar()
        except Exception as exc:
            log.error("lock %s: lost the database connection that holds it (%s)", self.name, exc)
            self._drop_connection()
            return False
        return bool(n)

    async def acquire(self, stop: asyncio.Event) -> bool:
        waited = False
        while True:  # one try even if ``stop`` is set already: "take it if it is free"
            if await asyncio.to_thread(self._try):
                self._held = True
                return True
            if stop.is_set():
                return False
            if not waited:
                log.info("%s is held by another instance; standing by", self.name)
                waited = True
            await wait_set(stop, self.retry)

    async def lost(self) -> None:
        while await asyncio.to_thread(self._still_held):
            await asyncio.sleep(self.retry)
        self._held = False

    async def regain(self, stop: asyncio.Event) -> bool | None:
        """Retried every ``retry`` while the database is away (a restart, a network cut),
        with one log line, not one per try: no other instance can take the lock then
        either, so whoever asks first once it answers holds it."""
        said = False
        while not stop.is_set():
            got = await asyncio.to_thread(self._attempt, quiet=said)
            if got is not None:
                self._held = got
                return got
            said = True
            await wait_set(stop, self.retry)
        return None

    async def release(self) -> None:
        def unlock() -> None:
            if self._held and self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.execute(
                        text("SELECT pg_advisory_unlock(:a, :b)"),
                        {"a": self.key[0], "b": self.key[1]},
                    )
            self._held = False
            self._drop_connection()
            self._engine.dispose()

        await asyncio.to_thread(unlock)


class Cluster:
    """This instance among those sharing the store: its name, its leases, its locks."""

    def __init__(
        self,
        leases: LeaseRepository,
        config: ClusterConfig,
        owner: str | None = None,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self.leases = leases
        self.outage = outage or DatabaseOutage()
        self.config = config
        self.owner = owner or instance_id()
        self.shared = leases.shared
        """Other instances may share this database: leases and locks are real."""

    @property
    def lease(self) -> timedelta:
        return self.config.lease

    def platform_lock(self, platform: str) -> PlatformLock:
        if not self.shared:
            return LocalLock()
        url = self.leases.url()
        return AdvisoryLock(url, f"chat gateway {platform}", self.config.lock_retry)

    async def start(self) -> None:
        """Free what this instance's previous life held (same id: it is dead now); on
        SQLite, every lease (nobody else runs)."""
        await asyncio.to_thread(self.leases.drop_leases, None if not self.shared else self.owner)

    async def heartbeat(self) -> None:
        """Renew this instance's leases every third of their length, until cancelled.

        While the database is away the renewal is retried every few seconds (the leases
        may run out meanwhile; the polls they covered are then due again), and logged once.
        """
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.outage.retry(
                    "renewing this instance's leases",
                    lambda: asyncio.to_thread(self.leases.renew_leases, self.owner, self.lease),
                )
            except Exception:  # a bug: the heartbeat goes on, the next beat tries again
                log.exception("could not renew this instance's leases")

    async def take(self, job: str) -> bool:
        """Run the named job here? Sticky: the holder keeps it while alive."""
        if not self.shared:
            return True
        return await asyncio.to_thread(self.leases.take_lease, job, self.owner, self.lease)

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.leases.drop_leases, self.owner)

