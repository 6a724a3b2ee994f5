"""Ratings, mutes and job runs on both backends: one answer per person, channel and alert;
a mute holds back one channel's alerts at claim time and leaves every other channel's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.models import Alert, Article, Match, Target
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from bot.store.schema import DeliveryRow

NEWS = Target("slack", "C0NEWS")
DESK = Target("slack", "C0DESK")
KURSK = Match("kursk", "Kursk", "entity", 2, 0.9, ("Kursk",))
NK = Match("north-korea", "North Korea", "entity", 1, 0.8, ("Pyongyang",))


@pytest.fixture()
def store(db_url: str) -> Iterator[Repositories]:
    s = open_store(db_url)
    yield s
    s.close()


def alert(store: Repositories, n: int, matches: tuple[Match, ...] = (KURSK,),
          targets: tuple[Target, ...] = (NEWS, DESK)) -> str:
    a = Article("feed:wire", "Wire", f"g{n}", f"Shelling near Kursk, day {n}",
                f"Officials in the Kursk region reported shelling on day {n}.")
    al = Alert(f"a{n:015d}", a.title, "Wire", "en", matches, (), created_at=utcnow())
    assert store.articles.record(a, al, list(targets))
    return al.id


def post_all(store: Repositories) -> dict[Target, list[str]]:
    """Claim and mark sent what is due; which alert went where."""
    sent: dict[Target, list[str]] = {}
    for d in store.outbox.claim_due(["slack"]):
        store.outcomes.mark_sent(d.id, f"ts-{d.id}")
        sent.setdefault(d.target, []).append(d.alert.id)
    return sent


def test_a_second_answer_replaces_the_first_and_counts_stay_per_channel(store: Repositories) -> None:
    aid = alert(store, 1)
    post_all(store)
    fb = store.feedback
    assert fb.rate(aid, NEWS, "U1", "useful")
    assert not fb.rate(aid, NEWS, "U1", "useful")  # the same again: nothing changes
    assert fb.rate(aid, NEWS, "U1", "not_relevant", "entity")
    assert fb.rate(aid, NEWS, "U2", "useful")
    assert fb.rate(aid, DESK, "U1", "useful")
    assert (fb.tally(aid, NEWS).useful, fb.tally(aid, NEWS).not_relevant) == (1, 1)
    assert (fb.tally(aid, DESK).useful, fb.tally(aid, DESK).not_relevant) == (1, 0)
    assert sorted((r.channel, r.user, r.verdict, r.reason) for r in fb.ratings()) == [
        ("C0DESK", "U1", "useful", None),
        ("C0NEWS", "U1", "not_relevant", "entity"),
        ("C0NEWS", "U2", "useful", None),
    ]
    with pytest.raises(ValueError):
        fb.rate(aid, NEWS, "U3", "delete everything")


def test_racing_first_clicks_of_one_person_store_one_answer(store: Repositories) -> None:
    aid = alert(store, 1)
    post_all(store)
    start = threading.Barrier(8)

    def click(verdict: str) -> None:
        start.wait()
        store.feedback.rate(aid, NEWS, "U1", verdict)

    threads = [threading.Thread(target=click, args=("useful" if i % 2 else "not_relevant",))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    tally = store.feedback.tally(aid, NEWS)
    assert tally.useful + tally.not_relevant == 1


def test_a_click_is_only_about_an_alert_posted_in_that_channel(store: Repositories) -> None:
    aid = alert(store, 1, targets=(NEWS,))
    post_all(store)
    posted = store.feedback.posted(aid, NEWS)
    assert posted is not None and posted.message_id is not None
    assert posted.alert.title == "Shelling near Kursk, day 1"
    assert store.feedback.posted(aid, DESK) is None
    assert store.feedback.posted("0123456789abcdef", NEWS) is None


def test_an_item_muted_in_one_channel_is_not_posted_there_and_is_elsewhere(
    store: Repositories,
) -> None:
    store.feedback.mute(NEWS, "item", "kursk", utcnow() + timedelta(hours=2), "U1")
    kursk = alert(store, 1)
    other = alert(store, 2, matches=(NK,))
    sent = post_all(store)
    assert sent[DESK] == [kursk, other]
    assert sent[NEWS] == [other]
    with store.db.session() as s:
        muted = s.query(DeliveryRow).filter(DeliveryRow.status == "muted").one()
        assert (muted.channel, muted.alert_id) == ("C0NEWS", kursk)
        assert muted.last_error == "muted in this channel: kursk"
    assert store.outbox.outbox_pending() == 0


def test_a_mute_runs_out_and_unmute_ends_it(store: Repositories) -> None:
    store.feedback.mute(NEWS, "item", "kursk", utcnow() - timedelta(seconds=1))
    assert store.feedback.mutes(NEWS) == []
    first = alert(store, 1)
    assert post_all(store)[NEWS] == [first]
    store.feedback.mute(NEWS, "item", "kursk", utcnow() + timedelta(hours=1))
    store.feedback.mute(NEWS, "item", "kursk", utcnow() + timedelta(hours=3))  # moved, not doubled
    assert len(store.feedback.mutes(NEWS)) == 1
    assert store.feedback.unmute(NEWS, "item", "kursk")
    assert not store.feedback.unmute(NEWS, "item", "kursk")
    second = alert(store, 2)
    assert post_all(store)[NEWS] == [second]


def test_a_muted_story_gets_no_edits_in_that_channel_only(store: Repositories) -> None:
    aid = alert(store, 1)
    post_all(store)
    store.feedback.mute(NEWS, "story", aid, None, "U1")
    later = Article("feed:other", "Other Outlet", "o1", "Shelling near Kursk, day 1",
                    "Officials in the Kursk region reported shelling, another outlet says.")
    assert store.articles.join_story(later, aid) is not None
    edits = store.outbox.claim_due(["slack"])
    assert [(d.target, d.kind) for d in edits] == [(DESK, "update")]


def test_the_job_clock_survives_a_reopen(db_url: str) -> None:
    when = utcnow() - timedelta(days=3)
    s = open_store(db_url)
    assert s.feedback.last_run("weekly") is None
    s.feedback.ran("weekly", when)
    s.close()
    s = open_store(db_url)
    try:
        assert s.feedback.last_run("weekly") == when.replace(microsecond=when.microsecond)
    finally:
        s.close()
