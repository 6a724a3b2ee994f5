"""Block Kit rendering: Slack's limits hold for any input, and feed text never pings anyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.chat.slack.blocks import (
    HEADER_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    alert_payload,
    digest_payload,
    escape,
    fit,
    notice_payload,
    reply_text,
    safe_url,
)
from bot.models import Alert, Digest, Match, Quote

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0BOSS>", "<#C0SECRET>", "<https://x.example|y>")


def make_alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "id": "a1",
        "title": "Pyongyang sends shells to Moscow",
        "source_name": "Wire",
        "language": "en",
        "matches": (
            Match("north-korea", "North Korea", "entity", 3, 5.0, ("Pyongyang",), in_title=True),
        ),
        "quotes": (Quote("We will stand together", "Kim Example"),),
        "url": "https://wire.example/a?x=1&y=2",
        "published": datetime(2024, 11, 1, 9, 30, tzinfo=UTC),
    }
    fields.update(changes)
    return Alert(**fields)


def texts(payload: dict[str, Any]) -> list[str]:
    """Every text Slack would render from the payload, with its limit."""
    out = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element["text"] if isinstance(element["text"], str) else element["text"]["text"])
    return out


def assert_within_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= HEADER_MAX
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= SECTION_MAX
    assert 0 < len(payload["text"]) <= 3000


def test_the_alert_has_header_context_why_quotes_and_a_button() -> None:
    payload = alert_payload(make_alert())
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "context", "section", "section", "actions"]
    assert payload["blocks"][0]["text"]["text"] == "Pyongyang sends shells to Moscow"
    assert payload["blocks"][1]["elements"][0]["text"] == "🇬🇧 en · Wire · 2024-11-01 09:30"
    assert "North Korea ×3 in title" in payload["blocks"][2]["text"]["text"]
    assert payload["blocks"][3]["text"]["text"] == ">“We will stand together”\n>— _Kim Example_"
    button = payload["blocks"][4]["elements"][0]
    assert button["url"] == "https://wire.example/a?x=1&y=2"
    assert payload["text"] == "North Korea: Pyongyang sends shells to Moscow"
    assert payload["metadata"] == {"event_type": "newsbot_alert", "event_payload": {"alert_id": "a1"}}


@pytest.mark.parametrize("ping", PINGS)
def test_article_text_cannot_ping_link_or_mention(ping: str) -> None:
    alert = make_alert(
        title=f"Title {ping} & more",
        source_name=f"Source {ping}",
        matches=(Match("x", f"Item {ping}", "entity", 1, 1.0, (f"form {ping}",)),),
        quotes=(Quote(f"quote {ping}", f"Speaker {ping}"),),
        also_in=(f"Other {ping}",),
    )
    for payload in (alert_payload(alert), digest_payload(Digest(f"Brief {ping}", (alert,)))):
        raw = json.dumps(payload, ensure_ascii=False)
        assert ping not in raw
        assert escape(ping) in raw
    assert ping not in json.dumps(notice_payload(f"could not deliver {ping}"))
    assert ping not in reply_text(f"Unknown watch item '{ping}'.", ok=False)


def test_escaping_is_done_once() -> None:
    payload = alert_payload(make_alert(title="AT&T <b>"))
    assert payload["blocks"][0]["text"]["text"] == "AT&amp;T &lt;b&gt;"


def test_huge_titles_quotes_and_match_lists_stay_within_block_kit_limits() -> None:
    word = "Koursk&<> "
    alert = make_alert(
        title=word * 500,
        source_name="S" * 5000,
        matches=tuple(
            Match(f"m{i}", f"Item {i} " * 20, "entity", i, 1.0, tuple(f"{word}{j}" * 30 for j in range(5)))
            for i in range(200)
        ),
        quotes=tuple(Quote(word * 2000, "Speaker " * 100) for _ in range(10)),
    )
    payload = alert_payload(alert)
    assert_within_limits(payload)
    assert sum(b["text"]["text"].startswith(">") for b in payload["blocks"] if b["type"] == "section") == 3
    header = payload["blocks"][0]["text"]["text"]
    assert header.endswith("…") and "&amp;" in header
    for text in texts(payload):  # never cut inside an entity
        assert not any(text.endswith(cut) for cut in ("&", "&a", "&am", "&amp", "&l", "&lt", "&g"))


def test_a_digest_of_many_alerts_stays_under_fifty_blocks_and_says_what_it_left_out() -> None:
    alerts = tuple(make_alert(id=str(i), title=f"Story {i} " + "x" * 400) for i in range(80))
    payload = digest_payload(Digest("Brief: all watch items, last 24 h", alerts))
    assert_within_limits(payload)
    assert len(payload["blocks"]) == MAX_BLOCKS
    shown = sum(1 for b in payload["blocks"] if b["type"] == "section")
    assert payload["blocks"][-1]["elements"][0]["text"] == f"… and {80 - shown} more not shown."
    assert "*<https://wire.example/a?x=1&amp;y=2|Story 0" in payload["blocks"][2]["text"]["text"]


def test_an_empty_digest_says_what_was_asked() -> None:
    since = datetime(2024, 11, 1, tzinfo=UTC)
    payload = digest_payload(Digest("Brief: Kursk", (), since=since, item_id="kursk"))
    assert payload["blocks"][1]["text"]["text"].startswith("No alerts for kursk in the last")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://wire.example/a", True),
        ("http://wire.example/a?b=1&c=2", True),
        ("javascript:alert(1)", False),
        ("slack://channel?id=C1", False),
        ("https://", False),
        ("https://wire.example/a b", False),
        ("https://wire.example/a>|<!channel>", False),
        ("https://wire.example/" + "a" * 3000, False),
        (None, False),
    ],
)
def test_only_plain_web_links_become_buttons(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok
    kinds = [b["type"] for b in alert_payload(make_alert(url=url))["blocks"]]
    assert ("actions" in kinds) is ok


def test_fit_counts_the_escaped_length() -> None:
    assert fit("<" * 100, 20) == "&lt;" * 4 + "…"
    assert len(fit("a&b " * 100, 50)) <= 50
