"""Wiring: sources, store, matcher, outbox and chat adapters in one asyncio process, and
its life cycle (start, run, shutdown).

The parts: :mod:`~bot.runtime.live` (settings and watchlist, reloaded live),
:mod:`~bot.runtime.poller` (feeds), :mod:`~bot.runtime.seeds` (seed folders),
:mod:`~bot.runtime.intake` (matching on a worker thread), :mod:`~bot.runtime.platforms`
(chat platforms held across instances), the clocks of :mod:`~bot.runtime.scheduler`,
the endpoints of :mod:`~bot.runtime.ops`, the web console of :mod:`~bot.runtime.console`,
the stopping of :mod:`~bot.runtime.shutdown`, and the translation of alerts of
:mod:`~bot.runtime.translation`. Each gets what it reads, not the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.base import ChatAdapter
from bot.commands.dispatch import Commands
from bot.delivery.pacing import Pacing
from bot.delivery.worker import DeliveryWorker
from bot.ingest.pipeline import IngestReport
from bot.nlp import pipelines
from bot.nlp.watchlist import Watchlist
from bot.runtime.cluster import Cluster
from bot.runtime.console import WebConsole
from bot.runtime.dbcall import StoreThreads
from bot.runtime.intake import Intake
from bot.runtime.live import LiveConfig
from bot.runtime.metrics import Metrics
from bot.runtime.ops import HEARTBEAT, Health, OpsServer, Vitals
from bot.runtime.platforms import Platforms
from bot.runtime.poller import FeedPoller
from bot.runtime.retention import TextPruner
from bot.runtime.scheduler import DELIVERY_TICK, STARTUP_SPREAD, FeedScheduler, build_scheduler
from bot.runtime.seeds import SeedFolders
from bot.runtime.shutdown import shut_down
from bot.runtime.translation import make_translating
from bot.runtime.weekly import CHECK_EVERY, WeeklyNote
from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.sources.websub import WebSub
from bot.store.db import utcnow
from bot.store.outage import DatabaseOutage
from bot.store.repositories import Repositories, open_store
from bot.translate.texts import BACKEND_NAMES

log = logging.getLogger(__name__)

@dataclass
class ScanSummary:
    reports: list[IngestReport] = field(default_factory=list)
    feed_errors: int = 0

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def alerted(self) -> int:
        return sum(r.alerted for r in self.reports)


class NewsBot:
    """One running bot: builds the parts, starts them, stops them within a budget."""

    def __init__(
        self,
        settings: Settings,
        adapters: Mapping[str, ChatAdapter],
        store: Repositories | None = None,
        watchlist: Watchlist | None = None,
        config_path: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.store = store or open_store(settings.database_url)
        """The database, opened once: each part below is handed the repository it uses."""
        self.metrics = Metrics()
        self.outage = DatabaseOutage()
        """Shared by every loop: one log line per outage, and ``/healthz`` says so."""
        self.health = Health(outage=self.outage)
        self.cluster = Cluster(self.store.leases, settings.cluster, outage=self.outage)
        self._stop = asyncio.Event()
        self._fatal: BaseException | None = None
        """An error a background task stopped the bot for (run_forever raises it)."""
        self.worker = DeliveryWorker(
            self.store.outbox,
            self.store.outcomes,
            self.adapters,
            pacing=lambda: Pacing.of(self.settings),
            metrics=self.metrics,
            outage=self.outage,
        )
        self.worker.owner = self.cluster.owner
        self.platforms = Platforms(
            self.adapters, self.worker, self.cluster, settings=lambda: self.settings,
            outage=self.outage, stop=self._stop, fail=self._fail,
        )
        self.worker.on_failed = self.platforms.delivery_failed
        self.live = LiveConfig(
            settings, notify=self.platforms.notify_admins, apply=self._apply_settings,
            watchlist=watchlist, config_path=config_path,
        )
        self._edits_task: asyncio.Task[None] | None = None
        """Edits posts that went out untranslated once their translation is in."""
        self.translating = make_translating(
            settings, os.environ if env is None else env, self.store, lambda: self.settings,
            kick=self.worker.kick, notify=self.platforms.notify_admins,
        )
        self.worker.sender.translating = self.translating
        self.commands = Commands(
            self.store.subscriptions, self.store.history, self.store.feeds,
            lambda: self.live.watchlist, lambda: self.settings.feeds, host=self.live,
            translations=self.store.translations, brief_language=self._brief_language,
            feedback=self.store.feedback, search=self.store.search,
        )
        self.worker.sender.tallies = self.store.feedback
        self.db = StoreThreads(shared=self.cluster.shared)
        self.intake = Intake(self.store.articles, self.store.subscriptions, self.live, self.metrics, self.worker.kick)
        self.poller = FeedPoller(
            self.live, self.store.feeds, articles=self.store.articles, db=self.db, ingest=self.intake.ingest,
            notify=self.platforms.notify_admins, metrics=self.metrics, outage=self.outage,
        )
        self.websub: WebSub | None = None
        if settings.websub.callback_url:
            self.websub = self.poller.websub = WebSub(
                settings, self.store.websub, lambda: self.poller.client, self.poller.ingest_push
            )
        self.pruner = TextPruner(
            self.store.articles, lambda: self.settings, db=self.db, outage=self.outage
        )
        self.seeds = SeedFolders(
            settings, self.live, ingest=self.intake.ingest, take=self.cluster.take,
            outage=self.outage,
        )
        self.weekly = WeeklyNote(
            self.store.feedback, lambda: self.live.watchlist, self.platforms.notify_admins,
            take=self.cluster.take,
        )
        self.web_console = WebConsole(self.live, self.store, self.poller.fetch_page, self.adapters)
        self.scheduler: AsyncIOScheduler | None = None
        self.feed_scheduler: FeedScheduler | None = None
        self.delivery_tick = DELIVERY_TICK
        """How often a running bot looks at the outbox without being kicked (tests shorten it)."""
        self.startup_spread = STARTUP_SPREAD
        """Over how long a running bot spreads its first feed polls (tests shorten it)."""
        pipelines.configure(settings.spacy_models)

    def _brief_language(self) -> tuple[str, str] | None:
        config = self.settings.translate
        if config is None or self.translating is None:
            return None
        return config.to, BACKEND_NAMES[config.backend]

    @property
    def settings(self) -> Settings:
        """The running settings (a config edit replaces them)."""
        return self.live.settings

    @property
    def watchlist(self) -> Watchlist:
        return self.live.watchlist

    def add_adapter(self, adapter: ChatAdapter) -> None:
        """Attach a chat platform; adapters need ``self.commands``, so they come after init."""
        self.adapters[adapter.platform] = adapter
        self.worker.adapters[adapter.platform] = adapter

    def _apply_settings(self, old: Settings, new: Settings) -> None:
        """Rewire what reads settings once: feeds, seed folders, limits, the seed clock.

        Everything else (routes, admins, admin channels, backoff, ...) is read from the
        running settings where it is used.
        """
        self.worker.forget_refusals()  # an edit may have fixed a route: report it anew
        self.seeds.settings_changed(old, new)
        self.poller.settings_changed(old, new)
        if old.spacy_models != new.spacy_models:
            pipelines.configure(new.spacy_models)
        if old.scan_interval != new.scan_interval and self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.reschedule_job(
                    "seeds", trigger="interval", seconds=new.scan_interval.total_seconds()
                )
        if old.feeds != new.feeds and self.feed_scheduler is not None:
            self.feed_scheduler.reconfigure(new.feeds)

    async def poll_feed(self, feed: FeedConfig) -> IngestReport | None:
        """One poll of one feed (what the feed scheduler calls when the feed is due)."""
        return await self.poller.poll_feed(feed)

    async def deliver(self) -> int:
        """Deliver what is due on every platform and wait for it (``scan --once``)."""
        return await self.worker.drain()

    async def deliver_tick(self) -> None:
        """The scheduler's tick: start the drains that are not running, wait for none."""
        self.worker.kick()

    async def websub_job(self) -> None:
        """Renew WebSub leases due soon; during a database outage the next run does."""
        if self.websub is not None:
            await self.outage.once("renewing WebSub leases", self.websub.renew_due)

    async def weekly_job(self) -> None:
        """The weekly feedback note, when due; during a database outage the next run does."""
        await self.outage.once("sending the weekly feedback note", self.weekly.run)

    def make_scheduler(self) -> AsyncIOScheduler:
        """The APScheduler jobs of this bot: seed scan, delivery tick, WebSub renewals,
        pruning of article text."""
        return build_scheduler(
            seeds=self.seeds.scan_job,
            scan_interval=self.settings.scan_interval,
            deliver=self.deliver_tick,
            websub=self.websub_job if self.websub is not None else None,
            prune=self.pruner.job,
            delivery_tick=self.delivery_tick,
        )

    def make_feed_scheduler(self) -> FeedScheduler:
        """The feed clock, polling through :meth:`poll_feed` as it is when called."""
        return FeedScheduler(
            self.poll_feed, self.store.feeds, db=self.db, settings=lambda: self.settings,
            owner=self.cluster.owner, lease=self.cluster.lease, outage=self.outage,
            spread=self.startup_spread,
        )

    def make_ops_server(self) -> OpsServer:
        """``/healthz`` and ``/metrics``, reading this bot's vitals."""
        vitals = Vitals(
            health=self.health,
            metrics=self.metrics,
            instance=self.cluster.owner,
            pending=self.store.outbox.outbox_pending,
            connected=lambda: {name: a.connected for name, a in self.adapters.items()},
            holds=self.worker.platforms,
        )
        return OpsServer(self.settings.ops, vitals)

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, *, standby: bool = True) -> None:
        """Connect the chat platforms (see :meth:`Platforms.start`), requeue what a killed
        run left in flight, listen for WebSub pushes."""
        await self.cluster.start()
        await self.platforms.start(standby=standby)
        if self.websub is not None:
            await self.websub.start()

    def _fail(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
        self._stop.set()

    def deliveries(self) -> list[asyncio.Task[int]]:
        """The deliveries in flight (``shut_down`` lets them finish within its budget)."""
        return self.worker.running()

    async def close(self) -> None:
        drains = self.worker.running()
        if drains:  # a post in flight is answered (and marked sent) before the store closes
            await asyncio.wait(drains, timeout=10)
        await self.platforms.close()
        await self.cluster.stop()
        if self.websub is not None:
            with contextlib.suppress(Exception):
                await self.websub.stop()
        await self.poller.close()
        if self.translating is not None:
            with contextlib.suppress(Exception):
                await self.translating.service.close()
        await self.intake.close()
        await self.db.close()
        self.store.close()

    async def scan_once(self) -> ScanSummary:
        """One pass over every source, then deliver what it queued."""
        summary = ScanSummary()
        summary.reports.append(await self.seeds.scan())
        results = await self.poller.poll_all()
        for feed, r in zip(self.settings.feeds, results, strict=True):
            if isinstance(r, BaseException):
                log.error("feed %s: poll failed: %r", feed.label, r)
                summary.feed_errors += 1
            elif r is None:
                summary.feed_errors += 1
            else:
                summary.reports.append(r)
        await self.deliver()
        return summary

    def request_stop(self) -> None:
        self._stop.set()

    async def run_forever(self) -> None:
        """The bot: scheduled polling and delivery until SIGINT/SIGTERM."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        scheduler = self.scheduler = self.make_scheduler()
        scheduler.add_job(self.health.tick, "interval", seconds=HEARTBEAT, id="heartbeat")
        scheduler.add_job(
            self.weekly_job, "interval", seconds=CHECK_EVERY.total_seconds(),
            next_run_time=utcnow() + timedelta(seconds=30), id="feedback-note",
        )
        ops = self.make_ops_server()
        console = self.web_console.server()
        feeds_task: asyncio.Task[None] | None = None
        watch_task: asyncio.Task[None] | None = None
        beat_task: asyncio.Task[None] | None = None
        try:
            await self.start()
            beat_task = loop.create_task(self.cluster.heartbeat(), name="lease heartbeat")
            scheduler.start()
            await self.health.tick()
            self.feed_scheduler = self.make_feed_scheduler()
            feeds_task = loop.create_task(self.feed_scheduler.run(), name="feed scheduler")
            self.health.vital["the feed scheduler"] = feeds_task
            watch_task = self.live.watch()
            self.seeds.watch()
            if self.translating is not None:
                self._edits_task = loop.create_task(self.translating.run(), name="translated edits")
            await ops.start()
            await console.start()
            log.info(
                "newsbot running: %d feeds, %d seed folders, chat: %s. Ctrl-C to stop.",
                len(self.settings.feeds),
                len(self.seeds.file_sources),
                ", ".join(self.adapters) or "none",
            )
            if self.cluster.shared:
                log.info("instance %s shares its database with any other instance on it",
                         self.cluster.owner)
            await self._stop.wait()
        finally:
            log.info("stopping")
            if beat_task is not None:
                beat_task.cancel()
            self.live.stop()
            self.seeds.stop()
            if watch_task is not None:
                watch_task.cancel()  # it only watches files: nothing to finish
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(watch_task, timeout=1)
            self.health.stopping = self.worker.stopping = self.pruner.stopping = True
            await shut_down(self, scheduler, feeds_task, (ops, console))
        if self._fatal is not None:
            raise self._fatal
