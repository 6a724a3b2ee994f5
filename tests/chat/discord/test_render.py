"""Discord message JSON: what an analyst sees, within Discord's limits, and never a ping."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.chat.discord.channels import alert_nonce
from bot.chat.discord.digest import digest_payload
from bot.chat.discord.render import (
    EMBED_TOTAL_MAX,
    PALETTE,
    alert_payload,
    colour_for,
    embed_length,
    text_payload,
    units,
)
from bot.models import Alert, Digest, Match, Quote
from tests.clirun import newsbot

ROOT = Path(__file__).resolve().parents[3]
SEED = "seeds/000_b5e3709a28e5c677.txt"
WHEN = datetime(2024, 11, 1, 9, 30, tzinfo=UTC)

# What a client would render as a ping: @everyone, @here, <@id>, <@!id>, <@&id>.
PING = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>", re.IGNORECASE)


def strings(obj: Any) -> Iterator[str]:
    """Every string in a JSON-like value, keys aside."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from strings(value)


def match(item_id: str = "kursk", name: str = "Kursk", evidence: tuple[str, ...] = ("Kursk",)) -> Match:
    return Match(item_id, name, "entity", 3, 5.0, evidence, spans=((0, 5),), in_title=True)


def alert(**changes: Any) -> Alert:
    base: dict[str, Any] = dict(
        id="a1b2c3d4e5f60718",
        title="Counter-attack reported near Kursk",
        source_name="Example Wire",
        language="en",
        matches=(match(),),
        quotes=(Quote("We are rebuilding what we can", "the governor"),),
        url="https://news.example/kursk",
        location="https://news.example/kursk",
        published=WHEN,
        lead="Fighting continued around the Kursk region.",
    )
    base.update(changes)
    return Alert(**base)


def test_payload_has_every_part_of_the_alert() -> None:
    payload = alert_payload(alert())
    (embed,) = payload["embeds"]
    assert embed["title"] == "Counter-attack reported near Kursk"
    assert embed["url"] == "https://news.example/kursk"
    assert embed["description"] == "Fighting continued around the Kursk region."
    assert embed["author"]["name"] == "Kursk"
    names = [f["name"] for f in embed["fields"]]
    assert names == ["Why", "the governor"]
    assert embed["fields"][0]["value"].startswith("Kursk ×3 in title")
    assert embed["fields"][1]["value"] == "“We are rebuilding what we can”"
    assert embed["footer"]["text"] == "en · Example Wire"
    assert embed["timestamp"] == "2024-11-01T09:30:00+00:00"
    assert embed["color"] == colour_for("kursk")
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["content"] == "Kursk: Counter-attack reported near Kursk"


def test_payload_survives_discord_py_unchanged() -> None:
    """What preview prints is what discord.py sends (it only adds embed flags 0)."""
    for a in (alert(), alert(published=None, url=None, quotes=())):
        for embed in alert_payload(a)["embeds"]:
            assert discord.Embed.from_dict(embed).to_dict() == {**embed, "flags": 0}


def test_title_links_only_to_web_urls() -> None:
    assert "url" not in alert_payload(alert(url="javascript:alert(1)"))["embeds"][0]
    assert "url" not in alert_payload(alert(url=None))["embeds"][0]
    assert alert_payload(alert(url="http://x.example/a"))["embeds"][0]["url"] == "http://x.example/a"


@pytest.mark.slow
def test_colour_is_per_watch_item_and_stable() -> None:
    kursk = alert_payload(alert())["embeds"][0]["color"]
    nk = alert_payload(alert(matches=(match("north-korea", "North Korea"), match())))["embeds"][0]
    assert kursk in PALETTE and nk["color"] in PALETTE
    assert kursk == alert_payload(alert(title="another story"))["embeds"][0]["color"]
    assert nk["color"] == colour_for("north-korea")
    # crc32, not hash(): the same in a fresh interpreter with another hash seed.
    code = "from bot.chat.discord.render import colour_for; print(colour_for('kursk'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT)},
    )
    assert int(out.stdout) == kursk


def test_limits_hold_for_absurd_input() -> None:
    huge = alert(
        title="T" * 1000,
        lead="L " * 5000,
        source_name="S" * 3000,
        location="/very/long/" + "p" * 3000,
        url="https://x.example/" + "u" * 100,
        matches=tuple(
            match(f"item-{i}", f"Item {i} " + "n" * 300, tuple(f"form{i}-{j}" * 20 for j in range(10)))
            for i in range(40)
        ),
        quotes=tuple(Quote("Q" * 3000, "Speaker " + "s" * 500) for _ in range(10)),
    )
    payload = alert_payload(huge)
    (embed,) = payload["embeds"]
    assert units(embed["title"]) <= 256
    assert units(embed.get("description", "")) <= 4096
    assert len(embed["fields"]) <= 25
    assert [f["name"] for f in embed["fields"]][0] == "Why"
    assert len(embed["fields"]) <= 4  # why + at most three quotes
    for field in embed["fields"]:
        assert units(field["name"]) <= 256
        assert units(field["value"]) <= 1024
    assert units(embed["footer"]["text"]) <= 2048
    assert units(embed["author"]["name"]) <= 256
    assert embed_length(embed) <= EMBED_TOTAL_MAX
    assert units(payload["content"]) <= 2000
    assert embed["fields"][0]["value"].endswith("more")  # says that lines were left out
    # discord.py counts the same way and agrees.
    assert len(discord.Embed.from_dict(embed)) <= EMBED_TOTAL_MAX


def test_limits_count_what_discord_counts_for_emoji() -> None:
    (embed,) = alert_payload(alert(title="🔥" * 300))["embeds"]
    assert units(embed["title"]) <= 256
    assert len(embed["title"].encode("utf-16-le")) // 2 <= 256


HOSTILE = "@everyone @here <@123456789012345678> <@!123456789012345678> <@&123456789012345678> @Here"


def test_article_text_can_never_ping() -> None:
    hostile = alert(
        title=f"{HOSTILE} breaking",
        lead=f"Lead {HOSTILE}",
        source_name=f"Wire {HOSTILE}",
        matches=(match(evidence=(f"Kursk {HOSTILE}",)),),
        quotes=(Quote(f"quote {HOSTILE}", f"speaker {HOSTILE}"),),
    )
    payload = alert_payload(hostile)
    assert payload["allowed_mentions"] == {"parse": []}
    texts = list(strings(payload))
    assert not [t for t in texts if PING.search(t)], texts
    # Neutralised, not deleted: a reader still sees what the article said.
    assert "everyone" in payload["embeds"][0]["title"]
    assert "123456789012345678" in payload["embeds"][0]["description"]


def test_article_text_cannot_hide_a_link_or_quote_block() -> None:
    (embed,) = alert_payload(alert(lead="[Read the full story](https://evil.example/x) now"))["embeds"]
    assert not re.search(r"(?<!\\)\[[^\]]+\]\(", embed["description"])


def test_digest_lists_alerts_within_limits() -> None:
    many = tuple(alert(title=f"Story {i} " + "x" * 150) for i in range(60))
    payload = digest_payload(Digest("Brief: Kursk, last 24 h", many, WHEN - timedelta(hours=24), "kursk"))
    (embed,) = payload["embeds"]
    assert embed["title"] == "Brief: Kursk, last 24 h · 60 alerts"
    assert units(embed["description"]) <= 4096
    assert "Story 0" in embed["description"]
    assert re.search(r"and \d+ more$", embed["description"])
    assert payload["allowed_mentions"] == {"parse": []}
    assert embed_length(embed) <= EMBED_TOTAL_MAX


def test_empty_digest_says_what_was_asked() -> None:
    payload = digest_payload(
        Digest("Brief: Kursk, last 24 h", (), datetime.now(UTC) - timedelta(hours=24), "kursk")
    )
    assert payload["embeds"][0]["description"] == "No alerts for kursk in the last 24 h."


def test_notice_neutralises_mentions_and_fits_in_a_message() -> None:
    short = text_payload(f'could not deliver the alert "{HOSTILE}"')
    assert not PING.search(short["content"])
    assert short["allowed_mentions"] == {"parse": []}
    long = text_payload("line\n" * 1000)
    assert units(long["content"]) <= 2000
    assert units(long["embeds"][0]["description"]) <= 4096


def test_nonce_is_stable_short_and_per_channel() -> None:
    a = alert()
    assert alert_nonce(a, "1") == alert_nonce(a, "1")
    assert alert_nonce(a, "1") != alert_nonce(a, "2")
    assert alert_nonce(a, "1") != alert_nonce(alert(id="ffffffffffffffff"), "1")
    assert len(alert_nonce(a, "1")) <= 25


def test_preview_prints_the_message_json_for_the_seed() -> None:
    out = newsbot("preview", "--discord", SEED, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    (embed,) = payload["embeds"]
    assert payload["allowed_mentions"] == {"parse": []}
    assert embed["title"].startswith("La Corée du Nord sera aux côtés de la Russie")
    speakers = [f["name"] for f in embed["fields"][1:]]
    assert "Choe Son Hui" in speakers and "Antony Blinken" in speakers
    quotes = {f["name"]: f["value"] for f in embed["fields"][1:]}
    assert "ces troupes se déployer" in quotes["Antony Blinken"]  # his statement, not a fragment
    assert "North Korea" in embed["author"]["name"]
    assert embed["fields"][0]["name"] == "Why" and "Corée du Nord" in embed["fields"][0]["value"]
    assert "seed file" in embed["footer"]["text"] and embed["footer"]["text"].startswith("fr")


def test_preview_shows_the_feedback_buttons_as_discord_py_sends_them() -> None:
    """The adapter posts the buttons as ``message_view`` of ``alert_message``; preview
    prints ``alert_message``: the two agree, and ``--no-buttons`` is the post-only post."""
    from bot.chat.discord.feedback import alert_message, message_view

    for a in (alert(), alert(id="ffffffffffffffff")):
        message = alert_message(a)
        view = message_view(message)
        assert view is not None and view.to_components() == message["components"]
        assert message_view(alert_message(a, with_buttons=False)) is None
    out = newsbot("preview", "--discord", SEED, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)["components"]
    assert [(b["label"], b["custom_id"].rsplit(":", 1)[1]) for b in row["components"]] == [
        ("👍 Useful", "useful"), ("Not relevant", "nr"), ("Mute this story here", "mute")]
    plain = newsbot("preview", "--discord", SEED, "--no-buttons", cwd=ROOT)
    assert plain.returncode == 0, plain.stderr
    assert "components" not in json.loads(plain.stdout)
