"""The console's listening socket on the bot's own event loop, like ``/healthz``.

A console that cannot start (its port taken, a non-loopback address without a password)
says why in one log line and the bot runs on without it: alerts matter more than the page
that shows them. The login address with its one-time token is announced once to whoever
started the bot (stderr, ``announce``), not through the redacting log handlers; the log
proper names only the address.

``warm`` is blocking work started on the console's long-job threads once it listens (the bot
passes the matcher's warm-up, so the first Try does not load spaCy while someone waits);
start-up does not wait for it, and ``stop`` tells it to end after the step under way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from aiohttp import web

from bot.settings.sections import ConsoleConfig
from bot.web.app import Page, Threads, make_app
from bot.web.auth import Auth

log = logging.getLogger(__name__)

PASSWORD_ENV = "NEWSBOT_CONSOLE_PASSWORD"
SECRET_ENV = "NEWSBOT_CONSOLE_SECRET"


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost``: reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ConsoleServer:
    """The console for one bot, on ``console.listen_host:listen_port``.

    ``pages`` are built by the caller from the bot's parts (``bot/runtime/bot.py``);
    ``threads`` is the pool those pages run their blocking work on (closed here).
    """

    def __init__(
        self,
        config: ConsoleConfig,
        pages: Sequence[Page],
        env: Mapping[str, str],
        threads: Threads | None = None,
        announce: Callable[[str], None] | None = None,
        warm: Callable[[threading.Event], object] | None = None,
    ) -> None:
        self.config = config
        self.pages = list(pages)
        self.auth = Auth(password=env.get(PASSWORD_ENV) or None, secret=env.get(SECRET_ENV) or None)
        self.threads = threads
        self.announce = announce or _to_terminal
        self.port: int | None = None
        self.url: str | None = None
        self._runner: web.AppRunner | None = None
        self.warm = warm
        self.warming: asyncio.Task[None] | None = None
        """The warm-up under way or done (None: none was started)."""
        self._stop_warming = threading.Event()

    def refusal(self) -> str | None:
        """Why the console must not start as configured, or None."""
        host = self.config.listen_host
        if not is_loopback(host) and self.auth.password is None:
            return (
                f"console: not listening on {host}: any address but loopback needs "
                f"{PASSWORD_ENV} set (the console can change what the bot does); the bot "
                "runs on without it"
            )
        return None

    async def start(self) -> int | None:
        """Listen and print the login address; returns the port, or None if the console
        is off or could not start (logged)."""
        if not self.config.enabled:
            return None
        refusal = self.refusal()
        if refusal is not None:
            log.error("%s", refusal)
            return None
        host = self.config.listen_host
        app = make_app(self.pages, self.auth, loopback=is_loopback(host))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, self.config.listen_port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "console: cannot listen on %s:%s (%s); the web console is off. Set "
                "console.listen_port in the config (0 picks a free port).",
                host, self.config.listen_port, exc.strerror or exc,
            )
            return None
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        self.url = f"http://{shown}:{self.port}/"
        log.info("console: web console on %s", self.url)
        if self.auth.token is not None:
            self.announce(f"Web console: {self.url}?token={self.auth.token}  (the link logs in once)")
        if self.warm is not None:
            self.warming = asyncio.get_running_loop().create_task(self._warm(self.warm))
        return self.port

    async def _warm(self, warm: Callable[[threading.Event], object]) -> None:
        """Run ``warm`` off the loop; what goes wrong is one log line (the first Try then
        loads what it needs itself)."""
        started = time.monotonic()
        try:
            if self.threads is not None:
                done = await self.threads.long(warm, self._stop_warming)
            else:
                done = await asyncio.to_thread(warm, self._stop_warming)
        except Exception as exc:
            log.warning("console: could not prepare the matcher ahead (%r); the first Try will", exc)
            return
        log.info("console: matcher ready in %.1f s (%s)", time.monotonic() - started, done)

    async def stop(self) -> None:
        self._stop_warming.set()
        if self.warming is not None and not self.warming.done():
            self.warming.cancel()  # its thread ends after the step under way
            with contextlib.suppress(asyncio.CancelledError):
                await self.warming
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.threads is not None:
            self.threads.close()


def _to_terminal(line: str, stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    out.write(line + "\n")
    out.flush()
