"""Notice edits of the admin-edited files while the bot runs (watchfiles).

Watches the *directories* that hold the files, not the files: most editors save by writing
a temporary file and renaming it over the original, which replaces the inode a file watch
would be attached to. Events for other names in those directories are ignored, except the
``..data``-style names of a Kubernetes ConfigMap, which swaps a symlinked directory.
What a change means is left to the callback: the bot compares a content digest, so a
``touch`` or an editor's intermediate writes cost a read and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from watchfiles import Change, awatch

log = logging.getLogger(__name__)

OnChange = Callable[[set[Path]], Awaitable[None]]
Changes = set[tuple[Change, str]]


class FolderWatch:
    """The watch loop both watchers share: watch some folders until :meth:`stop`, hand
    each group of relevant changes to :meth:`changed`.

    Changes are debounced (grouped until ``step_ms`` pass without another, at most
    ``debounce_ms``). A failure of the watch itself (no inotify watches left, a directory
    removed) is logged once and ends the watcher: the bot's periodic checks still pick
    changes up, only later.
    """

    recursive = False
    gave_up = "watching %s stopped (%s)"
    """The warning when the watch fails: the folders, the error."""

    def __init__(self, *, debounce_ms: int, step_ms: int, force_polling: bool | None) -> None:
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.force_polling = force_polling
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()
        """Set once the watch is in place (tests wait for it before changing a file)."""

    def stop(self) -> None:
        self._stop.set()

    def folders(self) -> list[Path]:
        """The folders to watch that exist now."""
        raise NotImplementedError

    def relevant(self, change: Change, raw: str) -> bool:
        raise NotImplementedError

    def watching(self, folders: list[Path]) -> None:
        """The watch is in place (its first wake-up)."""

    async def changed(self, changes: Changes) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        folders = self.folders()
        if not folders:
            self.ready.set()
            return
        try:
            watch = awatch(
                *folders,
                watch_filter=self.relevant,
                debounce=self.debounce_ms,
                step=self.step_ms,
                stop_event=self._stop,
                recursive=self.recursive,
                force_polling=self.force_polling,
                yield_on_timeout=True,
                rust_timeout=1000,  # a wake-up a second: `ready`, then cheap
            )
            async for changes in watch:
                if not self.ready.is_set():
                    self.ready.set()
                    self.watching(folders)
                if changes:
                    await self.changed(changes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(self.gave_up, ", ".join(map(str, folders)), exc)
        finally:
            self.ready.set()


class ConfigWatcher(FolderWatch):
    """Calls ``on_change(paths)`` shortly after any of ``paths`` is written or replaced;
    ``stop()`` ends :meth:`run`."""

    gave_up = "watching %s for edits stopped (%s); edits are picked up at the next scan instead"

    def __init__(
        self,
        paths: Iterable[Path],
        on_change: OnChange,
        *,
        debounce_ms: int = 1600,
        step_ms: int = 200,
        force_polling: bool | None = None,
    ) -> None:
        super().__init__(debounce_ms=debounce_ms, step_ms=step_ms, force_polling=force_polling)
        # The folder resolved, the name kept: a symlinked file is watched where it is named.
        self.paths = {p.parent.resolve() / p.name: p for p in paths}
        self.on_change = on_change
        self.handled: dict[Path, float] = {}
        """Per path, the wall-clock time at which the last ``on_change`` for it began,
        recorded once it returned: a write older than that has been seen and acted on.
        Observable so that tests wait for it instead of sleeping."""

    def folders(self) -> list[Path]:
        missing = [str(given) for real, given in self.paths.items() if not real.parent.is_dir()]
        if missing:
            log.warning("not watching %s: no such folder", ", ".join(missing))
        return sorted({p.parent for p in self.paths if p.parent.is_dir()})

    def relevant(self, _change: Change, raw: str) -> bool:
        path = Path(raw)
        return path.name.startswith("..") or any(
            path.name == p.name and path.parent == p.parent for p in self.paths
        )

    def _affected(self, changes: Changes) -> set[Path]:
        names = {Path(raw) for _c, raw in changes}
        if any(p.name.startswith("..") for p in names):
            return set(self.paths.values())  # a symlink swap may have changed any of them
        return {given for real, given in self.paths.items() if real in names}

    async def changed(self, changes: Changes) -> None:
        affected = self._affected(changes)
        if not affected:
            return
        began = time.time()
        try:
            await self.on_change(affected)
        except Exception:  # one bad reload must not end the watching
            log.exception("reloading %s failed", ", ".join(map(str, affected)))
        self.handled.update(dict.fromkeys(affected, began))


class FolderWatcher(FolderWatch):
    """Calls ``on_change()`` shortly after anything is written, moved or removed under
    ``folders`` (recursively): the seed folders, so a dropped file alerts within seconds
    instead of at the next periodic scan.

    A file being written in several pieces makes one call, after its last piece (the
    folders quiet for ``step_ms``). Hidden and editor temporary names are ignored.
    """

    recursive = True
    gave_up = (
        "watching the seed folders %s stopped (%s); new files are picked up at the "
        "periodic scan instead"
    )

    def __init__(
        self,
        folders: Iterable[Path],
        on_change: Callable[[], Awaitable[None]],
        *,
        debounce_ms: int = 5000,
        step_ms: int = 300,
        force_polling: bool | None = None,
    ) -> None:
        super().__init__(debounce_ms=debounce_ms, step_ms=step_ms, force_polling=force_polling)
        self.seed_folders = sorted({f.resolve() for f in folders})
        self.on_change = on_change

    def folders(self) -> list[Path]:
        return [f for f in self.seed_folders if f.is_dir()]

    def relevant(self, _change: Change, raw: str) -> bool:
        name = Path(raw).name
        return not (name.startswith((".", "~")) or name.endswith(("~", ".part", ".tmp")))

    def watching(self, folders: list[Path]) -> None:
        log.info("watching %s for new seed files", ", ".join(map(str, folders)))

    async def changed(self, changes: Changes) -> None:
        try:
            await self.on_change()
        except Exception:  # one failed scan must not end the watching
            log.exception("scanning %s after a change failed",
                          ", ".join(map(str, self.folders())))
