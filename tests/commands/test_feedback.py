"""Button ids, ``/mute`` arguments, the flood limit, clicks against a real store, and the
weekly note's wording."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.core import Caller, CommandError
from bot.commands.feedback import (
    Click,
    FeedbackCommands,
    RateLimit,
    button_id,
    mute_span,
    parse_button,
    parse_mute_args,
    weekly_note,
)
from bot.models import Alert, Article, Match, Target
from bot.nlp.watchlist import Watchlist, load_watchlist
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store

ROOT = Path(__file__).resolve().parents[2]
AID = "4f1c2a9be07d3356"
NEWS = Target("slack", "C0NEWS")


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist(ROOT / "config" / "watchlist.yaml")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Repositories]:
    s = open_store(f"sqlite:///{tmp_path / 'newsbot.db'}")
    yield s
    s.close()


def posted(store: Repositories, matches: tuple[Match, ...], n: int = 1) -> str:
    article = Article("feed:wire", "Wire", f"g{n}", f"Story {n} about Kursk", "Text.")
    alert = Alert(f"{n:016x}", article.title, "Wire", "en", matches, (), created_at=utcnow())
    assert store.articles.record(article, alert, [NEWS])
    for d in store.outbox.claim_due(["slack"]):
        store.outcomes.mark_sent(d.id, "1730000000.000100")
    return alert.id


def caller(user: str = "U1", manages: bool = False) -> Caller:
    return Caller("slack", "C0NEWS", user, "#news", user, can_manage_channel=manages)


def test_button_ids_round_trip_and_anything_else_is_refused() -> None:
    for action in ("useful", "nr", "mute", "nr-entity", "nr-topic", "nr-duplicate", "nr-other"):
        assert parse_button(button_id(AID, action)) == (AID, action)
    assert len(button_id("f" * 64, "nr-duplicate")) <= 100  # Discord's custom_id limit
    for forged in (
        f"nb:fb:v2:{AID}:useful", f"nb:fb:v1:{AID}:delete", f"nb:fb:v1:{AID.upper()}:useful",
        f"nb:fb:v1:{AID}:useful:x", f"nb:fb:v1:{AID}", "nb:fb:v1::useful", "", None, 42,
        ["nb:fb:v1"], f"nb:fb:v1:{AID}:useful" + " " * 100, f"nb:fb:v1:{AID}:useful\n",
    ):
        assert parse_button(forged) is None, forged
    with pytest.raises(ValueError):
        button_id(AID, "delete")


def test_mute_arguments() -> None:
    assert parse_mute_args("kursk for 2h") == ("kursk", "2h")
    assert parse_mute_args("north korea 3d") == ("north korea", "3d")
    assert parse_mute_args("kursk") == ("kursk", None)
    assert parse_mute_args("") == ("", None)
    assert mute_span(None) == timedelta(hours=24)
    assert mute_span("90d") == timedelta(days=30)  # capped
    for bad in ("soon", "0h", "-2h"):
        with pytest.raises(CommandError):
            mute_span(bad)


def test_the_flood_limit_is_per_person_and_slides() -> None:
    now = [0.0]
    limit = RateLimit(limit=3, window=60, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(5)] == [True, True, True, False, False]
    assert limit.allow("b")
    assert limit.first_refusal("a") and not limit.first_refusal("a")
    now[0] = 61
    assert limit.allow("a")


def test_clicks_against_the_store(store: Repositories, watchlist: Watchlist) -> None:
    kursk = watchlist.get("kursk")
    assert kursk is not None
    aid = posted(store, (Match("kursk", "Kursk", "entity", 1, 0.9, ("Kursk",)),))
    fb = FeedbackCommands(store.feedback, lambda: watchlist)

    def click(button: str, user: str = "U1", message: str | None = "1730000000.000100",
              manages: bool = False) -> object:
        return asyncio.run(fb.click(Click(caller(user, manages), button, message)))

    early = click(button_id(aid, "nr-topic"), message=None)  # a reason with no question asked
    assert not early.ok and store.feedback.ratings() == []  # type: ignore[attr-defined]
    bare = click(button_id(aid, "useful"), message=None)  # not on the posted message
    assert not bare.ok and store.feedback.ratings() == []  # type: ignore[attr-defined]
    useful = click(button_id(aid, "useful"))
    assert useful.alert.feedback.useful == 1 and useful.text is None  # type: ignore[attr-defined]
    against = click(button_id(aid, "nr"))
    assert against.ask_reason == aid and against.alert.feedback.useful == 0  # type: ignore[attr-defined]
    why = click(button_id(aid, "nr-duplicate"), message=None)
    assert why.text == "Thanks: noted as not relevant (duplicate)."  # type: ignore[attr-defined]
    click(button_id(aid, "nr"))  # "not relevant" again keeps the reason given
    assert [r.reason for r in store.feedback.ratings()] == ["duplicate"]

    stale = click(button_id(aid, "useful"), user="U2", message="1111.2222")
    assert not stale.ok and "nothing was recorded" in stale.text  # type: ignore[attr-defined]
    refused = click(button_id(aid, "mute"), user="U2")
    assert not refused.ok and "Only people who can manage #news" in refused.text  # type: ignore[attr-defined]
    assert store.feedback.mutes(NEWS) == []
    muted = click(button_id(aid, "mute"), user="U3", manages=True)
    assert muted.text.startswith("Muted this story in #news")  # type: ignore[attr-defined]
    assert [(m.kind, m.key) for m in store.feedback.mutes(NEWS)] == [("story", aid)]
    assert len(store.feedback.ratings()) == 1


def test_mute_needs_the_right_to_change_the_channel(store: Repositories, watchlist: Watchlist) -> None:
    fb = FeedbackCommands(store.feedback, lambda: watchlist, admins=lambda: ["slack:U9"])
    with pytest.raises(CommandError, match="Only people who can manage"):
        asyncio.run(fb.mute(caller("U1"), "kursk", "2h"))
    reply = asyncio.run(fb.mute(caller("U9"), "Kursk", "2h"))
    assert reply.text.startswith("Muted Kursk (kursk) in #news for 2 hours (until ")
    with pytest.raises(CommandError, match="Unknown watch item"):
        asyncio.run(fb.mute(caller("U9"), "kursc"))
    assert asyncio.run(fb.unmute(caller("U9"), "kursk")).ok
    assert not asyncio.run(fb.unmute(caller("U9"), "kursk")).ok


def test_the_weekly_note_names_items_and_the_terms_behind_not_relevant(
    store: Repositories, watchlist: Watchlist,
) -> None:
    kursk = Match("kursk", "Kursk", "entity", 1, 0.9, ("Kursk",))
    russia = Match("russia", "Russia", "entity", 1, 0.7, ("Moscow", "Kremlin"))
    ids = [posted(store, (kursk,), 1), posted(store, (kursk, russia), 2),
           posted(store, (russia,), 3)]
    fb = store.feedback
    fb.rate(ids[0], NEWS, "U1", "not_relevant", "topic")
    fb.rate(ids[1], NEWS, "U1", "not_relevant", "entity")
    fb.rate(ids[1], NEWS, "U2", "not_relevant")
    fb.rate(ids[2], NEWS, "U1", "useful")
    note = weekly_note(fb.ratings(), watchlist)
    assert note is not None
    lines = note.splitlines()
    assert lines[0] == "Feedback this week: 1 useful, 3 not relevant (on 3 alerts)."
    assert lines[2] == '• Kursk (kursk): 3 clicks, matched on "Kursk" ×3 (reasons: topic 1, entity 1)'
    assert lines[3] == '• Russia (russia): 2 clicks, matched on "Moscow" ×2, "Kremlin" ×2 (reasons: entity 1)'
    assert weekly_note([], watchlist) is None


def test_a_click_before_the_posts_id_is_recorded_counts(
    store: Repositories, watchlist: Watchlist
) -> None:
    """The chat API's answer to the post and a reader's click race: the click counts."""
    article = Article("feed:wire", "Wire", "g-race", "Story about Kursk", "Text.")
    alert = Alert("00000000000000aa", article.title, "Wire", "en",
                  (Match("kursk", "Kursk", "entity", 1, 0.9, ("Kursk",)),), (), created_at=utcnow())
    assert store.articles.record(article, alert, [NEWS])
    (delivery,) = store.outbox.claim_due(["slack"])  # being posted: no message id yet
    fb = FeedbackCommands(store.feedback, lambda: watchlist)

    def click(message: str | None, user: str = "U1") -> object:
        return asyncio.run(fb.click(Click(caller(user), button_id(alert.id, "useful"), message)))

    assert not click(None).ok  # not on a message at all  # type: ignore[attr-defined]
    quick = click("1730000000.000200")
    assert quick.alert.feedback.useful == 1  # type: ignore[attr-defined]
    store.outcomes.mark_sent(delivery.id, "1730000000.000200")
    assert click("1730000000.000200", user="U2").alert.feedback.useful == 2  # type: ignore[attr-defined]
    stale = click("1730000000.000100", user="U3")  # another message, once the id is known
    assert not stale.ok and len(store.feedback.ratings()) == 2  # type: ignore[attr-defined]
