"""The buttons under a Slack alert, clicked through the real slack-bolt: over Socket Mode and
signed HTTP, counted once per person, shown in place, a story muted in one channel only,
and ``/mute`` keeping an item out of one channel for a while."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.chat.conftest import Home, story
from tests.chat.conftest import dump_payload as dump
from tests.fakes.slack import BOT_TOKEN, FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(150)]

ROUTED = "C0ROUTED"
OTHER = "C0OTHER"
SECRET = "5d1e0c7a9b3f44c2a8e6f0b1c2d3e4f5"

def socket_mode(home: Home, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch,
                routes: list[dict[str, Any]] | None = None) -> Path:
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return home.write_config(routes or [{"platform": "slack", "channel": ROUTED, "items": ["all"]}])


def action(message: dict[str, Any], suffix: str) -> str:
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if str(element.get("action_id", "")).endswith(suffix):
                return str(element["action_id"])
    raise AssertionError(f"no button ending in {suffix} in {message.get('blocks')}")


def tally(message: dict[str, Any]) -> str | None:
    for block in message.get("blocks", []):
        if block.get("type") == "context":
            text = str(block["elements"][0].get("text", ""))
            if text.startswith("👍"):
                return text
    return None


def rows(home: Home, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(home.root / "data" / "newsbot.db", timeout=10)) as db:
        return list(db.execute(sql))


def updates(fake: FakeSlack, channel: str, ts: str) -> list[dict[str, Any]]:
    return [c.body for c in fake.received("chat.update", channel=channel, ts=ts) if c.ok]


def test_clicks_are_counted_once_per_person_and_shown_on_the_alert(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    start_bot(socket_mode(home, fake_slack, monkeypatch))
    fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert")
    fake_slack.wait_connected()
    before = fake_slack.messages(ROUTED)[0]
    dump("slack-before", before)
    labels = [e["text"]["text"] for b in before["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert labels[-3:] == ["👍 Useful", "Not relevant", "Mute this story here"]
    assert tally(before) is None
    ts = before["ts"]

    fake_slack.click(ROUTED, before, action(before, ":useful"), user_id="U0ALICE")
    fake_slack.wait_for(lambda: updates(fake_slack, ROUTED, ts), what="the counts")
    assert tally(fake_slack.messages(ROUTED)[0]) == "👍 1 · not relevant 0"

    # Alice changes her mind: her answer moves, it is not counted twice.
    sent = fake_slack.click(ROUTED, before, action(before, ":nr"), user_id="U0ALICE")
    fake_slack.wait_for(lambda: len(updates(fake_slack, ROUTED, ts)) >= 2, what="the new counts")
    assert tally(fake_slack.messages(ROUTED)[0]) == "👍 0 · not relevant 1"
    url = sent.payload["response_url"]
    question = fake_slack.wait_for(lambda: fake_slack.answers(url), what="the reason question")[0]
    assert question["response_type"] == "ephemeral" and question["replace_original"] is False
    reasons = [e["text"]["text"] for e in question["blocks"][1]["elements"]]
    assert reasons == ["Wrong entity", "Off topic", "Duplicate", "Other"]

    # The question is ephemeral: Slack sends no message with the click on its button.
    why = fake_slack.action_payload(ROUTED, question, action(question, ":nr-entity"),
                                    user_id="U0ALICE", ephemeral=True)
    fake_slack.interactive(why)
    thanks = fake_slack.wait_for(lambda: fake_slack.answers(why["response_url"]), what="thanks")[0]
    assert thanks["replace_original"] is True
    assert thanks["text"] == "Thanks: noted as not relevant (wrong entity)."

    fake_slack.click(ROUTED, before, action(before, ":useful"), user_id="U0BOB")
    fake_slack.wait_for(lambda: len(updates(fake_slack, ROUTED, ts)) >= 3, what="Bob's count")
    after = fake_slack.messages(ROUTED)[0]
    dump("slack-after", after)
    assert tally(after) == "👍 1 · not relevant 1"
    assert after["blocks"][0] == before["blocks"][0], "the alert itself is unchanged"
    assert sorted(rows(home, "SELECT user_id, verdict, reason FROM feedback")) == [
        ("U0ALICE", "not_relevant", "entity"), ("U0BOB", "useful", None),
    ]


def test_http_mode_takes_signed_clicks_and_refuses_a_bad_signature(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("NEWSBOT_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("NEWSBOT_SLACK_HTTP_HOST", "127.0.0.1")
    routes = [{"platform": "slack", "channel": ROUTED, "items": ["all"]}]
    bot = start_bot(home.write_config(routes, slack={"http_port": 0, "http_path": "/slack/events"}))
    fake_slack.wait_for(lambda: fake_slack.posts(ROUTED), what="the seed's alert")
    url = f"http://127.0.0.1:{bot.bot.adapters['slack'].http_bound_port}/slack/events"
    message = fake_slack.messages(ROUTED)[0]
    useful = action(message, ":useful")

    forged = fake_slack.action_payload(ROUTED, message, useful, user_id="U0MALLORY")
    assert fake_slack.post_signed(url, forged, "not-the-secret") == 401
    good = fake_slack.action_payload(ROUTED, message, useful, user_id="U0ALICE")
    assert fake_slack.post_signed(url, good, SECRET) == 200
    fake_slack.wait_for(lambda: updates(fake_slack, ROUTED, message["ts"]), what="the counts")
    assert tally(fake_slack.messages(ROUTED)[0]) == "👍 1 · not relevant 0"
    assert rows(home, "SELECT user_id FROM feedback") == [("U0ALICE",)]


def test_a_muted_story_is_not_edited_in_that_channel_but_still_in_another(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    routes = [{"platform": "slack", "channel": c, "items": ["kursk"]} for c in (ROUTED, OTHER)]
    start_bot(socket_mode(home, fake_slack, monkeypatch, routes))
    fake_slack.wait_connected()
    home.add_seed("wire-a.md", story("Wire A"))
    title = "Kursk governor orders evacuation"

    def story_post(channel: str) -> dict[str, Any] | None:
        found = [m for m in fake_slack.messages(channel) if title in m["blocks"][0]["text"]["text"]]
        return found[0] if found else None

    here = fake_slack.wait_for(lambda: story_post(ROUTED), what="the story in #routed")
    there = fake_slack.wait_for(lambda: story_post(OTHER), what="the story in #other")
    sent = fake_slack.click(ROUTED, here, action(here, ":mute"), user_id="U0ALICE")
    answer = fake_slack.wait_for(lambda: fake_slack.answers(sent.payload["response_url"]),
                                 what="the mute's answer")[0]
    assert answer["text"].startswith("Muted this story in #news")

    fake_slack.click(OTHER, there, action(there, ":useful"), user_id="U0BOB", channel_name="other")
    fake_slack.wait_for(lambda: updates(fake_slack, OTHER, there["ts"]), what="the counts in #other")

    home.add_seed("outlet-b.md", story("Outlet B", "Outlet B's correspondent saw the buses leave."))
    fake_slack.wait_for(lambda: len(updates(fake_slack, OTHER, there["ts"])) >= 2,
                        what="the story's edit in #other")
    fake_slack.wait_for(home.outbox_settled, what="the outbox to settle")
    edited = story_post(OTHER)
    assert edited is not None and "Outlet B" in json.dumps(edited, ensure_ascii=False)
    assert tally(edited) == "👍 1 · not relevant 0", "the edit lost the counts"
    assert not updates(fake_slack, ROUTED, here["ts"]), "a muted story was edited"


def test_mute_keeps_an_item_out_of_one_channel_only(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    routes = [{"platform": "slack", "channel": c, "items": ["kursk"]} for c in (ROUTED, OTHER)]
    start_bot(socket_mode(home, fake_slack, monkeypatch, routes))
    fake_slack.wait_connected()
    fake_slack.wait_for(home.outbox_settled, what="the seed's alerts")
    seen_here = len(fake_slack.posts(ROUTED))

    sent = fake_slack.slash("/mute", "kursk for 2h", channel_id=ROUTED, channel_name="routed")
    reply = fake_slack.wait_for(lambda: fake_slack.answers(sent.payload["response_url"]),
                                what="the reply")[0]
    assert reply["text"].startswith("Muted Kursk (kursk) in #routed for 2 hours")

    home.add_seed("wire-a.md", story("Wire A"))
    fake_slack.wait_for(lambda: len(fake_slack.posts(OTHER)) > seen_here, what="#other's alert")
    fake_slack.wait_for(home.outbox_settled, what="the outbox to settle")
    assert len(fake_slack.posts(ROUTED)) == seen_here, "a muted item was posted"
    assert rows(home, "SELECT channel, status FROM deliveries WHERE status = 'muted'") == [
        (ROUTED, "muted")
    ]

    sent = fake_slack.slash("/unmute", "kursk", channel_id=ROUTED, channel_name="routed")
    reply = fake_slack.wait_for(lambda: fake_slack.answers(sent.payload["response_url"]),
                                what="the reply")[0]
    assert reply["text"] == "Unmuted Kursk (kursk) in #routed: its alerts are posted here again."


def test_a_click_in_a_dm_is_about_the_alert_posted_to_that_user() -> None:
    """``/subscribe kursk dm`` posts to the user id; the click comes from the DM's id."""
    from bot.chat.slack.feedback import click_of

    body = {"user": {"id": "U0ALICE"}, "channel": {"id": "D024BE7F8", "name": "directmessage"},
            "container": {"message_ts": "1730000000.000100", "is_ephemeral": False}}
    click = click_of(body, {"action_id": "nb:fb:v1:0123456789abcdef:useful"}, False)
    assert (click.caller.channel, click.caller.user) == ("U0ALICE", "U0ALICE")
    assert click.message_id == "1730000000.000100"
    junk = click_of({"user": "U0ALICE", "channel": ["C1"], "container": 7}, {}, False)
    assert (junk.caller.channel, junk.caller.user, junk.button, junk.message_id) == ("", "", "", None)


def test_the_buttons_never_push_an_alert_past_fifty_blocks() -> None:
    from bot.chat.slack.blocks import MAX_BLOCKS
    from bot.chat.slack.feedback import with_feedback
    from bot.models import Alert, Feedback

    alert = Alert("0123456789abcdef", "Headline", "Wire", "en", (), (),
                  feedback=Feedback(useful=3, not_relevant=1))
    full = {"text": "x", "blocks": [{"type": "divider"}] * MAX_BLOCKS}
    blocks = with_feedback(full, alert)["blocks"]
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-2]["elements"][0]["text"] == "👍 3 · not relevant 1"
    assert [e["value"] for e in blocks[-1]["elements"]] == ["useful", "nr", "mute"]
