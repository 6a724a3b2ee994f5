"""The running settings and watchlist, and their live reload: an admin's edit of
``newsbot.yaml`` or of the watchlist takes effect within seconds, an invalid one is
refused and the last good version keeps running. Either way the admins are told."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from bot.nlp.watchlist import Watchlist, load_watchlist
from bot.settings.diff import (
    describe_settings_diff,
    describe_watchlist_diff,
    keep_running,
    settings_diff,
    watchlist_diff,
)
from bot.settings.model import Settings, load_settings
from bot.settings.watcher import ConfigWatcher
from bot.text import plural
from bot.yamlfile import ConfigError

log = logging.getLogger(__name__)

Notify = Callable[[str], Awaitable[None]]
Apply = Callable[[Settings, Settings], None]
"""Rewires what reads the settings once, given the (old, new) running settings."""


def digest(path: Path) -> str | None:
    """What the file says, not when it was touched: mtimes are coarse and editors vary."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class LiveConfig:
    """The settings and the watchlist as they are now; a ``WatchHost`` for ``/watch``.

    ``notify`` tells the admin channels; ``apply`` rewires the parts of the bot that read
    a setting once (called with the reload lock held, on the event loop).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        notify: Notify,
        apply: Apply,
        watchlist: Watchlist | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        """The ``newsbot.yaml`` the settings came from; watched and reloaded when given."""
        self.notify = notify
        self.apply = apply
        self._file_settings = settings
        """The settings as the file last said them (restart-only values included)."""
        self._config_digest = digest(config_path) if config_path else None
        self._reload_lock = asyncio.Lock()
        self._digest_lock = threading.Lock()
        self._edit_by: dict[str, tuple[str, str]] = {}
        """Digest of a text about to be written -> (who, through what: ``/watch``, the console)."""
        self.watchlist_path = settings.resolve(settings.watchlist)
        self.watchlist = watchlist or load_watchlist(self.watchlist_path)
        self._watchlist_digest = digest(self.watchlist_path)
        self._watchlist_checked = 0.0
        self.watcher: ConfigWatcher | None = None

    async def reload_watchlist_if_changed(self, at_most_every: float = 0.0) -> bool:
        """Pick up an admin's edit; an invalid edit is refused and the last good list kept.

        Either way the admin channel is told: what changed, or ``file:line: message``.
        Reading and validating YAML runs in a thread. ``at_most_every`` (seconds) spares a
        thousand polls due together from reading the file a thousand times.
        """
        now = time.monotonic()
        if at_most_every and now - self._watchlist_checked < at_most_every:
            return False
        self._watchlist_checked = now
        async with self._reload_lock:
            changed, notice = await asyncio.to_thread(self._reload_watchlist_if_changed)
        if notice:
            await self.notify(notice)
        return changed

    def _reload_watchlist_if_changed(self) -> tuple[bool, str | None]:
        """(whether the watchlist was replaced, what to tell the admins)."""
        with self._digest_lock:
            now = digest(self.watchlist_path)
            if now == self._watchlist_digest:
                return False, None
            self._watchlist_digest = now  # a refused edit is reported once, not every scan
        edit = self._edit_by.pop(now or "", None)
        try:
            new = load_watchlist(self.watchlist_path)
        except ConfigError as exc:
            log.error("watchlist edit refused, keeping the last good version:\n%s", exc)
            return False, f"newsbot: watchlist edit refused; the last good version keeps running.\n{exc}"
        old, self.watchlist = self.watchlist, new
        lines = describe_watchlist_diff(watchlist_diff(old, new))
        who = f" by {edit[0]} ({edit[1]})" if edit else ""
        log.info(
            "watchlist reloaded%s: %d items%s",
            who,
            len(new.items),
            "".join(f"; {line}" for line in lines) or " (no change to the items)",
        )
        if not lines:
            return True, None
        head = f"newsbot: watchlist updated{who} ({plural(len(new.items), 'item')}):"
        return True, "\n".join([head, *(f"• {line}" for line in lines)])

    def expect_watchlist_edit(self, text: str, by: str, via: str = "/watch") -> None:
        """``/watch`` (or ``via``) is about to write ``text``: the reload that reads it names ``by``."""
        self._edit_by[hashlib.sha256(text.encode("utf-8")).hexdigest()] = (by, via)

    @contextlib.contextmanager
    def writing_watchlist(self, text: str, by: str, via: str = "/watch") -> Iterator[None]:
        """Around the write of ``text``: expected as ``by``'s (:meth:`expect_watchlist_edit`),
        and if the write raises (refused, the file changed meanwhile, an OSError) the record
        goes, so that a later edit to the same text by other means is not credited to it."""
        self.expect_watchlist_edit(text, by, via)
        try:
            yield
        except BaseException:
            self._edit_by.pop(hashlib.sha256(text.encode("utf-8")).hexdigest(), None)
            raise

    async def watchlist_edited(self) -> None:
        """``/watch`` wrote the file: reload now rather than when the watcher notices."""
        await self.reload_watchlist_if_changed()

    async def reload_config_if_changed(self) -> bool:
        """Pick up an edit of ``newsbot.yaml``: apply what can change live, announce it.

        What cannot change while running (listening ports, command registration, the
        watchlist's path) keeps its running value and is announced as needing a restart.
        An invalid edit is refused with ``file:line: message``; the running settings stay.
        """
        if self.config_path is None:
            return False
        async with self._reload_lock:
            outcome = await asyncio.to_thread(self._load_config_if_changed)
            if outcome is None:
                return False
            if isinstance(outcome, ConfigError):
                log.error("config edit refused, keeping the running settings:\n%s", outcome)
                await self.notify(
                    f"newsbot: config edit refused; the running settings are kept.\n{outcome}"
                )
                return False
            diff = settings_diff(self._file_settings, outcome)
            self._file_settings = outcome
            running = self.settings
            self.settings = keep_running(running, outcome)
            self.apply(running, self.settings)
        lines = describe_settings_diff(diff)
        for name, _old, _new in diff.restart:
            log.warning("config: %s changed; it takes effect after a restart", name)
        log.info(
            "config reloaded%s", "".join(f"; {line}" for line in lines) or " (no change)"
        )
        if lines:
            await self.notify(
                "\n".join([f"newsbot: {self.config_path.name} reloaded:", *(f"• {x}" for x in lines)])
            )
        return True

    def _load_config_if_changed(self) -> Settings | ConfigError | None:
        assert self.config_path is not None
        with self._digest_lock:
            now = digest(self.config_path)
            if now == self._config_digest:
                return None
            self._config_digest = now
        try:
            return load_settings(self.config_path)
        except ConfigError as exc:
            return exc

    async def changed(self, paths: set[Path]) -> None:
        """The watcher saw a write: reload whichever file it was (digests decide)."""
        if self.config_path is not None and self.config_path in paths:
            await self.reload_config_if_changed()
        if self.watchlist_path in paths:
            await self.reload_watchlist_if_changed()

    def watch(self) -> asyncio.Task[None]:
        """Watch the watchlist and the config file; an edit is applied within seconds."""
        paths = [self.watchlist_path]
        if self.config_path is not None:
            paths.append(self.config_path)
        self.watcher = ConfigWatcher(paths, self.changed)
        return asyncio.get_running_loop().create_task(self.watcher.run(), name="config watcher")

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
