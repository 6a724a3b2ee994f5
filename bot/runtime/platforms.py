"""The chat platforms of a running bot, held across instances.

Sharing a database, a platform is connected (and delivered) by one instance: the one that
holds its lock. Others wait in the background and take over when the holder dies. Alone,
every platform is this instance's at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from functools import partial

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery.worker import DeliveryWorker
from bot.models import Alert, Target
from bot.runtime.cluster import Cluster, LostLock, PlatformLock
from bot.settings.model import Settings
from bot.store.outage import DatabaseOutage

log = logging.getLogger(__name__)


class Platforms:
    """Connects, holds and lets go of the chat platforms; tells the admin channels.

    ``fail`` stops the bot with an error (a platform that cannot be taken over, a lock
    another instance took while this one's database connection was down); ``stop`` is
    set when the bot stops.
    """

    def __init__(
        self,
        adapters: Mapping[str, ChatAdapter],
        worker: DeliveryWorker,
        cluster: Cluster,
        *,
        settings: Callable[[], Settings],
        outage: DatabaseOutage,
        stop: asyncio.Event,
        fail: Callable[[BaseException], None],
    ) -> None:
        self.adapters = adapters
        self.worker = worker
        self.cluster = cluster
        self.settings = settings
        self.outage = outage
        self.stop = stop
        self.fail = fail
        self._holders: dict[str, asyncio.Task[None]] = {}
        self._locks: dict[str, PlatformLock] = {}

    async def start(self, *, standby: bool = True) -> None:
        """Connect the chat platforms and requeue what a killed run left in flight.

        Shared: each platform's lock is waited for in the background, or (``standby=False``,
        ``scan --once``) taken if free now and left to its holder otherwise. Alone: every
        platform at once, and a platform that refuses us stops the start.
        """
        if not self.cluster.shared:
            for adapter in self.adapters.values():
                await adapter.start()
            await self.worker.recover()
            return
        self.worker.standby()
        for platform in self.adapters:
            if standby:
                task = asyncio.get_running_loop().create_task(
                    self._hold(platform), name=f"hold {platform}"
                )
                self._holders[platform] = task
            else:
                now = asyncio.Event()
                now.set()
                if not await self._take(platform, now):
                    log.info("%s is delivered by the instance that holds it", platform)

    async def _take(self, platform: str, stop: asyncio.Event) -> bool:
        """Wait for the platform's lock (until ``stop``), then connect and deliver for it."""
        lock = self._locks[platform] = self.cluster.platform_lock(platform)
        if not await lock.acquire(stop):
            return False
        await self.outage.retry(
            f"taking over {platform}'s deliveries", partial(self.worker.recover, [platform])
        )
        await self.adapters[platform].start()
        self.worker.take(platform)
        log.info("instance %s holds the %s connection and delivers its alerts",
                 self.cluster.owner, platform)
        return True

    async def _hold(self, platform: str) -> None:
        """Take the platform when it is free, and hold it until stopped.

        Losing the lock while holding it (its database connection died: a PostgreSQL
        restart, a network cut) stops deliveries for the platform until it is ours again.
        The chat connection stays up meanwhile: while the database is away no other
        instance can take the lock either. If this instance takes it back first it
        carries on; if another instance has it, this one stops (two connections would
        answer every command twice) and its supervisor restarts it as a standby.
        """
        try:
            if not await self._take(platform, self.stop):
                return
        except Exception as exc:
            log.error("could not take over %s: %s", platform, exc)
            self.fail(exc)
            return
        lock = self._locks[platform]
        while True:
            await lock.lost()
            if self.stop.is_set():
                return
            self.worker.give_up(platform)
            log.warning("%s: delivering nothing until this instance holds its lock again",
                        platform)
            regained = await lock.regain(self.stop)
            if regained is None:
                return
            if not regained:
                self.fail(LostLock(
                    f"lost the {platform} lock: another instance took it while this "
                    "one's database connection was down"
                ))
                return
            await self._resume(platform)

    async def _resume(self, platform: str) -> None:
        """The lock is ours again: let the drains that ran on finish, requeue what is left
        in flight (in doubt: looked up before a re-post), deliver again."""
        drains = self.worker.running()
        if drains:
            await asyncio.wait(drains)
        await self.outage.retry(
            f"taking {platform}'s deliveries back", partial(self.worker.recover, [platform])
        )
        self.worker.take(platform)
        log.info("instance %s holds the %s lock again and delivers its alerts",
                 self.cluster.owner, platform)

    async def close(self) -> None:
        """Disconnect, then let go of the locks (after the connections are closed)."""
        for adapter in self.adapters.values():
            with contextlib.suppress(Exception):
                await adapter.stop()
        for task in self._holders.values():
            task.cancel()
        for lock in self._locks.values():
            with contextlib.suppress(Exception):
                await lock.release()

    async def notify_admins(self, text: str) -> None:
        """Tell every configured admin channel; a notice that cannot be posted is logged."""
        for target in self.settings().admin_targets():
            adapter = self.adapters.get(target.platform)
            if adapter is None:
                continue
            if target.platform not in self.worker.platforms():
                log.info("admin notice for %s left to the instance that holds it: %s",
                         target.platform, text)
                continue
            try:
                await adapter.send_notice(target, text)
            except DeliveryError as exc:
                log.warning("admin notice to %s:%s failed: %s", target.platform, target.channel, exc)
            except Exception:
                log.exception("admin notice to %s:%s failed", target.platform, target.channel)

    async def delivery_failed(self, target: Target, alert: Alert, error: str) -> None:
        """An alert failed for good: the admins hear of it (unless their channel failed)."""
        if target in self.settings().admin_targets():
            return  # the admin channel itself is failing: the log is all that is left
        await self.notify_admins(
            f"newsbot could not deliver the alert \"{alert.title}\" to "
            f"{target.platform} channel {target.channel}: {error}"
        )
