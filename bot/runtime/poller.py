"""Feed polling: one poll of one feed (fetch, full texts, matching, the feed's health and
next due time), and the items a WebSub hub pushes, which take the same path."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import httpx

from bot.ingest.pipeline import IngestReport
from bot.models import Article
from bot.runtime.dbcall import DbCall
from bot.runtime.metrics import Metrics
from bot.runtime.scheduler import poll_delay
from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.sources.fulltext import fetch_page_text, wants_full_text, with_full_text
from bot.sources.http import make_client, trust_of
from bot.sources.limits import FetchLimiter
from bot.sources.netguard import Trust
from bot.sources.poll import FeedResult, fetch_feed
from bot.sources.websub import WebSub
from bot.store.articles import ArticleRepository
from bot.store.db import utcnow
from bot.store.feeds import FeedRepository, FeedState
from bot.store.outage import DatabaseOutage
from bot.text import display_url

log = logging.getLogger(__name__)

Ingest = Callable[[list[Article], datetime | None], Awaitable[IngestReport]]
"""Matches and records a batch: (articles, alert only items published after)."""


class PollHost(Protocol):
    """What a poll reads of the running bot: the settings now, and the watchlist reload
    (a thousand polls due together read the file once)."""

    @property
    def settings(self) -> Settings: ...

    async def reload_watchlist_if_changed(self, at_most_every: float = 0.0) -> bool: ...


class FeedPoller:
    """Polls feeds and takes WebSub pushes; owns the HTTP client and the fetch limits."""

    def __init__(
        self,
        live: PollHost,
        feeds: FeedRepository,
        *,
        articles: ArticleRepository,
        db: DbCall,
        ingest: Ingest,
        notify: Callable[[str], Awaitable[None]],
        metrics: Metrics,
        outage: DatabaseOutage,
    ) -> None:
        self.live = live
        self.feeds = feeds
        """Each feed's health, validators and due time."""
        self.articles = articles
        """What was seen before (full texts are fetched only for new items)."""
        self.db = db
        self.ingest = ingest
        self.notify = notify
        self.metrics = metrics
        self.outage = outage
        settings = live.settings
        self.limiter = FetchLimiter(settings.max_fetches, settings.max_fetches_per_host)
        self._client: httpx.AsyncClient | None = None
        self.next_poll: dict[str, datetime] = {}
        """When each feed is due next (the feed scheduler reads it after every poll)."""
        self.websub: WebSub | None = None
        """The WebSub subscriber when configured (it pushes into :meth:`ingest_push`)."""

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = make_client(self.live.settings)
        return self._client

    def settings_changed(self, old: Settings, new: Settings) -> None:
        """Rewire what reads the settings once: the fetch limits, the user agent, the
        due times of feeds no longer configured."""
        if (old.max_fetches, old.max_fetches_per_host) != (new.max_fetches, new.max_fetches_per_host):
            self.limiter = FetchLimiter(new.max_fetches, new.max_fetches_per_host)
        if old.user_agent != new.user_agent and self._client is not None:
            self._client.headers["User-Agent"] = new.user_agent
        for url in {f.url for f in old.feeds} - {f.url for f in new.feeds}:
            self.next_poll.pop(url, None)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def fetch_page(self, url: str) -> tuple[str | None, str | None]:
        """``(text, error)`` of an article page someone asked for by URL (the web console's
        Try page): fetched like a feed's article link, with the same caps and vetted
        redirects, and no origin trusted, so never from a private address."""
        settings = self.live.settings
        async with self.limiter.slot(url):
            return await fetch_page_text(
                self.client, url, trust=Trust(None),
                max_bytes=settings.max_feed_bytes, timeout=settings.fetch_timeout.total_seconds(),
            )

    async def poll_all(self) -> list[IngestReport | BaseException | None]:
        """One poll of every configured feed, as concurrent as the fetch limits allow;
        one feed's failure (or bug) never stops the others."""
        return list(
            await asyncio.gather(
                *(self.poll_feed(f) for f in self.live.settings.feeds), return_exceptions=True
            )
        )

    async def poll_feed(self, feed: FeedConfig) -> IngestReport | None:
        """One poll of one feed; any failure is recorded on the feed and logged in one line.

        Records the feed's health and when it is due next: its interval (longer while a
        WebSub hub pushes it), backoff while it fails, the publisher's Retry-After.
        """
        await self.live.reload_watchlist_if_changed(at_most_every=5.0)
        settings = self.live.settings
        state = await self.db(self.feeds.feed_state, feed.url)
        if state is not None and state.paused_at is not None:
            log.debug("feed %s: paused, not polled", feed.label)
            return IngestReport()  # paused in the web console: no poll, not a failure
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
                max_bytes=settings.max_feed_bytes,
                timeout=settings.fetch_timeout.total_seconds(),
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
            await self.notify(f"newsbot: feed {label} is back after {failures} failed polls.")
        first_poll = not (state and state.first_poll_done)
        report = IngestReport()
        if result.status == "ok":
            cutoff = polled_at - feed.backfill if first_poll else None
            articles = list(result.articles)
            if feed.full_text:
                articles = await self._full_texts(feed, articles, cutoff)
            report = await self.ingest(articles, cutoff)
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
        await self.db(self.feeds.update_feed, feed.url, **updates)
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
            return max(feed.interval, self.live.settings.websub.poll_interval)
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
        settings = self.live.settings
        delay = poll_delay(
            self._interval(feed),
            failures,
            backoff_max=settings.feed_backoff_max,
            retry_after=result.retry_after,
        )
        next_at = utcnow() + delay
        self.next_poll[feed.url] = next_at
        line = f"feed {label}: {result.error} (retrying in {_minutes(delay)})"
        if failures == 1 or (state and state.last_error != result.error):
            log.warning(line)
        else:
            log.info(line)
        notify = failures >= settings.feed_failures_notice and not (
            state and state.down_notified
        )
        await self.db(
            self.feeds.update_feed,
            feed.url,
            last_polled_at=polled_at,
            last_error=result.error,
            consecutive_failures=failures,
            next_poll_at=next_at,
            down_notified=notify or bool(state and state.down_notified),
        )
        if notify:
            await self.notify(
                f"newsbot: feed {label} is failing ({failures} polls in a row): "
                f"{result.error}. Next try in {_minutes(delay)}; you will hear when it is back."
            )

    async def _full_texts(
        self, feed: FeedConfig, articles: list[Article], cutoff: datetime | None
    ) -> list[Article]:
        """New teaser items with the text of the page they link to (``full_text: true``).

        Only items that will be matched: not seen before, and not first-poll backlog.
        """
        fresh = {id(a) for a in await self.db(self.articles.filter_new, articles)}
        trust = trust_of(feed)
        settings = self.live.settings

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
                    max_bytes=settings.max_feed_bytes,
                    timeout=settings.fetch_timeout.total_seconds(),
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
            "recording a WebSub push", partial(self.ingest, articles, None)
        )
        if report.new:
            state = await self.db(self.feeds.feed_state, feed.url)
            seen = (state.items_seen if state else 0) + report.new
            await self.db(self.feeds.update_feed, feed.url, items_seen=seen)
            log.info("feed %s (pushed): %d new items, %d alerts", feed.label,
                     report.new, report.alerted)
        return report


def _minutes(delay: timedelta) -> str:
    minutes = delay.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{delay.total_seconds():.0f} s"
