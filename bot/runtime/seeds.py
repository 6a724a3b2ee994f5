"""The seed folders of a running bot: scanned periodically and as soon as their watcher
sees a file dropped, one scan at a time, each folder by one instance."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.ingest.pipeline import IngestReport
from bot.models import Article
from bot.runtime.scheduler import coalesced
from bot.settings.model import Settings
from bot.settings.watcher import FolderWatcher
from bot.sources.files import FileSource
from bot.store.outage import DatabaseOutage
from bot.text import plural

log = logging.getLogger(__name__)

SEED_SETTLE = 1.0
"""Seconds a seed file must have been left alone before a running bot reads it: one still
being written is read once it is finished (its first, partial version would be recorded
as seen and the finished one ignored)."""


class Reloads(Protocol):
    """The scan is also the fallback of the file watcher: it checks both files for edits."""

    async def reload_config_if_changed(self) -> bool: ...

    async def reload_watchlist_if_changed(self, at_most_every: float = 0.0) -> bool: ...


def file_sources(settings: Settings) -> list[FileSource]:
    return [
        FileSource(settings.resolve(p), settings.max_file_bytes, label=p.as_posix())
        for p in settings.seeds
    ]


class SeedFolders:
    """Scans the configured seed folders into ``ingest``."""

    def __init__(
        self,
        settings: Settings,
        live: Reloads,
        *,
        ingest: Callable[[list[Article]], Awaitable[IngestReport]],
        take: Callable[[str], Awaitable[bool]],
        outage: DatabaseOutage,
    ) -> None:
        self.live = live
        self.ingest = ingest
        self.take = take
        """Takes a job's lease: a folder is scanned by the instance that holds its lease."""
        self.outage = outage
        self.file_sources = file_sources(settings)
        self.settle: float | None = None
        """``SEED_SETTLE`` while running (``scan --once`` reads every file as it is)."""
        self._settling = 0
        self._scanned = False
        self.scan_job = coalesced(self.job)
        """The seed scan the scheduler and the folder watcher share: one at a time, and one
        more when asked for while it runs."""
        self.watcher: FolderWatcher | None = None
        self._watch_tasks: set[asyncio.Task[None]] = set()

    def settings_changed(self, old: Settings, new: Settings) -> None:
        """Other folders or file limits: new sources, and the new folders watched."""
        if (old.seeds, old.max_file_bytes) == (new.seeds, new.max_file_bytes):
            return
        self.file_sources = file_sources(new)
        if self.watcher is not None and old.seeds != new.seeds:
            self.watcher.stop()  # its task ends; watch the new folders
            self.watch()

    async def job(self) -> IngestReport:
        """The periodic (and watcher-triggered) seed scan: waits out a database outage, so
        the seed files are recorded once it is back (the scan reads them again); and
        scans again once files still being written have settled."""
        while True:
            report = await self.outage.retry("scanning the seed folders", self.scan)
            if not (self._settling and self.settle):
                return report
            await asyncio.sleep(self.settle)

    async def scan(self) -> IngestReport:
        # A fallback for the file watcher (no inotify, a network file system).
        await self.live.reload_config_if_changed()
        await self.live.reload_watchlist_if_changed()
        articles: list[Article] = []
        changed_before = time.time() - self.settle if self.settle else None
        self._settling = 0
        for source in self.file_sources:
            if not await self.take(f"seeds {source.folder.resolve()}"):
                continue  # another instance scans this folder (it holds the lease)
            scan = await asyncio.to_thread(source.scan, changed_before)
            self._settling += scan.settling
            for problem in scan.problems:
                log.warning("seed file skipped: %s", problem)
            articles += scan.articles
        report = await self.ingest(articles)
        if report.new or not self._scanned:
            log.info(
                "seeds: %s read, %d new, %s",
                plural(report.fetched, "document"),
                report.new,
                plural(report.alerted, "alert"),
            )
        self._scanned = True
        return report

    def watch(self) -> None:
        """Watch the seed folders: a dropped file is scanned within a second or two. Where
        watching is impossible the periodic scan (``scan_interval``) still finds it."""
        self.settle = SEED_SETTLE
        folders = [source.folder for source in self.file_sources]
        if not folders:
            return
        self.watcher = FolderWatcher(folders, self.scan_job)
        task = asyncio.get_running_loop().create_task(
            self.watcher.run(), name="seed folder watcher"
        )
        self._watch_tasks.add(task)
        task.add_done_callback(self._watch_tasks.discard)

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
