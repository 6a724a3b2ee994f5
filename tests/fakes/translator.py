"""What the fake LibreTranslate and the fake DeepL share: an aiohttp server on 127.0.0.1
in a thread of its own (so a bot under test cannot starve it), every request recorded, and
a switch for how it behaves (:attr:`FakeTranslator.mode`):

- ``ok``: translates (:meth:`FakeTranslator.render`: a dictionary the test fills, else
  ``[en] <text>``);
- ``hang``: holds every answer until :meth:`FakeTranslator.release` (a translator answering
  after the bot's deadline, without the test sleeping);
- ``down``: 500 with the backend's error body; ``quota``: the backend's out-of-quota
  status; ``refused``: 403 (a bad key); ``garbage``: a 200 with one translation too few.

Switching back to ``ok`` is the translator recovering.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Mode = str


@dataclass
class Request:
    path: str
    body: Any
    headers: dict[str, str]


class FakeTranslator:
    """Base of the two fakes; a subclass adds its routes in :meth:`routes`."""

    def __init__(self) -> None:
        self.mode: Mode = "ok"
        self.dictionary: dict[str, str] = {}
        """Exact text -> its translation; anything else becomes ``[<target>] <text>``."""
        self.render: Callable[[str, str, str], str] = self._render
        """``render(text, source, target)``: what a text translates to (a test may swap in
        a hostile translator)."""
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._gate: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def _render(self, text: str, source: str, target: str) -> str:
        return self.dictionary.get(text, f"[{target}] {text}")

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> FakeTranslator:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self._gate = asyncio.Event()
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        self.release()

        async def _stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> FakeTranslator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    # -- test controls ---------------------------------------------------------------------

    def hang(self) -> None:
        """Hold every answer from now until :meth:`release`."""
        def close_gate() -> None:
            assert self._gate is not None
            self._gate.clear()

        self._loop.call_soon_threadsafe(close_gate)
        with self._lock:
            self.mode = "hang"

    def release(self) -> None:
        """Answer what is held, and everything after (mode ``ok``)."""
        with self._lock:
            if self.mode == "hang":
                self.mode = "ok"

        def open_gate() -> None:
            if self._gate is not None:
                self._gate.set()

        if self._loop.is_running():
            self._loop.call_soon_threadsafe(open_gate)

    def translate_calls(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("translate")]

    def wait_calls(self, n: int, timeout: float = 30.0) -> list[Request]:
        """Wait (on the condition, not a guess) until ``n`` translate requests arrived."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            calls = self.translate_calls()
            if len(calls) >= n:
                return calls
            time.sleep(0.02)
        raise AssertionError(f"{n} translate requests expected, got {len(self.translate_calls())}")

    # -- for the subclasses ----------------------------------------------------------------

    async def _record(self, request: web.Request) -> tuple[Any, Mode]:
        """The request's JSON body (None if it has none), recorded; the mode to answer in,
        after waiting while the fake hangs."""
        try:
            body = await request.json() if request.can_read_body else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Request(request.path, body, dict(request.headers)))
            mode = self.mode
        if mode == "hang":
            assert self._gate is not None
            await self._gate.wait()
            mode = "ok"
        return body, mode
