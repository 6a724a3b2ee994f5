"""`newsbot eval`: the scoring rules on hand-made cases, the evaluation set itself, and the
matcher measured against it (and against ../shared/devset when it is there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.quality.evaluation import Counts, missed_targets, score
from bot.quality.labels import (
    WATCH_IDS,
    EvalSetError,
    Labelled,
    LabelledQuote,
    Predicted,
    load_labels,
)
from bot.quality.quote_rules import best_quote, normalize_quote, speaker_matches

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"
DEVSET = ROOT.parent / "shared" / "devset"
CONFIG = ROOT / "config" / "newsbot.yaml"


def gold(
    file: str,
    lang: str,
    *true: str,
    quotes: tuple[LabelledQuote, ...] = (),
    ambiguous: frozenset[str] = frozenset(),
) -> Labelled:
    return Labelled(file, lang, {i: i in true for i in WATCH_IDS}, quotes, ambiguous)


def said(*ids: str, quotes: tuple[LabelledQuote, ...] = ()) -> Predicted:
    return Predicted(frozenset(ids), quotes)


# --- the rules ----------------------------------------------------------------------------


def test_counts_precision_recall_f1() -> None:
    c = Counts(tp=6, fp=2, fn=3)
    assert c.precision == pytest.approx(0.75)
    assert c.recall == pytest.approx(6 / 9)
    assert c.f1 == pytest.approx(2 * 0.75 * (6 / 9) / (0.75 + 6 / 9))
    # Nothing to find and nothing claimed is perfect; a claim with nothing to find is not.
    assert Counts(tn=5).f1 == 1.0
    assert Counts(fp=1, tn=4).f1 == 0.0


def test_score_per_id_per_language_and_errors() -> None:
    pairs = [
        (gold("a", "fr", "north-korea", "russia"), said("north-korea", "russia")),
        (gold("b", "fr", "kursk"), said()),  # missed kursk
        (gold("c", "ko"), said("north-korea")),  # 태평양-style false alarm
    ]
    report = score(pairs)
    assert report.per_id["north-korea"].tp == 1
    assert report.per_id["north-korea"].fp == 1
    assert report.per_id["kursk"].fn == 1
    assert report.per_id["ukraine"].f1 == 1.0
    fr, ko = report.per_language["fr"], report.per_language["ko"]
    assert (fr.tp, fr.fp, fr.fn) == (2, 0, 1)
    assert (ko.tp, ko.fp, ko.fn) == (0, 1, 0)
    assert report.overall.tp == 2 and report.overall.fp == 1 and report.overall.fn == 1
    assert {(e.file, e.id, e.kind) for e in report.errors} == {
        ("b", "kursk", "FN"),
        ("c", "north-korea", "FP"),
    }


def test_ambiguous_pairs_can_be_left_out() -> None:
    pairs = [(gold("a", "en", ambiguous=frozenset({"kursk"})), said("kursk"))]
    assert score(pairs).per_id["kursk"].fp == 1
    without = score(pairs, skip_ambiguous=True)
    assert without.per_id["kursk"].fp == 0
    assert without.skipped_pairs == 1


def test_quote_normalisation_ignores_marks_case_and_spacing() -> None:
    assert normalize_quote("« Nous  serons\u00a0TOUJOURS là », ") == "nous serons toujours là"
    assert normalize_quote("„Wir sind vorbereitet“") == normalize_quote('"wir sind vorbereitet"')
    assert normalize_quote("ﬁnal") == "final"  # NFKC


def test_quote_found_when_contained_or_covering_sixty_percent() -> None:
    label = "abcde fghij klmno pqrst"  # 23 characters normalised
    around = LabelledQuote(f"He said: «{label}», and more", None)
    assert best_quote(label, [around]) is around
    long_part = LabelledQuote("abcde fghij klmno", None)  # 17/23 = 74 %
    short_part = LabelledQuote("abcde fghij", None)  # 11/23 = 48 %
    assert best_quote(label, [long_part]) is long_part
    assert best_quote(label, [short_part]) is None
    assert best_quote(label, [LabelledQuote("something else", None)]) is None
    # The one that contains the quote wins over a fragment of it.
    assert best_quote(label, [long_part, around]) is around


def test_speaker_match_by_token_subset() -> None:
    assert speaker_matches("Antony Blinken", "Blinken")
    assert speaker_matches("Blinken", "Antony Blinken")
    assert speaker_matches("Kim Jong-un", "Kim Jong Un")
    assert speaker_matches("Владимир Путин", "президент Путин")  # titles do not count
    assert not speaker_matches("Antony Blinken", "Choe Son Hui")
    assert not speaker_matches("Antony Blinken", None)
    assert not speaker_matches("Антони Блинкен", "")


def test_quote_recall_and_speaker_accuracy() -> None:
    quotes = (
        LabelledQuote("nous serons toujours aux côtés de nos camarades", "Choe Son Hui"),
        LabelledQuote("dans les prochains jours", "Antony Blinken"),
        LabelledQuote("une phrase que personne n'a trouvée", None),
    )
    found = (
        LabelledQuote("Nous serons toujours aux côtés de nos camarades russes", "Choe Son Hui"),
        LabelledQuote("cela se produise dans les prochains jours", None),
    )
    report = score([(gold("a", "fr", quotes=quotes), said(quotes=found))])
    assert (report.quotes_labelled, report.quotes_found) == (3, 2)
    assert (report.speakers_labelled, report.speakers_right) == (2, 1)
    assert report.quote_recall == pytest.approx(2 / 3)
    assert report.speaker_accuracy == pytest.approx(0.5)
    assert {(q.text[:10], q.found) for q in report.quote_errors} == {
        ("dans les p", True),
        ("une phrase", False),
    }


def test_missed_targets_names_what_is_below() -> None:
    perfect = score([(gold("a", "en", "russia"), said("russia"))])
    assert missed_targets(perfect) == []
    bad = score([(gold("a", "de", "russia"), said("ukraine"))])
    missed = missed_targets(bad)
    assert "F1 russia 0.000 < 0.97" in missed
    assert any(m.startswith("F1 language de") for m in missed)


def test_targets_are_issue_16s() -> None:
    """0.96 for an id (25 found, 2 missed) and 0.92 for a language passed issue 3's
    targets (0.95 / 0.90); issue 16 asks 0.97 per id and 0.93 per language."""
    pairs = [(gold(f"a{i}", "ja", "russia"), said("russia")) for i in range(25)]
    pairs += [(gold(f"b{i}", "ja", "russia"), said()) for i in range(2)]
    missed = missed_targets(score(pairs))
    assert "F1 russia 0.962 < 0.97" in missed
    lang = [(gold(f"c{i}", "zh", "ukraine"), said("ukraine")) for i in range(6)]
    lang += [(gold("d", "zh", "kursk"), said())]
    by_lang = score(lang).per_language["zh"]
    assert 0.90 < by_lang.f1 < 0.93
    assert any(m.startswith("F1 language zh 0.923 < 0.93") for m in missed_targets(score(lang)))
    # A set not yet at the targets can be held to an explicit floor.
    assert missed_targets(score(pairs), f1_id=0.95, f1_language=0.90) == []


def test_load_labels_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "001_en_a.txt").write_text("Title\nBody.\n")
    row: dict[str, Any] = {"file": "articles/001_en_a.txt", "lang": "en", "quotes": []}
    row.update({i: False for i in WATCH_IDS})
    good = json.dumps(row)
    (tmp_path / "labels.jsonl").write_text(good + "\n" + json.dumps({**row, "kursk": "yes"}))
    with pytest.raises(EvalSetError, match=r"labels\.jsonl:2: 'kursk' must be true or false"):
        load_labels(tmp_path)
    (tmp_path / "labels.jsonl").write_text(json.dumps({**row, "file": "articles/nope.txt"}))
    with pytest.raises(EvalSetError, match=r":1: articles/nope.txt does not exist"):
        load_labels(tmp_path)


# --- the command ------------------------------------------------------------------------


def run_eval(*args: str) -> Any:
    return CliRunner().invoke(app, ["eval", *args, "--config", str(CONFIG)])


def test_eval_command_scores_a_small_set(tmp_path: Path) -> None:
    """Two documents the matcher gets right and one label that is wrong on purpose:
    the table, --errors and --check must all show it."""
    (tmp_path / "articles").mkdir()
    docs = {
        "001_fr_nk.txt": "La Corée du Nord envoie des troupes\n"
        "Pyongyang a envoyé des soldats en Russie, a déclaré jeudi Kim Min-jun.\n",
        "002_en_farms.txt": "Bird flu on two farms\nTwo egg farms in Iowa were quarantined.\n",
    }
    rows = []
    for name, text in docs.items():
        (tmp_path / "articles" / name).write_text(text, encoding="utf-8")
        row: dict[str, Any] = {"file": f"articles/{name}", "lang": name[4:6], "quotes": []}
        row.update({i: False for i in WATCH_IDS})
        rows.append(row)
    rows[0].update({"north-korea": True, "russia": True, "ukraine": True})  # ukraine: wrong
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows))

    result = run_eval(str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["all"]["articles"] == 2
    assert data["all"]["per_id"]["north-korea"]["tp"] == 1
    assert data["all"]["per_id"]["ukraine"]["fn"] == 1
    assert data["all"]["errors"] == [
        {"file": "articles/001_fr_nk.txt", "id": "ukraine", "kind": "FN", "ambiguous": False}
    ]
    assert "F1 ukraine 0.000 < 0.97" in data["missed_targets"]

    table = run_eval(str(tmp_path), "--errors", "--check")
    assert table.exit_code == 1
    assert "FN ukraine" in table.output and "001_fr_nk.txt" in table.output
    assert "below target: F1 ukraine" in table.output


def test_eval_command_refuses_a_broken_set(tmp_path: Path) -> None:
    (tmp_path / "labels.jsonl").write_text("{not json\n")
    result = run_eval(str(tmp_path))
    assert result.exit_code == 2
    assert "labels.jsonl:1: not JSON" in result.output


# --- the evaluation set -------------------------------------------------------------------


def test_evaluation_set_is_well_formed() -> None:
    """The set keeps its promises: quotes verbatim, traps labelled false, enough of each."""
    from bot.sources.files import read_document

    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text().splitlines()]
    labelled = load_labels(EVAL)
    assert len(labelled) == len(rows) >= 120
    per_lang: dict[str, int] = {}
    for row, item in zip(rows, labelled, strict=True):
        path = EVAL / item.file
        assert path.name.split("_")[1] == item.lang, item.file
        per_lang[item.lang] = per_lang.get(item.lang, 0) + 1
        article = read_document(path, 1_000_000)
        full = path.read_text(encoding="utf-8")
        for quote in item.quotes:
            assert quote.text in article.text, f"{item.file}: quote not in body: {quote.text!r}"
            assert quote.speaker is None or quote.speaker in full, f"{item.file}: {quote.speaker}"
        for trap in row["hard_negative"]:
            assert not item.labels[trap], f"{item.file}: {trap} is a trap but labelled true"
    assert set(per_lang) == {"en", "fr", "de", "es", "ru", "uk", "ko", "it", "ja", "zh"}
    assert min(per_lang.values()) >= 20
    assert sum(1 for r in rows if r["hard_negative"]) >= 40
    for lang in ("it", "ja", "zh"):  # the three added languages: a third of them traps
        traps = sum(1 for r in rows if r["lang"] == lang and r["hard_negative"])
        assert traps * 3 >= per_lang[lang], lang


def _measure(directory: Path, *options: str) -> dict[str, Any]:
    result = run_eval(str(directory), "--json", *options)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_matcher_meets_the_targets_on_the_evaluation_set() -> None:
    data = _measure(EVAL)
    assert data["all"]["articles"] >= 120
    assert data["missed_targets"] == []


@pytest.mark.skipif(not DEVSET.is_dir(), reason=f"devset not present at {DEVSET}")
def test_matcher_meets_the_targets_on_the_devset() -> None:
    """Issue 16's targets over all pairs, the ones the devset's annotator flagged as
    debatable included (`newsbot eval` prints the numbers without them too)."""
    data = _measure(DEVSET)
    assert data["all"]["articles"] > 0
    assert data["missed_targets"] == []
