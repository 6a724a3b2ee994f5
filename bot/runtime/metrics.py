"""What the bot counts, for Prometheus (``/metrics``, served by :mod:`bot.runtime.ops`).

Each bot has a registry of its own rather than prometheus_client's global one, so two bots
in one process (tests do that) never add to each other's counters. Label values are
bounded by the config: a platform name, a feed's configured name (or its URL as
``display_url`` shows it: no credentials, no query), never an article URL or anything a
stranger chose.
"""

from __future__ import annotations

import platform as _platform
from importlib import metadata
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)

from bot.delivery.sender import Outcome

if TYPE_CHECKING:
    from bot.ingest.pipeline import IngestReport


POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
MATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def version() -> str:
    try:
        return metadata.version("newsbot")
    except metadata.PackageNotFoundError:
        return "unknown"


class Metrics:
    """The bot's counters, histograms and gauges, in a registry of their own."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.articles_seen = Counter(
            "newsbot_articles_seen", "New articles stored (not seen before)", registry=r
        )
        self.articles_matched = Counter(
            "newsbot_articles_matched",
            "New articles that matched the watchlist enough to alert (near-copies of a story "
            "included)",
            registry=r,
        )
        self.alerts_queued = Counter(
            "newsbot_alerts_queued",
            "Alert deliveries written to the outbox (one per alert and channel)",
            registry=r,
        )
        self.deliveries = {
            outcome: Counter(
                f"newsbot_deliveries_{outcome}", help_text, ["platform"], registry=r
            )
            for outcome, help_text in (
                ("delivered", "Deliveries the platform accepted (posts and edits)"),
                ("failed", "Deliveries given up on (a permanent error or the last retry)"),
                ("retried", "Delivery attempts deferred for a retry (errors and rate limits)"),
            )
        }
        self.feed_polls = Counter(
            "newsbot_feed_polls", "Feed polls, by feed (as named in the config)", ["feed"], registry=r
        )
        self.feed_errors = Counter(
            "newsbot_feed_errors", "Feed polls that failed, by feed", ["feed"], registry=r
        )
        self.poll_seconds = Histogram(
            "newsbot_feed_poll_seconds",
            "One feed fetch: request, redirects, body and parsing (not the wait for a slot)",
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.match_seconds = Histogram(
            "newsbot_match_seconds",
            "Matching one new document: language, prefilter, spaCy, quotes",
            buckets=MATCH_BUCKETS,
            registry=r,
        )
        self.outbox_pending = Gauge(
            "newsbot_outbox_pending",
            "Deliveries waiting in the outbox or in flight, read at scrape time",
            registry=r,
        )
        Info("newsbot_build", "newsbot and Python versions", registry=r).info(
            {"version": version(), "python": _platform.python_version()}
        )
        ProcessCollector(registry=r)

    def ingested(self, report: IngestReport) -> None:
        """One batch through the pipeline: what was new, what matched, what got queued."""
        self.articles_seen.inc(report.new)
        self.articles_matched.inc(report.matched)
        self.alerts_queued.inc(report.queued)
        for seconds in report.match_seconds:
            self.match_seconds.observe(seconds)

    def feed_polled(self, feed: str, seconds: float, ok: bool) -> None:
        self.feed_polls.labels(feed).inc()
        if not ok:
            self.feed_errors.labels(feed).inc()
        self.poll_seconds.observe(seconds)

    def delivery(self, platform: str, outcome: Outcome, alerts: int = 1) -> None:
        """Called by the delivery worker after each attempt, with how it ended, for the
        ``alerts`` it carried (a digest carries several)."""
        self.deliveries[outcome].labels(platform).inc(alerts)

    def render(self) -> bytes:
        """The Prometheus text exposition of everything above."""
        return generate_latest(self.registry)
