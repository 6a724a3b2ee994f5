"""Crash safety: ``newsbot run`` SIGKILLed three times while 200 alerts flow to Slack and
Discord, then run to completion. Every alert arrives; Discord gets each exactly once,
Slack at most once (and, nothing lost, at least once).

The kill points are drawn at random (seed printed; ``KILL_TEST_SEED=<n>`` repeats a run),
one of each kind, in random order:

- **post**: the fake records the k-th post (Slack or Discord) and the bot dies before the
  answer reaches it: the post exists, the outbox still says "in flight". The window the
  Discord nonce and the Slack history check are for.
- **ingest**: after the bot recorded j of a batch of new articles' alerts, the rest still
  being matched.
- **between**: a short random moment after the k-th post, while later ones wait their turn.

Stories (``tests/newsgen.py``) arrive progressively, as seed files and as seven RSS feeds,
so the kills fall at different stages.
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

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
    kill_now,
    received,
    urls_in,
    wait_until,
)
from tests.fakes.discord import ADMIN, GUILD_ID, FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.newsgen import LANGUAGES, Story, generate

pytestmark = [pytest.mark.longrun, pytest.mark.network, pytest.mark.timeout(1500)]

KINDS = ("post", "ingest", "between")
FINAL_TIMEOUT = 600.0
"""Seconds the last run gets to deliver everything (no bursts: ~400 paced posts)."""


def posts_so_far(slack: FakeSlack, discord: FakeDiscord) -> int:
    return len(slack.messages(SLACK_ALERTS)) + sum(
        len(discord.messages(c)) for c in DISCORD_ITEM_CHANNELS.values()
    )


def test_three_sigkills_lose_no_alert_and_double_none(
    tmp_path: Path,
    wire_slack: FakeSlack,
    wire_discord: FakeDiscord,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed = int(os.environ.get("KILL_TEST_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    kinds = rng.sample(KINDS, len(KINDS))
    started = time.monotonic()
    stories = generate(200)
    expected = expected_channels(stories)
    by_feed = [s for s in stories if s.index % 4 == 0]  # 50 through RSS
    by_file = [s for s in stories if s.index % 4 != 0]  # 150 as seed files
    file_batches = [by_file[:20], by_file[20:45], by_file[45:70], by_file[70:95], by_file[95:]]
    kills: list[str] = []

    with localserver.serve() as feed_server:
        home = BotHome(tmp_path / "bot")
        newsroom = Newsroom(home, feed_server, LANGUAGES)
        home.write_config(bot_settings(newsroom.urls, ADMIN, GUILD_ID))
        bot = BotProcess(home, {**wire_slack.env(), **wire_discord.env()})

        def context() -> str:
            return (f"seed {seed} (KILL_TEST_SEED={seed} repeats it); kinds {kinds}; "
                    f"kills: {kills}")

        try:
            newsroom.feed(by_feed[:25])
            newsroom.seed(file_batches[0])
            bot.start()
            bot.wait_running()
            for number, (kind, batch) in enumerate(zip(kinds, file_batches[1:4], strict=True)):
                t0 = time.monotonic()
                if kind == "post":
                    what = _kill_at_post(bot, rng, wire_slack, wire_discord, newsroom, batch)
                elif kind == "ingest":
                    what = _kill_mid_ingest(bot, rng, home, newsroom, batch)
                else:
                    what = _kill_between_posts(bot, rng, wire_slack, wire_discord, newsroom, batch)
                kills.append(f"{number + 1}: {what} at {time.monotonic() - started:.0f}s "
                             f"(run {bot.runs}, {time.monotonic() - t0:.1f}s into the phase)")
                assert not bot.alive
                bot.start()
                bot.wait_running()

            final_at = time.monotonic()
            newsroom.feed(by_feed[25:])
            *rest, last = file_batches[4]
            newsroom.seed(rest[:30])
            time.sleep(3)  # two scans' worth of files, not one
            newsroom.seed(rest[30:])
            others = [s.url for s in stories if s is not last]
            wait_until(lambda: all_arrived(expected, wire_slack, wire_discord, among=others),
                       FINAL_TIMEOUT, f"every alert in every channel ({context()})", bot, every=0.5)
            delivered_at = time.monotonic()
            wait_until(lambda: not ({"pending", "sending"} & set(home.delivery_counts())),
                       120, "an empty outbox", bot, every=0.5)
            # A late duplicate (a file read again, a post repeated) would be queued by a
            # later scan: one more file, delivered, means a scan and a drain ran after
            # everything; then the outbox empties once more before the bot stops.
            newsroom.seed([last])
            assert len(newsroom.published) == len(stories)
            # FINAL_TIMEOUT: the channels are in a burst, so it comes in the next digest.
            wait_until(lambda: all_arrived(expected, wire_slack, wire_discord),
                       FINAL_TIMEOUT, f"the last file's alerts ({context()})", bot, every=0.5)
            wait_until(lambda: not ({"pending", "sending"} & set(home.delivery_counts())),
                       120, "an empty outbox again", bot, every=0.5)
            bot.stop()
        finally:
            wire_slack.on_post(None)
            wire_discord.on_post(None)
            if bot.alive:
                bot.kill()

    got = received(wire_slack, wire_discord)
    missing, doubled, stray = compare(expected, got)
    slack_posts = wire_slack.received("chat.postMessage", channel=SLACK_ALERTS)
    discord_posts = [
        r for c in DISCORD_ITEM_CHANNELS.values() for r in wire_discord.received("POST", rf"/channels/{c}/messages")
    ]
    summary = [
        f"crash test: {context()}",
        f"  stories 200 (50 by RSS, 150 as files); runs {bot.runs}; exit codes {bot.exit_codes}",
        f"  slack: {len(wire_slack.messages(SLACK_ALERTS))} messages from {len(slack_posts)} "
        f"chat.postMessage calls, {len(wire_slack.received('conversations.history'))} "
        f"conversations.history calls; duplicates {sum(len(v) for k, v in doubled.items() if k == SLACK_ALERTS)}",
        f"  discord: {sum(len(wire_discord.messages(c)) for c in DISCORD_ITEM_CHANNELS.values())} "
        f"messages from {len(discord_posts)} creates, {len(wire_discord.nonce_replays)} answered "
        f"by nonce with the earlier message; duplicates "
        f"{sum(len(v) for k, v in doubled.items() if k != SLACK_ALERTS)}",
        f"  missing {sum(map(len, missing.values()))}, stray {sum(map(len, stray.values()))}; "
        f"outbox {home.delivery_counts()}",
        f"  time: {time.monotonic() - started:.0f}s in all; the last run delivered everything "
        f"{delivered_at - final_at:.0f}s after the last stories were published",
    ]
    with capsys.disabled():  # shown even when the test passes: numbers to quote
        print("\n" + "\n".join(summary))
    failures = []
    if missing:
        failures.append(f"lost alerts (URL never arrived): {missing}")
    if {k: v for k, v in doubled.items() if k != SLACK_ALERTS}:
        failures.append(f"Discord posted twice: { {k: v for k, v in doubled.items() if k != SLACK_ALERTS} }")
    if SLACK_ALERTS in doubled:
        failures.append(f"Slack posted twice: {doubled[SLACK_ALERTS]}")
    if stray:
        failures.append(f"posted where no route sends it: {stray}")
    if home.failed_deliveries():
        failures.append(f"deliveries marked failed: {home.failed_deliveries()}")
    if wire_slack.messages(SLACK_ADMIN) or wire_discord.messages(ADMIN):
        failures.append("the admin channels were told of failures")
    if failures:
        pytest.fail("\n".join(summary + failures) + "\n" + bot.tail(25), pytrace=False)


def _kill_at_post(
    bot: BotProcess, rng: random.Random, slack: FakeSlack, discord: FakeDiscord,
    newsroom: Newsroom, batch: list[Story],
) -> str:
    """SIGKILL from inside the fake, after it stored the k-th post and before it answers."""
    platform = os.environ.get("KILL_TEST_POST_PLATFORM") or rng.choice(["slack", "discord"])
    # A phase brings 25 alerts, and bursts may hold every one of them for digests (20 a
    # message on Slack, 8 on Discord, over five channels): the k-th post must come for sure.
    k = rng.randint(1, 2 if platform == "slack" else 4)
    fired = threading.Event()
    seen: dict[str, Any] = {"count": 0}
    pid = bot.pid

    def hook(channel: str, message: dict[str, Any]) -> None:
        seen["count"] += 1
        if seen["count"] == k and not fired.is_set():
            kill_now(pid)
            seen.update(channel=channel, urls=sorted(urls_in(message)))
            fired.set()

    fake: Any = slack if platform == "slack" else discord
    fake.on_post(hook)
    try:
        newsroom.seed(batch)
        wait_until(lambda: fired.is_set() or not bot.alive, 300, f"post {k} on {platform}", bot)
        # The hook sets the flag just after the process died: wait for it, not 0.2 s.
        assert fired.wait(30), f"the bot exited before post {k} on {platform}\n{bot.tail()}"
    finally:
        fake.on_post(None)
    bot.kill()
    return f"post: {platform} post {k} of the phase stored, not answered ({seen.get('channel')} {seen.get('urls')})"


def _kill_mid_ingest(
    bot: BotProcess, rng: random.Random, home: BotHome, newsroom: Newsroom, batch: list[Story]
) -> str:
    """SIGKILL once j of the batch's alerts are in the database and the rest are not."""
    j = rng.randint(1, min(12, len(batch) - 1))
    base = home.alert_count()
    newsroom.seed(batch)
    wait_until(lambda: home.alert_count() >= base + j, 300, f"{j} new alerts recorded", bot, every=0.005)
    bot.kill()
    done = home.alert_count() - base
    return f"ingest: after {done} of {len(batch)} new articles were recorded as alerts (aimed at {j})"


def _kill_between_posts(
    bot: BotProcess, rng: random.Random, slack: FakeSlack, discord: FakeDiscord,
    newsroom: Newsroom, batch: list[Story],
) -> str:
    """SIGKILL a random moment after the k-th post of the phase, deliveries still queued."""
    k = rng.randint(2, 12)
    pause = rng.uniform(0.05, 0.8)
    base = posts_so_far(slack, discord)
    newsroom.seed(batch)
    wait_until(lambda: posts_so_far(slack, discord) >= base + k, 300, f"{k} posts", bot, every=0.01)
    time.sleep(pause)
    bot.kill()
    return f"between: {pause:.2f}s after post {k} of the phase ({posts_so_far(slack, discord) - base} by then)"
