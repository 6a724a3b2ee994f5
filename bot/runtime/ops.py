"""The operator's endpoints of a running bot: ``/healthz`` (liveness) and ``/metrics``
(Prometheus), served by aiohttp on the bot's own event loop.

Both are cheap: ``/healthz`` reads a few values the bot keeps in memory and counts the
outbox with a short timeout (a slow database shows as ``null``, never as a hung probe).
A handler that answers at all proves the event loop runs; the scheduler's heartbeat job
proves the clock that drives scans and deliveries still ticks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.runtime.metrics import Metrics, version
from bot.settings.sections import OpsConfig
from bot.store.outage import DatabaseOutage

log = logging.getLogger(__name__)

HEARTBEAT = 5.0
"""Seconds between scheduler heartbeats."""
STUCK_AFTER = 30.0
"""No heartbeat for this long (six beats) and ``/healthz`` answers 503."""
DB_TIMEOUT = 1.0
"""Longest wait for the outbox count; a slower database reports ``null``."""


class Health:
    """What liveness means for this bot, kept in memory by the bot and read by ``/healthz``."""

    def __init__(
        self, stuck_after: float = STUCK_AFTER, outage: DatabaseOutage | None = None
    ) -> None:
        self.started = time.monotonic()
        self.outage = outage
        """The bot's database outage state: while it lasts, ``/healthz`` says 503 and why."""
        self.last_tick: float | None = None
        self.stuck_after = stuck_after
        self.stopping = False
        self.vital: dict[str, asyncio.Task[Any]] = {}
        """Tasks that must run as long as the bot does (the feed scheduler)."""

    async def tick(self) -> None:
        """The scheduler's heartbeat job (a coroutine, so it runs on the event loop)."""
        self.last_tick = time.monotonic()

    def problems(self, now: float | None = None) -> list[str]:
        """Why the bot is not alive, or nothing."""
        now = time.monotonic() if now is None else now
        out = []
        if self.stopping:
            out.append("shutting down")
        since = self.last_tick if self.last_tick is not None else self.started
        if now - since > self.stuck_after:
            what = "the last" if self.last_tick is not None else "any"
            out.append(f"no scheduler tick for {now - since:.0f}s (stuck after {what} tick)")
        for name, task in self.vital.items():
            if task.done() and not self.stopping:
                out.append(f"{name} has stopped")
        if self.outage is not None and (problem := self.outage.problem()):
            out.append(problem)
        return out

    def degraded(self) -> bool:
        """Running, only waiting for the database (it resumes by itself)."""
        return self.outage is not None and self.outage.down_now


@dataclass(frozen=True)
class Vitals:
    """What the endpoints read of the running bot."""

    health: Health
    metrics: Metrics
    instance: str
    """This instance's name (shared databases: which one answered)."""
    pending: Callable[[], int]
    """Counts the outbox (a store call: run in a thread, with a timeout)."""
    connected: Callable[[], Mapping[str, bool]]
    """Per chat platform, whether its connection is up."""
    holds: Callable[[], list[str]]
    """The platforms this instance delivers (a standby holds none)."""


class OpsServer:
    """``/healthz`` and ``/metrics`` for one bot, on ``ops.listen_host:listen_port``."""

    def __init__(self, config: OpsConfig, vitals: Vitals) -> None:
        self.vitals = vitals
        self.config = config
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def enabled(self) -> bool:
        return self.config.enabled and self.config.listen_port is not None

    async def start(self) -> int | None:
        """Listen; returns the port. A port in use is logged and the bot runs on without
        the endpoints: alerts matter more than their statistics."""
        if not self.enabled:
            return None
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        host = self.config.listen_host
        try:
            await web.TCPSite(runner, host, self.config.listen_port).start()
        except OSError as exc:
            await runner.cleanup()
            log.error(
                "ops: cannot listen on %s:%s (%s); /healthz and /metrics are off. "
                "Set ops.listen_port in the config (0 picks a free port).",
                host,
                self.config.listen_port,
                exc.strerror or exc,
            )
            return None
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("ops: /healthz and /metrics on http://%s:%d", _host(host), self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _pending(self) -> int | None:
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.vitals.pending), DB_TIMEOUT
            )
        except Exception as exc:  # a busy or closed database: say so, do not hang the probe
            log.debug("ops: outbox count unavailable: %r", exc)
            return None

    def status(self, pending: int | None) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of ``/healthz``."""
        health = self.vitals.health
        now = time.monotonic()
        problems = health.problems(now)
        waiting = health.degraded() and len(problems) == 1  # only for the database
        body: dict[str, Any] = {
            "status": (
                "stopping" if health.stopping
                else "degraded" if waiting
                else "stuck" if problems
                else "ok"
            ),
            "version": version(),
            "uptime_seconds": round(now - health.started, 1),
            "last_tick_seconds_ago": (
                round(now - health.last_tick, 1) if health.last_tick is not None else None
            ),
            "adapters": dict(self.vitals.connected()),
            "outbox_pending": pending,
            "instance": self.vitals.instance,
            "holds": self.vitals.holds(),
            # A standby (it holds no platform: another instance does) is healthy too.
        }
        if problems:
            body["problems"] = problems
        return (503 if problems else 200), body

    async def _healthz(self, request: web.Request) -> web.Response:
        code, body = self.status(await self._pending())
        return web.Response(
            status=code, text=json.dumps(body), content_type="application/json"
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        pending = await self._pending()
        if pending is not None:
            self.vitals.metrics.outbox_pending.set(pending)
        return web.Response(
            body=self.vitals.metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
