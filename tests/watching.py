"""Waiting on the config watcher instead of sleeping: has it acted on a file's last write?"""

from __future__ import annotations

from pathlib import Path

from bot.settings.watcher import ConfigWatcher


def watcher_saw(watcher: ConfigWatcher | None, path: Path) -> bool:
    """True once a reload of ``path`` that began after its last write has finished.

    A batch of the watcher's events starts after the write it reports, so its start time
    is at or after the file's mtime; whatever that reload was going to say (a notice, or
    nothing) has been said by then.
    """
    if watcher is None:
        return False
    written = path.stat().st_mtime
    real = path.resolve()
    return any(p.resolve() == real and began >= written for p, began in list(watcher.handled.items()))
