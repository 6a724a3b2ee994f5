"""A database outage under a running bot: for 30 s nobody can write the store while seed
files and feed items keep arriving for two platforms' channels (Slack: everything; Discord:
a channel per watch item). Afterwards every alert is delivered once, polling resumed by
itself, and ``/healthz`` said "degraded" during the outage and "ok" after.

The outage is SQLite's: another process holds the write lock (``BEGIN IMMEDIATE``) for
30 s, so every transaction of the bot (each begins IMMEDIATE) fails with "database is
locked" once its 5 s busy timeout runs out, as with a backup tool or a stuck ``scan --once``
holding the file. On PostgreSQL an outage also ends the chat platforms' advisory-lock
connections, and a bot that loses a platform's lock exits for its supervisor to restart
(``test_instances``); so the outage every loop must simply ride out is the SQLite one.
The loops' own handling is the same on both (``tests/runtime/test_db_outage.py`` runs it on both).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests import localserver
from tests.botproc import (
    SLACK_ADMIN,
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

pytestmark = [pytest.mark.longrun, pytest.mark.network, pytest.mark.timeout(600)]

OUTAGE = 30.0


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def publish(newsroom: Newsroom, stories: list[Any]) -> None:
    """Half as seed files, half as feed items."""
    newsroom.seed(stories[::2])
    newsroom.feed(stories[1::2])


def test_thirty_seconds_without_the_database_lose_and_double_nothing(
    tmp_path: Path,
    wire_slack: FakeSlack,
    wire_discord: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stories = generate(200)[:36]
    before, during, after = stories[:8], stories[8:28], stories[28:]
    expected = expected_channels(stories)

    def arrived(subset: list[Any]) -> bool:
        return all_arrived(expected, wire_slack, wire_discord, among=[s.url for s in subset])

    with localserver.serve() as feed_server:
        home = BotHome(tmp_path / "bot")
        newsroom = Newsroom(home, feed_server, LANGUAGES)
        settings = bot_settings(newsroom.urls, ADMIN, GUILD_ID)
        settings["ops"] = {"listen_port": 0}
        settings["console"] = {"listen_port": 0}
        # A short burst window (as in the chat outage test): the outage's alerts, all
        # recorded at once when it ends, go out as a digest within seconds, not minutes.
        settings["bursts"] = {"max_alerts": 5, "window": "15s"}
        home.write_config(settings)
        bot = BotProcess(home, {**wire_slack.env(), **wire_discord.env()})
        locker: sqlite3.Connection | None = None
        try:
            publish(newsroom, before)
            bot.start()
            bot.wait_running()
            port = int(wait_until(
                lambda: re.search(r"/healthz and /metrics on http://127\.0\.0\.1:(\d+)", bot.log()),
                60, "the ops port", bot,
            ).group(1))
            wait_until(lambda: arrived(before), 180, "the first alerts", bot, every=0.2)

            locker = sqlite3.connect(home.db_path, timeout=60, isolation_level=None)
            locker.execute("BEGIN IMMEDIATE")  # the database is away for the bot
            down_at = time.monotonic()
            for i in range(0, len(during), 4):  # news keeps coming meanwhile
                publish(newsroom, during[i : i + 4])
                time.sleep(OUTAGE / 6)
            code, body = wait_until(
                lambda: (h := healthz(port))[1].get("status") == "degraded" and h,
                OUTAGE, "/healthz to say degraded", bot, every=0.5,
            )
            wait_until(lambda: time.monotonic() >= down_at + OUTAGE, OUTAGE, "the outage's end")
            locker.rollback()
            locker.close()
            locker = None
            up_at = time.monotonic()
            wait_until(lambda: "database back after" in bot.log(), 60, "the bot to notice", bot,
                       every=0.05)
            noticed_at = time.monotonic()
            wait_until(lambda: arrived(during), 120, "the alerts of the outage", bot, every=0.1)
            during_at = time.monotonic()
            publish(newsroom, after)  # polling and scanning go on by themselves
            wait_until(lambda: arrived(stories), 120, "every alert", bot, every=0.2)
            wait_until(lambda: not ({"pending", "sending"} & set(home.delivery_counts())),
                       60, "an empty outbox", bot, every=0.5)
            after_code, after_body = healthz(port)
            bot.stop()
        finally:
            if locker is not None:
                locker.close()
            if bot.alive:
                bot.kill()

    log = bot.log()
    missing, doubled, stray = compare(expected, received(wire_slack, wire_discord))
    summary = [
        f"database outage test: {len(stories)} stories, {len(during)} published during a "
        f"{OUTAGE:.0f}s outage (half seed files, half feed items)",
        f"  the bot noticed the database was back {noticed_at - up_at:.1f}s after it was; "
        f"the outage's alerts were all delivered {during_at - up_at:.1f}s after it",
        f"  during the outage /healthz said {code} {body.get('problems')}",
        f"  outbox {home.delivery_counts()}",
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
    if code != 503:
        failures.append(f"/healthz answered {code} during the outage")
    if after_code != 200:
        failures.append(f"/healthz answered {after_code} {after_body} after the outage")
    if log.count("database unavailable") != 1 or log.count("database back after") != 1:
        failures.append("the outage was not logged once (start and end)")
    if "Traceback" in log:
        failures.append("a traceback in the log")
    if failures:
        pytest.fail("\n".join(summary + failures) + "\n" + bot.tail(25), pytrace=False)
