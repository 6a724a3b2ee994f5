"""A follow-up reply survives a SIGKILL at the worst moment: ``newsbot run`` is killed the
instant Slack (then Discord) stored its reply in an alert's thread, before the answer
reached the bot. Restarted, it finds the reply in the thread (Slack ``conversations.replies``;
Discord the thread's history, or the nonce) and never posts it twice; the other platform's
reply, cut off with it, arrives once too."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.botproc import BotHome, BotProcess, kill_now, outbox_settled, wait_until
from tests.delivery.test_threads import SIGN_OFFS
from tests.fakes.discord import ALERTS, GUILD_ID, FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.ingest.test_stories import WIRE_BODY, WIRE_TITLE

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.timeout(400)]

SLACK_NEWS = "C0ALERTS"


def wire_copy(n: int) -> str:
    """Outlet ``n``'s copy of the wire story as a seed file naming its outlet."""
    return (
        f'---\ntitle: "{WIRE_TITLE}"\nurl: "https://outlet{n}.example/world/nk-shells"\n'
        f'language: en\nsource: "Outlet {n}"\n---\n\n{WIRE_BODY}{SIGN_OFFS[n % 3]}\n'
    )


def settings() -> dict[str, Any]:
    route = {"items": ["north-korea"], "followups": "thread"}
    return {
        "watchlist": "config/watchlist.yaml",
        "seeds": ["seeds"],
        "scan_interval": "1s",
        "feeds": [],
        "routes": [
            {"platform": "slack", "channel": SLACK_NEWS, **route},
            {"platform": "discord", "channel": ALERTS, **route},
        ],
        "discord": {"guild_ids": [int(GUILD_ID)]},
    }


def test_a_kill_mid_reply_never_doubles_the_reply(
    tmp_path: Path, wire_slack: FakeSlack, wire_discord: FakeDiscord
) -> None:
    home = BotHome(tmp_path / "bot")
    home.write_config(settings())
    bot = BotProcess(home, {**wire_slack.env(), **wire_discord.env()})

    def slack_replies() -> list[dict[str, Any]]:
        posts = wire_slack.messages(SLACK_NEWS)
        return wire_slack.replies(SLACK_NEWS, posts[0]["ts"]) if posts else []

    def discord_replies() -> list[dict[str, Any]]:
        posts = wire_discord.messages(ALERTS)
        return wire_discord.messages(posts[0]["id"]) if posts else []

    def settled() -> bool:
        return outbox_settled(home.db_path)

    def kill_at_reply(fake: Any, is_reply: Any, n: int) -> None:
        """Publish outlet ``n``'s copy; SIGKILL the bot when ``fake`` stores its reply."""
        fired = threading.Event()
        pid = bot.pid

        def hook(channel: str, message: dict[str, Any]) -> None:
            if is_reply(channel, message) and not fired.is_set():
                kill_now(pid)
                fired.set()

        fake.on_post(hook)
        try:
            home.add_seed(f"outlet{n}.md", wire_copy(n))
            wait_until(lambda: fired.is_set() or not bot.alive, 120, f"outlet {n}'s reply", bot)
            assert fired.wait(30), f"the bot exited before the reply\n{bot.tail()}"
        finally:
            fake.on_post(None)
        bot.kill()

    try:
        home.add_seed("outlet0.md", wire_copy(0))
        bot.start()
        bot.wait_running()
        wait_until(lambda: wire_slack.messages(SLACK_NEWS) and wire_discord.messages(ALERTS)
                   and settled(), 120, "the alert on both platforms", bot)

        kill_at_reply(wire_slack, lambda _c, m: bool(m.get("thread_ts")), 1)
        bot.start()
        wait_until(lambda: len(slack_replies()) >= 1 and len(discord_replies()) >= 1
                   and settled(), 120, "outlet 1's replies after the restart", bot)

        alert_id = wire_discord.messages(ALERTS)[0]["id"]
        kill_at_reply(wire_discord, lambda c, _m: c == alert_id, 2)
        bot.start()
        wait_until(lambda: len(slack_replies()) >= 2 and len(discord_replies()) >= 2
                   and settled(), 120, "outlet 2's replies after the restart", bot)
        bot.stop()
    finally:
        if bot.alive:
            bot.kill()

    expected = ["Also carried by Outlet 1", "Also carried by Outlet 2"]
    assert [r["text"] for r in slack_replies()] == expected, bot.tail()
    assert [r["content"].split(":")[0] for r in discord_replies()] == expected, bot.tail()
    assert len(wire_slack.messages(SLACK_NEWS)) == len(wire_discord.messages(ALERTS)) == 1
    assert wire_slack.received("conversations.replies"), "the restart looked in the thread"
    assert len(wire_discord.threads) == 1
    assert not home.failed_deliveries()
    for run in (2, 3):  # each restart found the reply the killed run had posted
        log = bot.logs[run - 1].read_text(errors="replace")
        assert "already has the reply" in log, bot.tail()
