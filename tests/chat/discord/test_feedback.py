"""The buttons under a Discord alert, clicked as Discord sends them (INTERACTION_CREATE,
type 3) through discord.py and ``newsbot run``'s own wiring: counted once per person,
shown in place, a reason asked privately, forged ids refused, and ``/mute``."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.chat.conftest import dump_payload, story
from tests.chat.discord.test_run import run_bot, workdir
from tests.fakes.discord import ALERTS, DESK, EPHEMERAL, FakeDiscord

pytestmark = [pytest.mark.network, pytest.mark.timeout(240)]

BOB = "1100000000000000077"


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label -> custom_id of a message's buttons."""
    return {b["label"]: b["custom_id"] for row in message.get("components", [])
            for b in row.get("components", [])}


def button(message: dict[str, Any], suffix: str) -> str:
    found = [c for c in buttons(message).values() if c.endswith(suffix)]
    assert found, f"no button ending in {suffix}: {buttons(message)}"
    return found[0]


def callback(fake: FakeDiscord, interaction: str) -> dict[str, Any]:
    (call,) = fake.callbacks(interaction)
    body: dict[str, Any] = call.body
    return body


def test_clicks_are_counted_once_per_person_and_shown_on_the_alert(
    tmp_path: Path, fake: FakeDiscord, env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["all"])])

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: fake.messages(ALERTS), 90)
        before = fake.messages(ALERTS)[0]
        dump_payload("discord-before", before)
        assert list(buttons(before)) == ["👍 Useful", "Not relevant", "Mute this story here"]
        alert = before["id"]

        def labels() -> list[str]:
            return list(buttons(fake.messages_by_id[alert]))

        first, _ = fake.click(before, button(before, ":useful"))
        await fake.until(lambda: fake.callbacks(first))
        assert callback(fake, first)["type"] == 7  # UPDATE_MESSAGE: the alert, edited
        assert labels()[:2] == ["👍 Useful · 1", "Not relevant · 0"]

        # The same person changes their answer: moved, not counted twice; a reason is asked.
        second, _ = fake.click(before, button(before, ":nr"))
        await fake.until(lambda: fake.callbacks(second))
        asked = callback(fake, second)
        assert asked["type"] == 4 and asked["data"]["flags"] & EPHEMERAL
        await fake.until(lambda: labels()[:2] == ["👍 Useful · 0", "Not relevant · 1"])
        question = next(m for m in fake.messages_by_id.values()
                        if m["flags"] & EPHEMERAL and "Wrong entity" in buttons(m))
        assert list(buttons(question)) == ["Wrong entity", "Off topic", "Duplicate", "Other"]

        why, _ = fake.click(question, button(question, ":nr-topic"))
        await fake.until(lambda: fake.callbacks(why))
        thanks = callback(fake, why)
        assert thanks["type"] == 7
        assert thanks["data"]["content"] == "Thanks: noted as not relevant (off topic)."

        third, _ = fake.click(before, button(before, ":useful"), user=BOB)
        await fake.until(lambda: fake.callbacks(third))
        assert labels()[:2] == ["👍 Useful · 1", "Not relevant · 1"]
        dump_payload("discord-after", fake.messages_by_id[alert])

        # Not one of ours, or an alert never posted here: a private refusal, nothing stored.
        forged, _ = fake.click(before, "nb:fb:v1:0123456789abcdef:useful")
        garbage, _ = fake.click(before, "ping:" + "x" * 95)
        await fake.until(lambda: fake.callbacks(forged) and fake.callbacks(garbage))
        for interaction in (forged, garbage):
            answer = callback(fake, interaction)
            assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
            assert "nothing was recorded" in answer["data"]["content"]

    run_bot(folder, fake, env, scenario)
    with closing(sqlite3.connect(folder / "newsbot.db")) as db:
        stored = sorted(db.execute("SELECT user_id, verdict, reason FROM feedback"))
    assert stored == [("1100000000000000004", "not_relevant", "topic"), (BOB, "useful", None)]


def test_mute_keeps_an_item_out_of_one_channel_only(
    tmp_path: Path, fake: FakeDiscord, env: pytest.MonkeyPatch
) -> None:
    folder = workdir(tmp_path, [(ALERTS, ["kursk"]), (DESK, ["kursk"])], seeds={})

    async def scenario(bot: Any) -> None:
        await fake.until(lambda: bot.adapters["discord"].connected, 60)
        muted, _ = fake.interact("mute", {"item": "kursk", "span": "2h"}, channel=DESK)
        await fake.until(lambda: fake.callbacks(muted))
        reply = callback(fake, muted)["data"]["content"]
        assert reply.startswith("Muted Kursk (kursk) in #kursk-desk for 2 hours")
        (folder / "seeds" / "wire-a.md").write_text(story("Wire A"), encoding="utf-8")
        await fake.until(lambda: fake.posts(ALERTS), 90)
        await fake.until(lambda: bot.store.outbox.delivery_counts() == {"sent": 1, "muted": 1})
        assert not fake.posts(DESK)

    run_bot(folder, fake, env, scenario)
