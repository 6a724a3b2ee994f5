"""Wiring: sources, store, matcher, outbox and chat adapters in one asyncio process.

The event loop only waits on the network; matching (spaCy) and database writes run in a
worker thread so that chat heartbeats never stall behind a long article.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from bot.chat.base import ChatAdapter, DeliveryError
from bot.commands.dispatch import Commands
from bot.delivery.pacing import Pacing
from bot.delivery.worker import DeliveryWorker
from bot.ingest.pipeline import IngestReport, ingest
from bot.models import Alert, Article, Target
from bot.nlp import pipelines
from bot.nlp.watchlist import Watchlist, load_watchlist
from bot.runtime.cluster import Cluster, LostLock, PlatformLock
from bot.runtime.metrics import Metrics
from bot.runtime.ops import HEARTBEAT, Health, OpsServer
from bot.runtime.scheduler import DELIVERY_TICK, STARTUP_SPREAD, coalesced, poll_delay
from bot.settings.diff import (
    describe_settings_diff,
    describe_watchlist_diff,
    keep_running,
    settings_diff,
    watchlist_diff,
)
from bot.settings.model import FeedConfig, Settings, load_settings
from bot.settings.yamlfile import ConfigError
from bot.sources.files import FileSource
from bot.sources.fulltext import fetch_page_text, wants_full_text, with_full_text
from bot.sources.http import make_client, trust_of
from bot.sources.limits import FetchLimiter
from bot.sources.poll import FeedResult, fetch_feed
from bot.store.outage import DatabaseOutage
from bot.store.store import FeedState, Store, utcnow
from bot.text import display_url, plural

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.runtime.scheduler import FeedScheduler
    from bot.settings.watcher import ConfigWatcher, FolderWatcher
    from bot.sources.websub import WebSub

log = logging.getLogger(__name__)
T = TypeVar("T")

SEED_SETTLE = 1.0
"""Seconds a seed file must have been left alone before a running bot reads it: one still
being written is read once it is finished (its first, partial version would be recorded
as seen and the finished one ignored)."""
SHUTDOWN_BUDGET = 9.0
"""Seconds from SIGTERM to a closed store (the process exits within 10 s)."""
CLOSE_RESERVE = 2.5
"""Of that budget, what is kept for closing: the delivery in flight gets the rest."""


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
    """One running bot: owns the store, the HTTP client, the adapters and the worker."""

    def __init__(
        self,
        settings: Settings,
        adapters: Mapping[str, ChatAdapter],
        store: Store | None = None,
        watchlist: Watchlist | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.settings = settings
        self.config_path = config_path
        """The ``newsbot.yaml`` the settings came from; watched and reloaded when given."""
        self._file_settings = settings
        """The settings as the file last said them (restart-only values included)."""
        self._config_digest = self._digest(config_path) if config_path else None
        self._reload_lock = asyncio.Lock()
        self._digest_lock = threading.Lock()
        self._edit_by: dict[str, str] = {}
        self.adapters = dict(adapters)
        self.store = store or Store(settings.database_url)
        self.watchlist_path = settings.resolve(settings.watchlist)
        self.watchlist = watchlist or load_watchlist(self.watchlist_path)
        self._watchlist_digest = self._digest(self.watchlist_path)
        self._watchlist_checked = 0.0
        self.commands = Commands(
            self.store, lambda: self.watchlist, lambda: self.settings.feeds, host=self
        )
        self.metrics = Metrics()
        self.outage = DatabaseOutage()
        """Shared by every loop: one log line per outage, and ``/healthz`` says so."""
        self.health = Health(outage=self.outage)
        self.cluster = Cluster(self.store, settings.cluster, outage=self.outage)
        self._holders: dict[str, asyncio.Task[None]] = {}
        self._locks: dict[str, PlatformLock] = {}
        self._fatal: BaseException | None = None
        """An error a background task stopped the bot for (run_forever raises it)."""
        self.worker = DeliveryWorker(
            self.store,
            self.adapters,
            on_failed=self._delivery_failed,
            pacing=lambda: Pacing.of(self.settings),
            metrics=self.metrics,
            outage=self.outage,
        )
        self.worker.owner = self.cluster.owner
        self.file_sources = [
            FileSource(settings.resolve(p), settings.max_file_bytes, label=p.as_posix())
            for p in settings.seeds
        ]
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-match")
        # Feed bookkeeping (state reads, health writes) on one thread of its own: SQLite
        # has one writer, and a thousand polls racing for it from a pool of threads spend
        # their time in its busy-wait backoff.
        # PostgreSQL takes concurrent writers: a few threads there.
        self._dbx = ThreadPoolExecutor(
            max_workers=4 if self.cluster.shared else 1, thread_name_prefix="newsbot-store"
        )
        self._client: httpx.AsyncClient | None = None
        self._stop = asyncio.Event()
        self._seeds_scanned = False
        self.delivery_tick = DELIVERY_TICK
        """How often a running bot looks at the outbox without being kicked (tests shorten it)."""
        self.startup_spread = STARTUP_SPREAD
        """Over how long a running bot spreads its first feed polls (tests shorten it)."""
        self.seed_settle: float | None = None
        """``SEED_SETTLE`` while running (``scan --once`` reads every file as it is)."""
        self._seeds_settling = 0
        self.seed_scan = coalesced(self.seed_job)
        """The seed scan the scheduler and the folder watcher share: one at a time, and one
        more when asked for while it runs."""
        self.seed_watcher: FolderWatcher | None = None
        self._watch_tasks: set[asyncio.Task[None]] = set()
        self.limiter = FetchLimiter(settings.max_fetches, settings.max_fetches_per_host)
        self.next_poll: dict[str, datetime] = {}
        """When each feed is due next (the feed scheduler reads it after every poll)."""
        self.websub: WebSub | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.feed_scheduler: FeedScheduler | None = None
        self.config_watcher: ConfigWatcher | None = None
        if settings.websub.callback_url:
            from bot.sources.websub import WebSub

            self.websub = WebSub(settings, self.store, lambda: self.client, self.ingest_push)
        pipelines.configure(settings.spacy_models)

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _digest(path: Path) -> str | None:
        """What the file says, not when it was touched: mtimes are coarse and editors vary."""
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None

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
            await self.notify_admins(notice)
        return changed

    def _reload_watchlist_if_changed(self) -> tuple[bool, str | None]:
        """(whether the watchlist was replaced, what to tell the admins)."""
        with self._digest_lock:
            digest = self._digest(self.watchlist_path)
            if digest == self._watchlist_digest:
                return False, None
            self._watchlist_digest = digest  # a refused edit is reported once, not every scan
        by = self._edit_by.pop(digest or "", None)
        try:
            new = load_watchlist(self.watchlist_path)
        except ConfigError as exc:
            log.error("watchlist edit refused, keeping the last good version:\n%s", exc)
            return False, f"newsbot: watchlist edit refused; the last good version keeps running.\n{exc}"
        old, self.watchlist = self.watchlist, new
        lines = describe_watchlist_diff(watchlist_diff(old, new))
        who = f" by {by} (/watch)" if by else ""
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

    def expect_watchlist_edit(self, text: str, by: str) -> None:
        """``/watch`` is about to write ``text``: the reload that reads it names ``by``."""
        self._edit_by[hashlib.sha256(text.encode("utf-8")).hexdigest()] = by

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
                await self.notify_admins(
                    f"newsbot: config edit refused; the running settings are kept.\n{outcome}"
                )
                return False
            diff = settings_diff(self._file_settings, outcome)
            self._file_settings = outcome
            running = self.settings
            self.settings = keep_running(running, outcome)
            self._apply_settings(running, self.settings)
        lines = describe_settings_diff(diff)
        for name, _old, _new in diff.restart:
            log.warning("config: %s changed; it takes effect after a restart", name)
        log.info(
            "config reloaded%s", "".join(f"; {line}" for line in lines) or " (no change)"
        )
        if lines:
            await self.notify_admins(
                "\n".join([f"newsbot: {self.config_path.name} reloaded:", *(f"• {x}" for x in lines)])
            )
        return True

    def _load_config_if_changed(self) -> Settings | ConfigError | None:
        assert self.config_path is not None
        with self._digest_lock:
            digest = self._digest(self.config_path)
            if digest == self._config_digest:
                return None
            self._config_digest = digest
        try:
            return load_settings(self.config_path)
        except ConfigError as exc:
            return exc

    def _apply_settings(self, old: Settings, new: Settings) -> None:
        """Rewire what reads settings once: feeds, seed folders, limits, the seed clock.

        Everything else (routes, admins, admin channels, backoff, ...) is read from
        ``self.settings`` where it is used.
        """
        self.worker.forget_refusals()  # an edit may have fixed a route: report it anew
        if (old.seeds, old.max_file_bytes) != (new.seeds, new.max_file_bytes):
            self.file_sources = [
                FileSource(new.resolve(p), new.max_file_bytes, label=p.as_posix())
                for p in new.seeds
            ]
            if self.seed_watcher is not None and old.seeds != new.seeds:
                self.seed_watcher.stop()  # its task ends; watch the new folders
                self._start_seed_watcher()
        if (old.max_fetches, old.max_fetches_per_host) != (new.max_fetches, new.max_fetches_per_host):
            self.limiter = FetchLimiter(new.max_fetches, new.max_fetches_per_host)
        if old.user_agent != new.user_agent and self._client is not None:
            self._client.headers["User-Agent"] = new.user_agent
        if old.spacy_models != new.spacy_models:
            pipelines.configure(new.spacy_models)
        if old.scan_interval != new.scan_interval and self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.reschedule_job(
                    "seeds", trigger="interval", seconds=new.scan_interval.total_seconds()
                )
        if old.feeds != new.feeds:
            gone = {f.url for f in old.feeds} - {f.url for f in new.feeds}
            for url in gone:
                self.next_poll.pop(url, None)
            if self.feed_scheduler is not None:
                self.feed_scheduler.reconfigure(new.feeds)

    async def _config_changed(self, paths: set[Path]) -> None:
        """The watcher saw a write: reload whichever file it was (digests decide)."""
        if self.config_path is not None and self.config_path in paths:
            await self.reload_config_if_changed()
        if self.watchlist_path in paths:
            await self.reload_watchlist_if_changed()

    def add_adapter(self, adapter: ChatAdapter) -> None:
        """Attach a chat platform; adapters need ``self.commands``, so they come after init."""
        self.adapters[adapter.platform] = adapter
        self.worker.adapters[adapter.platform] = adapter

    async def notify_admins(self, text: str) -> None:
        """Tell every configured admin channel; a notice that cannot be posted is logged."""
        for target in self.settings.admin_targets():
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

    async def _delivery_failed(self, target: Target, alert: Alert, error: str) -> None:
        if target in self.settings.admin_targets():
            return  # the admin channel itself is failing: the log is all that is left
        await self.notify_admins(
            f"newsbot could not deliver the alert \"{alert.title}\" to "
            f"{target.platform} channel {target.channel}: {error}"
        )

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    async def _db(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._dbx, partial(fn, *args, **kw)
        )

    async def _ingest(
        self, articles: list[Article], alert_published_after: datetime | None = None
    ) -> IngestReport:
        loop = asyncio.get_running_loop()
        job = partial(
            ingest,
            articles,
            store=self.store,
            watchlist=self.watchlist,
            routes=self.settings.routes,
            alert_published_after=alert_published_after,
            story_window=self.settings.story_window,
        )
        report = await loop.run_in_executor(self._cpu, job)
        self.metrics.ingested(report)
        if report.alerted or report.joined:
            self.kick_delivery()
        for alert in report.joined:
            log.info("alert %s: also carried by %s", alert.id, ", ".join(alert.also_in))
        return report

    # -- jobs ------------------------------------------------------------------------------

    async def seed_job(self) -> IngestReport:
        """The periodic (and watcher-triggered) seed scan: waits out a database outage, so
        the seed files are recorded once it is back (the scan reads them again); and
        scans again once files still being written have settled."""
        while True:
            report = await self.outage.retry("scanning the seed folders", self.scan_seeds)
            if not (self._seeds_settling and self.seed_settle):
                return report
            await asyncio.sleep(self.seed_settle)

    async def websub_job(self) -> None:
        """Renew WebSub leases due soon; during a database outage the next run does."""
        if self.websub is not None:
            await self.outage.once("renewing WebSub leases", self.websub.renew_due)

    async def scan_seeds(self) -> IngestReport:
        # A fallback for the file watcher (no inotify, a network file system).
        await self.reload_config_if_changed()
        await self.reload_watchlist_if_changed()
        articles: list[Article] = []
        changed_before = time.time() - self.seed_settle if self.seed_settle else None
        self._seeds_settling = 0
        for source in self.file_sources:
            if not await self.cluster.take(f"seeds {source.folder.resolve()}"):
                continue  # another instance scans this folder (it holds the lease)
            scan = await asyncio.to_thread(source.scan, changed_before)
            self._seeds_settling += scan.settling
            for problem in scan.problems:
                log.warning("seed file skipped: %s", problem)
            articles += scan.articles
        report = await self._ingest(articles)
        if report.new or not self._seeds_scanned:
            log.info(
                "seeds: %s read, %d new, %s",
                plural(report.fetched, "document"),
                report.new,
                plural(report.alerted, "alert"),
            )
        self._seeds_scanned = True
        return report

    async def poll_feed(self, feed: FeedConfig) -> IngestReport | None:
        """One poll of one feed; any failure is recorded on the feed and logged in one line.

        Records the feed's health and when it is due next: its interval (longer while a
        WebSub hub pushes it), backoff while it fails, the publisher's Retry-After.
        """
        await self.reload_watchlist_if_changed(at_most_every=5.0)
        store = self.store
        state = await self._db(store.feed_state, feed.url)
        url = (state.current_url if state else None) or feed.url
        polled_at = utcnow()
        async with self.limiter.slot(url):
            fetch_started = time.monotonic()
            result = await fetch_feed(
                self.client,
                feed,
                url=url,
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
                max_bytes=self.settings.max_feed_bytes,
                timeout=self.settings.fetch_timeout.total_seconds(),
            )
        self.metrics.feed_polled(
            feed.label, time.monotonic() - fetch_started, result.status != "error"
        )
        failures = state.consecutive_failures if state else 0
        label = feed.name or (state.name if state else None) or feed.label
        if result.status == "error":
            await self._poll_failed(feed, state, result, failures + 1, polled_at, label)
            return None
        if failures:
            log.info("feed %s recovered after %d failed polls", label, failures)
        if state and state.down_notified:
            await self.notify_admins(
                f"newsbot: feed {label} is back after {failures} failed polls."
            )
        first_poll = not (state and state.first_poll_done)
        report = IngestReport()
        if result.status == "ok":
            cutoff = polled_at - feed.backfill if first_poll else None
            articles = list(result.articles)
            if feed.full_text:
                articles = await self._full_texts(feed, articles, cutoff)
            report = await self._ingest(articles, alert_published_after=cutoff)
        next_at = utcnow() + poll_delay(self._interval(feed))
        self.next_poll[feed.url] = next_at
        updates: dict[str, object] = {
            "last_polled_at": polled_at,
            "last_success_at": polled_at,
            "last_error": None,
            "consecutive_failures": 0,
            "first_poll_done": True,
            "items_seen": (state.items_seen if state else 0) + report.new,
            "next_poll_at": next_at,
            "down_notified": False,
        }
        # A 304 may carry fresh validators too.
        updates.update(etag=result.etag, last_modified=result.last_modified)
        if result.status == "ok" and result.feed_title:
            updates["name"] = result.feed_title
        if result.permanent_redirect and result.final_url and result.final_url != url:
            log.info(
                "feed %s moved permanently to %s", feed.label, display_url(result.final_url)
            )
            updates["current_url"] = result.final_url
        await self._db(store.update_feed, feed.url, **updates)
        if report.new:
            log.info(
                "feed %s: %d new items, %d alerts",
                feed.name or result.feed_title or feed.label,
                report.new,
                report.alerted,
            )
        if self.websub is not None and result.hub and result.topic:
            await self.websub.discovered(feed, result.hub, result.topic)
        return report

    def _interval(self, feed: FeedConfig) -> timedelta:
        """A feed a hub pushes is still polled, at the longer safety-net interval."""
        if self.websub is not None and self.websub.is_active(feed.url):
            return max(feed.interval, self.settings.websub.poll_interval)
        return feed.interval

    async def _poll_failed(
        self,
        feed: FeedConfig,
        state: FeedState | None,
        result: FeedResult,
        failures: int,
        polled_at: datetime,
        label: str,
    ) -> None:
        delay = poll_delay(
            self._interval(feed),
            failures,
            backoff_max=self.settings.feed_backoff_max,
            retry_after=result.retry_after,
        )
        next_at = utcnow() + delay
        self.next_poll[feed.url] = next_at
        line = f"feed {label}: {result.error} (retrying in {_minutes(delay)})"
        if failures == 1 or (state and state.last_error != result.error):
            log.warning(line)
        else:
            log.info(line)
        notify = failures >= self.settings.feed_failures_notice and not (
            state and state.down_notified
        )
        await self._db(
            self.store.update_feed,
            feed.url,
            last_polled_at=polled_at,
            last_error=result.error,
            consecutive_failures=failures,
            next_poll_at=next_at,
            down_notified=notify or bool(state and state.down_notified),
        )
        if notify:
            await self.notify_admins(
                f"newsbot: feed {label} is failing ({failures} polls in a row): "
                f"{result.error}. Next try in {_minutes(delay)}; you will hear when it is back."
            )

    async def _full_texts(
        self, feed: FeedConfig, articles: list[Article], cutoff: datetime | None
    ) -> list[Article]:
        """New teaser items with the text of the page they link to (``full_text: true``).

        Only items that will be matched: not seen before, and not first-poll backlog.
        """
        fresh = {id(a) for a in await self._db(self.store.filter_new, articles)}
        trust = trust_of(feed)

        async def one(article: Article) -> Article:
            if id(article) not in fresh or not wants_full_text(article) or not article.url:
                return article
            if cutoff is not None and (article.published is None or article.published < cutoff):
                return article
            async with self.limiter.slot(article.url):
                text, error = await fetch_page_text(
                    self.client,
                    article.url,
                    trust=trust,
                    max_bytes=self.settings.max_feed_bytes,
                    timeout=self.settings.fetch_timeout.total_seconds(),
                )
            if text is None:
                log.info("full text of %s: %s; using the feed's summary", article.url, error)
                return article
            return with_full_text(article, text)

        return list(await asyncio.gather(*(one(a) for a in articles)))

    async def ingest_push(self, feed: FeedConfig, articles: list[Article]) -> IngestReport:
        """Items a WebSub hub pushed: the same path as a poll's items."""
        if feed.full_text:
            articles = await self._full_texts(feed, articles, None)
        # The hub will not send these again: hold them until the database takes them.
        report = await self.outage.retry(
            "recording a WebSub push", partial(self._ingest, articles)
        )
        if report.new:
            state = await self._db(self.store.feed_state, feed.url)
            seen = (state.items_seen if state else 0) + report.new
            await self._db(self.store.update_feed, feed.url, items_seen=seen)
            log.info("feed %s (pushed): %d new items, %d alerts", feed.label,
                     report.new, report.alerted)
        return report

    async def poll_all(self) -> list[IngestReport | BaseException | None]:
        """One poll of every configured feed, as concurrent as the fetch limits allow;
        one feed's failure (or bug) never stops the others."""
        return list(
            await asyncio.gather(
                *(self.poll_feed(f) for f in self.settings.feeds), return_exceptions=True
            )
        )

    def kick_delivery(self) -> None:
        """Deliver now rather than at the next tick, without waiting for it."""
        self.worker.kick()

    async def deliver(self) -> int:
        """Deliver what is due on every platform and wait for it (``scan --once``)."""
        return await self.worker.drain()

    async def deliver_tick(self) -> None:
        """The scheduler's tick: start the drains that are not running, wait for none."""
        self.worker.kick()

    # -- life cycle ------------------------------------------------------------------------

    async def start(self, *, standby: bool = True) -> None:
        """Connect the chat platforms and requeue what a killed run left in flight.

        Sharing a database, a platform is connected (and delivered) by one instance: each
        waits in the background for the platform's lock, and takes over when its holder
        dies. ``standby=False`` (``scan --once``): take the platforms that are free now,
        leave the others to the instance that holds them. Alone, every platform is ours
        at once, and a platform that refuses us stops the start.
        """
        await self.cluster.start()
        if self.cluster.shared:
            self.worker.standby()
            for platform in self.adapters:
                if standby:
                    task = asyncio.get_running_loop().create_task(
                        self._hold_platform(platform), name=f"hold {platform}"
                    )
                    self._holders[platform] = task
                else:
                    now = asyncio.Event()
                    now.set()
                    if not await self._take_platform(platform, now):
                        log.info("%s is delivered by the instance that holds it", platform)
        else:
            for adapter in self.adapters.values():
                await adapter.start()
            await self.worker.recover()
        if self.websub is not None:
            await self.websub.start()

    async def _take_platform(self, platform: str, stop: asyncio.Event) -> bool:
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

    async def _hold_platform(self, platform: str) -> None:
        """Take the platform when it is free, and hold it until stopped.

        Losing the lock while holding it (its database connection died: a PostgreSQL
        restart, a network cut) stops deliveries for the platform until it is ours again.
        The chat connection stays up meanwhile: while the database is away no other
        instance can take the lock either. If this instance takes it back first it
        carries on; if another instance has it, this one stops (two connections would
        answer every command twice) and its supervisor restarts it as a standby.
        """
        try:
            if not await self._take_platform(platform, self._stop):
                return
        except Exception as exc:
            log.error("could not take over %s: %s", platform, exc)
            self._fail(exc)
            return
        lock = self._locks[platform]
        while True:
            await lock.lost()
            if self._stop.is_set():
                return
            self.worker.give_up(platform)
            log.warning("%s: delivering nothing until this instance holds its lock again",
                        platform)
            regained = await lock.regain(self._stop)
            if regained is None:
                return
            if not regained:
                self._fail(LostLock(
                    f"lost the {platform} lock: another instance took it while this "
                    "one's database connection was down"
                ))
                return
            await self._resume_platform(platform)

    async def _resume_platform(self, platform: str) -> None:
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

    def _fail(self, exc: BaseException) -> None:
        if self._fatal is None:
            self._fatal = exc
        self._stop.set()

    async def close(self) -> None:
        drains = self.worker.running()
        if drains:  # a post in flight is answered (and marked sent) before the store closes
            await asyncio.wait(drains, timeout=10)
        for adapter in self.adapters.values():
            with contextlib.suppress(Exception):
                await adapter.stop()
        for task in self._holders.values():
            task.cancel()
        for lock in self._locks.values():  # after the connections are closed
            with contextlib.suppress(Exception):
                await lock.release()
        await self.cluster.stop()
        if self.websub is not None:
            with contextlib.suppress(Exception):
                await self.websub.stop()
        if self._client is not None:
            await self._client.aclose()
        # A document being matched finishes (its transaction commits or not, never half).
        await asyncio.to_thread(self._cpu.shutdown, True, cancel_futures=True)
        await asyncio.to_thread(self._dbx.shutdown, True, cancel_futures=True)
        self.store.close()

    async def scan_once(self) -> ScanSummary:
        """One pass over every source, then deliver what it queued."""
        summary = ScanSummary()
        summary.reports.append(await self.scan_seeds())
        results = await self.poll_all()
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
        from bot.runtime.scheduler import FeedScheduler, build_scheduler

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        scheduler = build_scheduler(self, self.delivery_tick)
        scheduler.add_job(self.health.tick, "interval", seconds=HEARTBEAT, id="heartbeat")
        self.scheduler = scheduler
        ops = OpsServer(self, self.settings.ops)
        feeds_task: asyncio.Task[None] | None = None
        watch_task: asyncio.Task[None] | None = None
        beat_task: asyncio.Task[None] | None = None
        try:
            await self.start()
            beat_task = loop.create_task(self.cluster.heartbeat(), name="lease heartbeat")
            scheduler.start()
            await self.health.tick()
            self.feed_scheduler = FeedScheduler(self, self.startup_spread)
            feeds_task = loop.create_task(self.feed_scheduler.run(), name="feed scheduler")
            self.health.vital["the feed scheduler"] = feeds_task
            watch_task = self._start_watcher()
            self.seed_settle = SEED_SETTLE
            self._start_seed_watcher()
            await ops.start()
            log.info(
                "newsbot running: %d feeds, %d seed folders, chat: %s. Ctrl-C to stop.",
                len(self.settings.feeds),
                len(self.file_sources),
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
            if self.config_watcher is not None:
                self.config_watcher.stop()
            if self.seed_watcher is not None:
                self.seed_watcher.stop()
            if watch_task is not None:
                watch_task.cancel()  # it only watches files: nothing to finish
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(watch_task, timeout=1)
            await self._shutdown(scheduler, feeds_task, ops)
        if self._fatal is not None:
            raise self._fatal

    async def _shutdown(
        self, scheduler: Any, feeds_task: asyncio.Task[None] | None, ops: OpsServer
    ) -> None:
        """Stop within one budget: no new work, the delivery in flight finishes (and is
        marked sent, so a restart does not post it again), the rest stays queued, then
        every connection and the store are closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_BUDGET
        self.health.stopping = self.worker.stopping = True
        if scheduler.running:
            scheduler.shutdown(wait=False)
        if feeds_task is not None:
            feeds_task.cancel()
        busy = {t for t in (feeds_task, *self.worker.running()) if t and not t.done()}
        if busy:
            await asyncio.wait(busy, timeout=max(0.0, deadline - CLOSE_RESERVE - loop.time()))
        for task in busy:  # a delivery still not answered goes back to the queue
            task.cancel()
        await ops.stop()
        await self._cancel_jobs(timeout=1.0)
        try:
            await asyncio.wait_for(self.close(), timeout=max(0.5, deadline - loop.time()))
        except TimeoutError:
            log.warning("shutdown took longer than %.0fs; exiting anyway", SHUTDOWN_BUDGET)

    def _start_watcher(self) -> asyncio.Task[None]:
        """Watch the watchlist and the config file; an edit is applied within seconds."""
        from bot.settings.watcher import ConfigWatcher

        paths = [self.watchlist_path]
        if self.config_path is not None:
            paths.append(self.config_path)
        self.config_watcher = ConfigWatcher(paths, self._config_changed)
        return asyncio.get_running_loop().create_task(self.config_watcher.run(), name="config watcher")

    def _start_seed_watcher(self) -> None:
        """Watch the seed folders: a dropped file is scanned within a second or two. Where
        watching is impossible the periodic scan (``scan_interval``) still finds it."""
        from bot.settings.watcher import FolderWatcher

        folders = [source.folder for source in self.file_sources]
        if not folders:
            return
        self.seed_watcher = FolderWatcher(folders, self.seed_scan)
        task = asyncio.get_running_loop().create_task(
            self.seed_watcher.run(), name="seed folder watcher"
        )
        self._watch_tasks.add(task)
        task.add_done_callback(self._watch_tasks.discard)

    async def _cancel_jobs(self, timeout: float = 10.0) -> None:
        """Stop polls and deliveries still running, so none touches a closed client."""
        me = asyncio.current_task()
        drains = set(self.worker.running())
        jobs = [t for t in asyncio.all_tasks() if t is not me and t not in drains]
        for task in jobs:
            task.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)


def _minutes(delay: timedelta) -> str:
    minutes = delay.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delay.total_seconds():.0f} s"
