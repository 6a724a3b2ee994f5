"""The clock of the bot: one poll job per feed, the seed-folder scan and the delivery tick.

APScheduler's AsyncIOScheduler runs the jobs on the bot's own event loop; each job is
single-instance and coalescing, so a slow feed never piles up overlapping polls.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.store import utcnow

if TYPE_CHECKING:
    from bot.app import NewsBot

DELIVERY_TICK = timedelta(seconds=2)


def build_scheduler(bot: NewsBot) -> AsyncIOScheduler:
    from bot.app import startup_delay

    scheduler = AsyncIOScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    )
    now = utcnow()
    scheduler.add_job(
        bot.scan_seeds,
        "interval",
        seconds=bot.settings.scan_interval.total_seconds(),
        next_run_time=now,
        id="seeds",
        name="scan seed folders",
    )
    feeds = bot.settings.feeds
    for i, feed in enumerate(feeds):
        interval = feed.interval.total_seconds()
        scheduler.add_job(
            bot.poll_feed,
            "interval",
            args=[feed],
            seconds=interval,
            jitter=min(30.0, interval / 10),
            next_run_time=now + startup_delay(i, len(feeds)),
            id=f"feed:{feed.url}",
            name=f"poll {feed.name or feed.url}",
        )
    scheduler.add_job(
        bot.deliver,
        "interval",
        seconds=DELIVERY_TICK.total_seconds(),
        next_run_time=now,
        id="deliver",
        name="deliver outbox",
    )
    return scheduler
