"""``newsbot feedback export DIR`` writes what the team rated as a labelled set, and
``newsbot eval DIR`` reads and scores it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.models import Alert, Article, Match, Quote, Target
from bot.quality.labels import WATCH_IDS, load_labels
from bot.store.repositories import open_store
from tests.clirun import newsbot

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "newsbot.yaml"
NEWS = Target("slack", "C0NEWS")
DESK = Target("discord", "1200000000000000001")

KURSK = Match("kursk", "Kursk", "entity", 2, 0.9, ("Kursk",))
NK = Match("north-korea", "North Korea", "entity", 2, 0.9, ("North Korean", "Pyongyang"))

ALERTS = [
    Alert(
        "00000000000000a1", "Kursk governor orders evacuation of three border villages",
        "Wire A", "en", (KURSK,),
        (Quote("Nobody will be left behind,", "the governor"),),
        lead="The governor of the Kursk region ordered the evacuation of three villages "
             "along the border after a night of shelling damaged a school.",
    ),
    Alert(
        "00000000000000a2", "Sailors' families mark 26 years since the Kursk sank",
        "Wire B", "en", (KURSK,), (),
        lead="Relatives of the 118 sailors lost aboard the submarine Kursk laid wreaths in "
             "Murmansk on Saturday, as they do every August.",
    ),
    Alert(
        "00000000000000a3", "North Korean engineers seen at a drone plant, report says",
        "Wire C", "en", (NK,), (),
        lead="Satellite images show North Korean engineers at a drone factory, a research "
             "group said, adding that Pyongyang had sent about 200 specialists.",
    ),
]


BODIES = [
    ALERTS[0].lead + " Buses left the three villages at dawn, and the schools there stay "
    "closed for a week.",
    ALERTS[1].lead + " A priest read the names of the crew aloud.",
    ALERTS[2].lead + " The factory makes attack drones under licence.",
]


@pytest.fixture()
def rated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'newsbot.db'}"
    store = open_store(url)
    try:
        for n, alert in enumerate(ALERTS):
            article = Article("feed:wire", alert.source_name, f"g{n}", alert.title, BODIES[n])
            # The first two still have their text (retention); the third's was pruned.
            assert store.articles.record(article, alert, [NEWS, DESK], keep_text=n < 2)
        fb = store.feedback
        fb.rate(ALERTS[0].id, NEWS, "U1", "useful")
        fb.rate(ALERTS[0].id, DESK, "42", "useful")
        fb.rate(ALERTS[1].id, NEWS, "U1", "not_relevant", "entity")
        fb.rate(ALERTS[1].id, DESK, "42", "not_relevant", "topic")
        fb.rate(ALERTS[2].id, NEWS, "U1", "useful")
        fb.rate(ALERTS[2].id, NEWS, "U2", "not_relevant")  # a tie: ambiguous
    finally:
        store.close()
    return url


def test_the_export_is_a_labelled_set_that_eval_scores(rated: str, tmp_path: Path) -> None:
    out = tmp_path / "feedback-set"
    env = {"NEWSBOT_DATABASE_URL": rated}
    done = newsbot("feedback", "export", str(out), "--config", str(CONFIG), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("feedback: 3 rated alerts written to")
    assert "1 items labelled true, 1 false" in done.stderr

    labelled = load_labels(out)
    assert [(x.labels["kursk"], x.labels["north-korea"]) for x in labelled] == [
        (True, False), (False, False), (False, True),
    ]
    assert labelled[0].ambiguous == frozenset(WATCH_IDS) - {"kursk"}
    assert labelled[2].ambiguous == frozenset(WATCH_IDS)  # 1 useful, 1 not: a tie
    first = (out / labelled[0].file).read_text(encoding="utf-8")
    assert first.splitlines()[0] == ALERTS[0].title
    assert "Buses left the three villages at dawn" in first  # the kept text, whole
    pruned = (out / labelled[2].file).read_text(encoding="utf-8")
    assert "drones under licence" not in pruned  # its text was pruned: the alert's lead
    assert "Pyongyang had sent about 200 specialists" in pruned
    readme = " ".join((out / "README.md").read_text(encoding="utf-8").split())
    assert "the full article where the bot still kept it (`retention`; 2 of 3 here)" in readme

    scored = newsbot("eval", str(out), "--json", "--without-ambiguous", "--config", str(CONFIG))
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    judged = report["without_ambiguous"]
    assert judged["articles"] == 3
    assert judged["skipped_ambiguous_pairs"] == 3 * len(WATCH_IDS) - 2
    kursk = judged["per_id"]["kursk"]
    assert kursk["tp"] == 1 and kursk["fn"] == 0  # the evacuation story, found
    assert kursk["fp"] + kursk["tn"] == 1  # the submarine: the team said not relevant
    print(f"\neval of the export (without ambiguous): kursk {kursk}")


def test_export_refuses_a_folder_with_files_and_an_empty_database(
    rated: str, tmp_path: Path
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    env = {"NEWSBOT_DATABASE_URL": rated}
    refused = newsbot("feedback", "export", str(busy), "--config", str(CONFIG), env=env)
    assert refused.returncode == 2 and "must be a new or empty folder" in refused.stderr
    assert sorted(p.name for p in busy.iterdir()) == ["keep.txt"]
    empty = {"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    none = newsbot("feedback", "export", str(tmp_path / "x"), "--config", str(CONFIG), env=empty)
    assert none.returncode == 1 and "no rated alerts yet" in none.stderr
