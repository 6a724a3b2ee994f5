"""A chat outage: Slack and Discord answer every post with 500 for a minute while news
keeps coming, then recover. Nothing is lost, nothing is marked failed, nothing doubles.

``newsbot run`` is a real process (``tests/botproc.py``); the fakes answer 500 the way
each platform's edge does (Discord's with ``Via``, which discord.py retries five times
itself before the bot's outbox backs off: 5 s, doubling, for up to 8 attempts).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import localserver
from tests.botproc import (
    DISCORD_ITEM_CHANNELS,
    SLACK_ADMIN,
    SLACK_ALERTS,
    BotHome,
    BotProcess,
    Newsroom,
    all_arrived,
    bot_settings,
    compare,
    expected_channels,
    received,
    wait_until,
)
from tests.fakes.discord import ADMIN, GUILD_ID, FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.newsgen import LANGUAGES, generate

pytestmark = [pytest.mark.longrun, pytest.mark.network, pytest.mark.timeout(900)]

OUTAGE = 60.0
RECOVERY_TIMEOUT = 240.0
"""After the outage ends: the last backoff before recovery may wait ~80 s (x1.2 jitter),
and a Discord attempt caught in discord.py's own retries takes ~25 s more."""


def test_a_minute_of_500s_loses_nothing(
    tmp_path: Path,
    wire_slack: FakeSlack,
    wire_discord: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stories = generate(200)[:40]
    before, during, after = stories[:8], stories[8:28], stories[28:]
    expected = expected_channels(stories)

    def arrived(subset: list[str]) -> bool:
        return all_arrived(expected, wire_slack, wire_discord, among=subset)

    with localserver.serve() as feed_server:
        home = BotHome(tmp_path / "bot")
        newsroom = Newsroom(home, feed_server, LANGUAGES)
        # A short burst window: digests fall due during the outage too, so both kinds of
        # message meet the 500s (with the default 2 min, a channel in a burst would sit
        # the whole outage out).
        settings = bot_settings(newsroom.urls, ADMIN, GUILD_ID)
        settings["bursts"] = {"max_alerts": 5, "window": "15s"}
        home.write_config(settings)
        bot = BotProcess(home, {**wire_slack.env(), **wire_discord.env()})
        try:
            started = time.monotonic()
            newsroom.seed(before)
            bot.start()
            bot.wait_running()
            wait_until(lambda: arrived([s.url for s in before]), 180, "the first alerts", bot, every=0.2)

            down_at = time.monotonic()
            slack_outage = wire_slack.outage(OUTAGE)
            discord_outage = wire_discord.outage(OUTAGE)
            for i in range(0, len(during), 4):  # news keeps coming while chat is down
                newsroom.seed(during[i : i + 4])
                time.sleep(10)
            wait_until(lambda: time.monotonic() >= down_at + OUTAGE, OUTAGE, "the outage's end")
            up_at = time.monotonic()
            *rest, last = after
            newsroom.seed(rest)
            wait_until(lambda: arrived([s.url for s in stories if s is not last]), RECOVERY_TIMEOUT,
                       "every alert after the outage", bot, every=0.2)
            recovered_at = time.monotonic()
            wait_until(lambda: not ({"pending", "sending"} & set(home.delivery_counts())),
                       60, "an empty outbox", bot, every=0.5)
            # A late duplicate (a retry posted twice, a file read again) would be queued
            # by a later scan or drain: one more file, delivered, means both ran after
            # everything; then the outbox empties once more before the bot stops.
            newsroom.seed([last])
            wait_until(lambda: arrived([s.url for s in stories]), 120, "the last file's alerts",
                       bot, every=0.2)
            wait_until(lambda: not ({"pending", "sending"} & set(home.delivery_counts())),
                       60, "an empty outbox again", bot, every=0.5)
            bot.stop()
        finally:
            if bot.alive:
                bot.kill()

    missing, doubled, stray = compare(expected, received(wire_slack, wire_discord))
    attempts = home.query("SELECT platform, max(attempts), sum(attempts) - count(*) FROM deliveries "
                          "GROUP BY platform")
    summary = [
        f"outage test: 40 stories, {len(during)} published during a {OUTAGE:.0f}s outage",
        f"  500s answered: slack {slack_outage.hits}, discord {discord_outage.hits}; "
        f"retries per platform (platform, most attempts, retries): {attempts}",
        f"  slack messages {len(wire_slack.messages(SLACK_ALERTS))}, discord messages "
        f"{sum(len(wire_discord.messages(c)) for c in DISCORD_ITEM_CHANNELS.values())}; "
        f"outbox {home.delivery_counts()}",
        f"  everything delivered {recovered_at - up_at:.0f}s after the outage ended "
        f"({recovered_at - started:.0f}s in all)",
    ]
    with capsys.disabled():  # shown even when the test passes: numbers to quote
        print("\n" + "\n".join(summary))
    failures = []
    if missing:
        failures.append(f"lost alerts: {missing}")
    if doubled:
        failures.append(f"posted twice: {doubled}")
    if stray:
        failures.append(f"posted where no route sends it: {stray}")
    if home.failed_deliveries():
        failures.append(f"deliveries marked failed: {home.failed_deliveries()}")
    if wire_slack.messages(SLACK_ADMIN) or wire_discord.messages(ADMIN):
        failures.append("the admin channels were told of failed deliveries")
    if not (slack_outage.hits and discord_outage.hits):
        failures.append("the outage was never noticed: nothing was posted during it")
    if failures:
        pytest.fail("\n".join(summary + failures) + "\n" + bot.tail(25), pytrace=False)
