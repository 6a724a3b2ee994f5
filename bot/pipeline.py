"""The one-way flow for a batch of fetched articles: seen? -> matcher -> alert -> outbox.

Synchronous on purpose: it is CPU work (spaCy) plus short database writes, and the app runs
it in a worker thread so chat heartbeats on the event loop never stall.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.alerts import build_alert
from bot.models import Alert, Analysis, Article, Target
from bot.nlp import analyze
from bot.nlp.watchlist import Watchlist
from bot.settings import RouteConfig
from bot.store import Store, utcnow

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    fetched: int = 0
    new: int = 0
    alerted: int = 0
    results: list[tuple[Article, Analysis]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def route_targets(alert: Alert, routes: Sequence[RouteConfig], store: Store) -> list[Target]:
    """Every channel that should get this alert: configured routes plus chat subscriptions.

    Queued whether or not this process runs that platform's adapter right now (a
    ``scan --once --json``, a token missing for an hour): the outbox keeps the row until
    an adapter for it delivers it.
    """
    items = set(alert.item_ids)
    targets = [
        Target(route.platform, route.channel)
        for route in routes
        if "all" in route.items or items & set(route.items)
    ]
    targets += store.subscribed_targets(items)
    return list(dict.fromkeys(targets))


def ingest(
    articles: Iterable[Article],
    *,
    store: Store,
    watchlist: Watchlist,
    routes: Sequence[RouteConfig],
    alert_published_after: datetime | None = None,
) -> IngestReport:
    """Match and record every article not seen before.

    ``alert_published_after`` is for a feed's first poll: older (or undated) items are
    recorded as seen but not alerted, so adding a feed does not flood channels with its
    backlog.
    """
    articles = list(articles)
    report = IngestReport(fetched=len(articles))
    for article in store.filter_new(articles):
        backlog = alert_published_after is not None and (
            article.published is None or article.published < alert_published_after
        )
        try:
            analysis = analyze(article.title, article.text, watchlist, article.language)
        except Exception:  # a bug on one odd document must not stop the stream
            log.exception("matching failed for %s; recorded as seen", article.location)
            store.record(article, None)
            continue
        alert = None
        if analysis.alert and not backlog:
            alert = build_alert(article, analysis, created_at=utcnow())
        targets = route_targets(alert, routes, store) if alert else []
        if store.record(article, alert, targets):
            report.new += 1
            report.results.append((article, analysis))
            if alert is not None:
                report.alerted += 1
                report.alerts.append(alert)
    return report
