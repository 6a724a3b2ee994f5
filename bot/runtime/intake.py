"""What a source brought in, matched (spaCy) and recorded on a worker thread: the event
loop only waits on the network, so a long article never stalls the chat heartbeats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from bot.ingest.pipeline import IngestReport, ingest
from bot.models import Article
from bot.nlp.watchlist import Watchlist
from bot.runtime.metrics import Metrics
from bot.settings.model import Settings
from bot.store.articles import ArticleRepository
from bot.store.subscriptions import SubscriptionRepository

log = logging.getLogger(__name__)


class Matching(Protocol):
    """What matching reads at each batch: the running settings and watchlist."""

    @property
    def settings(self) -> Settings: ...

    @property
    def watchlist(self) -> Watchlist: ...


class Intake:
    """Matches and records what a source brought in, one batch at a time on its own
    thread; new alerts start a delivery at once."""

    def __init__(
        self,
        store: ArticleRepository,
        subscriptions: SubscriptionRepository,
        live: Matching,
        metrics: Metrics,
        kick: Callable[[], None],
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.live = live
        self.metrics = metrics
        self.kick = kick
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsbot-match")

    async def ingest(
        self, articles: list[Article], alert_published_after: datetime | None = None
    ) -> IngestReport:
        settings = self.live.settings
        job = partial(
            ingest,
            articles,
            store=self.store,
            subscriptions=self.subscriptions,
            watchlist=self.live.watchlist,
            routes=settings.routes,
            alert_published_after=alert_published_after,
            story_window=settings.story_window,
            keep_text=settings.retention > timedelta(0),
            followups=settings.followups,
        )
        report = await asyncio.get_running_loop().run_in_executor(self._cpu, job)
        self.metrics.ingested(report)
        if report.alerted or report.joined:
            self.kick()
        for alert in report.joined:
            log.info("alert %s: also carried by %s", alert.id, ", ".join(alert.also_in))
        return report

    async def close(self) -> None:
        """A document being matched finishes (its transaction commits or not, never half)."""
        await asyncio.to_thread(self._cpu.shutdown, True, cancel_futures=True)
