"""The one-way flow for a batch of fetched articles: seen? -> matcher -> alert -> outbox.

Synchronous on purpose: it is CPU work (spaCy) plus short database writes, and the app runs
it in a worker thread so chat heartbeats on the event loop never stall.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.alerts.build import build_alert
from bot.alerts.routing import followup_mode, route_targets, targets_for
from bot.ingest.stories import find_story, fingerprint
from bot.models import Alert, Analysis, Article
from bot.nlp import analyze
from bot.nlp.watchlist import Watchlist
from bot.settings.sections import FollowupMode, RouteConfig
from bot.store.articles import ArticleRepository
from bot.store.db import utcnow
from bot.store.subscriptions import SubscriptionRepository

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    fetched: int = 0
    new: int = 0
    alerted: int = 0
    matched: int = 0
    """New articles that matched enough to alert, whether as a new alert or a story's source."""
    queued: int = 0
    """Outbox rows written for new alerts (one per alert and target)."""
    match_seconds: list[float] = field(default_factory=list)
    """How long matching each new document took (for the latency histogram)."""
    results: list[tuple[Article, Analysis]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    joined: list[Alert] = field(default_factory=list)
    """Alerts that gained a source (a near-copy of their story from another outlet) or a
    watch item (the copy names one more)."""


def ingest(
    articles: Iterable[Article],
    *,
    store: ArticleRepository,
    subscriptions: SubscriptionRepository,
    watchlist: Watchlist,
    routes: Sequence[RouteConfig],
    alert_published_after: datetime | None = None,
    story_window: timedelta = timedelta(hours=48),
    keep_text: bool = True,
    followups: FollowupMode = "edit",
) -> IngestReport:
    """Match and record every article not seen before.

    ``alert_published_after`` is for a feed's first poll: older (or undated) items are
    recorded as seen, unmatched, so adding a feed neither floods channels with its backlog
    nor spends the matcher on items that could never alert.

    An article that would alert but is a near-copy (same SimHash story) of an alert from
    the last ``story_window`` joins that alert as one more source instead: one alert per
    story, edited in chat to list every outlet (or told in its thread: ``followups`` is
    the mode of channels whose route does not set one).

    ``keep_text``: store each new article's body for the retention window (``retention``
    in the config; 0 keeps none).
    """
    articles = list(articles)
    report = IngestReport(fetched=len(articles))
    fresh = store.filter_new(articles)
    if alert_published_after is not None:
        cutoff = alert_published_after
        backlog = [a for a in fresh if a.published is None or a.published < cutoff]
        if backlog:
            report.new += store.record_seen(backlog, filtered=True, keep_text=keep_text)
            fresh = [a for a in fresh if not (a.published is None or a.published < cutoff)]
    quiet: list[tuple[Article, Analysis | None]] = []
    for article in fresh:
        started = time.perf_counter()
        try:
            analysis = analyze(article.title, article.text, watchlist, article.language)
        except Exception:  # a bug on one odd document must not stop the stream
            log.exception("matching failed for %s; recorded as seen", article.location)
            quiet.append((article, None))
            continue
        finally:
            report.match_seconds.append(time.perf_counter() - started)
        if not analysis.alert:
            quiet.append((article, analysis))
            continue
        story = fingerprint(article.title, article.text)
        known = find_story(story, store.story_candidates(utcnow() - story_window))
        if known is not None:
            # A copy may name watch items the alert does not (a sentence added): the
            # channels of those items get the story's alert, queued with the join.
            targets_of = {m.id: targets_for([m.id], routes, subscriptions) for m in analysis.matches}
            joined = store.join_story(
                article, known, analysis.matches, targets_of,
                lambda target: followup_mode(target, routes, followups),
                keep_text=keep_text,
            )
            if joined is not None:
                report.new += 1
                report.matched += 1
                report.queued += joined.queued
                report.results.append((article, analysis))
                if joined.changed:
                    report.joined.append(joined.alert)
            continue
        alert = build_alert(article, analysis, created_at=utcnow())
        targets = route_targets(alert, routes, subscriptions)
        if store.record(article, alert, targets, fingerprint=story, keep_text=keep_text):
            report.new += 1
            report.results.append((article, analysis))
            report.alerted += 1
            report.matched += 1
            report.queued += len(set(targets))
            report.alerts.append(alert)
    if quiet:
        # Most articles match nothing: one transaction for all of them, not one each.
        report.new += store.record_seen(
            (a for a, _ in quiet), filtered=True, keep_text=keep_text
        )
        report.results += [(a, an) for a, an in quiet if an is not None]
    return report
