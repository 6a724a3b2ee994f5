"""Edits while the bot runs: the watchlist and newsbot.yaml changed on disk or by ``/watch``
in chat, judged by what a local Slack's admin channel and alert channel receive."""

from __future__ import annotations

import os
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.store.db import utcnow
from tests.chat.conftest import Home
from tests.fakes.slack import FakeSlack
from tests.localserver import FeedServer, rss
from tests.watching import watcher_saw

pytestmark = [pytest.mark.network, pytest.mark.timeout(180)]

ROUTED = "C0ROUTED"
ADMIN = "C0ADMIN"
ITEMS = Path(__file__).resolve().parents[2] / "config" / "watchlist.yaml"

VALDORA_DOC = """Valdora harbour reopens after the storm

The harbour of Valdora reopened on Monday after a week of repairs, the port authority said.
"Ships can dock again," a harbour master told reporters on the quay.
"""

VALDORA_AGAIN = """Valdora fishermen return to sea

Fishing boats left Valdora at dawn on Wednesday for the first time since the storm, the
harbour office said.
"""


def settings(home: Home, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, Any]:
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return {
        "watchlist": "config/watchlist.yaml",
        "seeds": ["seeds"],
        "scan_interval": "1h",  # edits must be noticed by the watcher, not the next scan
        "feeds": [],
        "routes": [{"platform": "slack", "channel": ROUTED, "items": ["all"]}],
        "admins": ["U0ALICE"],
        "slack": {"admin_channel": ADMIN},
        "ops": {"listen_port": 0},
        "console": {"listen_port": 0},
        **extra,
    }


def write_config(home: Home, values: dict[str, Any]) -> Path:
    replace(home.config, yaml.safe_dump(values, allow_unicode=True))
    return home.config


def replace(path: Path, text: str) -> None:
    """Save as most editors do: a temporary file renamed over the original."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def notices(fake: FakeSlack) -> list[str]:
    return [p["blocks"][0]["text"]["text"] for p in fake.posts(ADMIN)]


def wait_notice(fake: FakeSlack, count: int, what: str) -> str:
    found = fake.wait_for(lambda: len(notices(fake)) >= count and notices(fake), 30, what)
    return str(found[count - 1])


def headers(fake: FakeSlack) -> list[str]:
    return [p["blocks"][0]["text"]["text"] for p in fake.posts(ROUTED)]


def running(bot: Any, fake: FakeSlack) -> None:
    """The seed's alert is out and the file watcher is in place."""
    fake.wait_for(lambda: fake.posts(ROUTED), 60, "the seed's alert")
    fake.wait_for(
        lambda: bot.bot.live.watcher is not None and bot.bot.live.watcher.ready.is_set(),
        20,
        "the config watcher",
    )


def test_watchlist_edits_valid_then_invalid_then_valid_while_running(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    values = settings(home, fake_slack, monkeypatch)
    bot = start_bot(write_config(home, values))
    running(bot, fake_slack)
    watchlist = home.root / "config" / "watchlist.yaml"
    original = watchlist.read_text(encoding="utf-8")

    # A valid edit: a new item, and an alias more for kursk.
    edited = original.replace("      en: [Kursk*]\n", "      en: [Kursk*, Kurskaya oblast]\n", 1)
    edited += "\n  - id: valdora\n    name: Valdora\n    aliases:\n      en: [Valdora]\n"
    replace(watchlist, edited)
    notice = wait_notice(fake_slack, 1, "the watchlist announcement")
    assert notice.startswith(":warning: newsbot: watchlist updated (6 items):")
    assert "• added valdora (Valdora)" in notice
    assert "• kursk: aliases added en: Kurskaya oblast" in notice

    # Matching follows the new list: the seed scan is the config's business, so make it
    # frequent (a live change of newsbot.yaml too), then drop in a document that only the
    # new item matches.
    write_config(home, {**values, "scan_interval": "1s"})
    assert "scan_interval: 1h → 1s" in wait_notice(fake_slack, 2, "the config announcement")
    home.add_seed("valdora.txt", VALDORA_DOC)
    fake_slack.wait_for(
        lambda: any("Valdora harbour reopens" in h for h in headers(fake_slack)), 30, "the new item's alert"
    )

    # An invalid edit is refused with file:line, and the last good list keeps matching.
    broken = edited.replace("    name: Valdora\n", "    name: Valdora\n    colour: blue\n")
    replace(watchlist, broken)
    refused = wait_notice(fake_slack, 3, "the refusal")
    line = broken.splitlines().index("    colour: blue") + 1
    assert "watchlist edit refused; the last good version keeps running." in refused
    assert f"{watchlist}:{line}: items[5].colour: unknown field" in refused
    home.add_seed("valdora-2.txt", VALDORA_AGAIN)
    fake_slack.wait_for(
        lambda: any("Valdora fishermen" in h for h in headers(fake_slack)), 30, "an alert by the last good list"
    )

    # A touch that changes nothing says nothing; a later valid edit is picked up.
    os.utime(watchlist)
    fake_slack.wait_for(lambda: watcher_saw(bot.bot.live.watcher, watchlist), 30, "the touch seen")
    assert len(notices(fake_slack)) == 3
    replace(watchlist, original)
    notice = wait_notice(fake_slack, 4, "the announcement of the fix")
    assert "• removed valdora (Valdora)" in notice
    assert "• kursk: aliases removed en: Kurskaya oblast" in notice
    fake_slack.wait_for(lambda: watcher_saw(bot.bot.live.watcher, watchlist), 30, "the fix seen")
    assert len(notices(fake_slack)) == 4
    assert bot.bot.watchlist.get("valdora") is None


def test_a_feed_added_to_the_config_is_polled_without_a_restart(
    home: Home,
    fake_slack: FakeSlack,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    start_bot: Any,
) -> None:
    values = settings(home, fake_slack, monkeypatch)
    bot = start_bot(write_config(home, values))
    running(bot, fake_slack)
    feed_server.static(
        "/wire.xml",
        rss(
            [
                {
                    "title": "Kursk: shelling reported overnight",
                    "link": "http://wire.example/kursk-1",
                    "guid": "kursk-1",
                    "description": "Officials in the Kursk region said drones struck two villages.",
                    "pubDate": format_datetime(utcnow()),
                }
            ]
        ),
    )
    url = feed_server.url("/wire.xml")

    # An invalid edit first: refused, named by line, nothing applied.
    replace(home.config, home.config.read_text() + "feeds_typo: []\n")
    refused = wait_notice(fake_slack, 1, "the refusal")
    line = len(home.config.read_text().splitlines())
    assert "config edit refused; the running settings are kept." in refused
    assert f"{home.config}:{line}: feeds_typo: unknown field 'feeds_typo'" in refused

    # Then a valid one: a new feed, a new admin, and a port that needs a restart.
    feeds = [{"url": url, "name": "Local Wire", "interval": "30s"}]
    write_config(home, {**values, "feeds": feeds, "admins": ["U0ALICE", "U0BOB"],
                        "slack": {"admin_channel": ADMIN, "http_port": 3999}})
    notice = wait_notice(fake_slack, 2, "the config announcement")
    assert f"• feeds added: Local Wire ({url})" in notice
    assert "• admins added: U0BOB" in notice
    assert "• slack.http_port: 3000 → 3999 needs a restart" in notice
    fake_slack.wait_for(lambda: feed_server.requests, 30, "a poll of the new feed")
    fake_slack.wait_for(
        lambda: any("Kursk: shelling reported" in h for h in headers(fake_slack)), 30, "the feed's alert"
    )
    assert bot.bot.settings.slack.http_port == 3000  # the running value
    assert bot.bot.settings.admins == ["U0ALICE", "U0BOB"]

    # Removed again: announced, and the scheduler lets it go.
    write_config(home, {**values, "slack": {"admin_channel": ADMIN, "http_port": 3999}})
    assert f"• feeds removed: Local Wire ({url})" in wait_notice(fake_slack, 3, "the removal")
    fake_slack.wait_for(lambda: url not in bot.bot.feed_scheduler._feeds, 10, "the feed dropped")


def reply_to(fake: FakeSlack, sent: Any) -> dict[str, Any]:
    url = sent.payload["response_url"]
    calls = fake.wait_for(
        lambda: [c for c in fake.received("response_url") if c.body["_url"] == url], 30, "the reply"
    )
    body: dict[str, Any] = calls[0].body
    assert body["response_type"] == "ephemeral"
    return body


def test_watch_add_and_remove_from_slack(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    bot = start_bot(write_config(home, settings(home, fake_slack, monkeypatch)))
    running(bot, fake_slack)
    fake_slack.wait_connected()
    watchlist = home.root / "config" / "watchlist.yaml"
    original = watchlist.read_text(encoding="utf-8")

    # Not an admin: a polite private no, and nothing changes.
    denied = reply_to(fake_slack, fake_slack.slash("/watch", "remove kursk", user_id="U0BOB"))
    assert "only the bot's admins can change the watchlist" in denied["text"]
    assert "U0BOB" in denied["text"]
    assert watchlist.read_text(encoding="utf-8") == original

    added = reply_to(
        fake_slack,
        # Slack escapes & < > in what users type, as in messages.
        fake_slack.slash("/watch", 'add valdora "Valdora harbour" Valdora, Valdora &amp; Sons, fr:"port de Valdora"'),
    )
    assert added["text"] == (
        "Added Valdora harbour (valdora) to the watchlist, aliases any: Valdora, Valdora &amp; Sons; "
        "fr: port de Valdora. Channels can /subscribe valdora now."
    )
    text = watchlist.read_text(encoding="utf-8")
    assert text.startswith(original)  # every comment and item as it was
    assert text[len(original):] == (
        "\n  - id: valdora\n    name: Valdora harbour\n    aliases:\n"
        "      any: [Valdora, Valdora & Sons]\n      fr: [port de Valdora]\n"
    )
    notice = wait_notice(fake_slack, 1, "the announcement")
    assert "watchlist updated by slack:U0ALICE (/watch)" in notice
    assert "• added valdora (Valdora harbour)" in notice
    assert bot.bot.watchlist.get("valdora") is not None

    # An item a channel subscribes to may go, and the admin is told who still names it.
    reply_to(fake_slack, fake_slack.slash("/subscribe", "kursk", channel_id="C0NEWS"))
    removed = reply_to(fake_slack, fake_slack.slash("/watch", "remove kursk"))
    assert removed["text"].startswith("Removed Kursk (kursk) from the watchlist. Note: ")
    assert "1 subscription (slack C0NEWS)" in removed["text"]
    assert "• removed kursk (Kursk)" in wait_notice(fake_slack, 2, "the removal")
    assert "id: kursk" not in watchlist.read_text(encoding="utf-8")
    assert "# A topic: counts in a sentence" in watchlist.read_text(encoding="utf-8")

    # Refused edits leave the file alone.
    dup = reply_to(fake_slack, fake_slack.slash("/watch", 'add russia "Russia again" Russland'))
    assert "already watched" in dup["text"]
    bad = reply_to(fake_slack, fake_slack.slash("/watch", 'add x-y "X" **oops'))
    assert "'*' may only" in bad["text"]
    # The watcher saw the /watch writes too: still one notice each.
    fake_slack.wait_for(lambda: watcher_saw(bot.bot.live.watcher, watchlist), 30, "the writes seen")
    assert len(notices(fake_slack)) == 2
