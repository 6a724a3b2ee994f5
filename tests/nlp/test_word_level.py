"""Before spaCy, the matcher reads each phrase whole where its keys occur: its words side
by side (with lemmas), not cancelled by an exclude phrase, a sentence rule's groups in one
paragraph. A near miss stops there; what it lets through is matched exactly as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp import match
from bot.nlp.watchlist import Watchlist
from bot.quality.labels import load_labels
from bot.sources.files import read_document

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_spacy(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.nlp.matcher import analysis

    def refuse(lang: str) -> None:
        raise AssertionError(f"spaCy pipeline requested for {lang!r}")

    monkeypatch.setattr(analysis, "get_pipeline", refuse)


NEAR_MISSES = [
    # a phrase's words all there, but not side by side
    ("es", "Corea celebra su festival de otoño. Del norte llegan lluvias y frío."),
    # a rule's two groups, but in different paragraphs (a sentence never spans one)
    ("fr", "Le musée expose des armes anciennes.\n\nLes ventes de voitures ont reculé."),
    ("ru", "Поставки овощей выросли.\n\nВ музее открылась выставка старинного оружия."),
    # a stem inside an ordinary word: Spanish munición in municipal, German Kursk in Kurs…
    ("fr", "Le conseil municipal a voté. Les charges des ventes ont baissé."),
    ("de", "Nach der Niederlage kündigte der Trainer eine Kurskorrektur an."),
    # ß folds to two letters: the text is read through an offset map, still before spaCy
    ("de", "Die Ausstellung über die Geschichte Preußens zählte viele Besucher."),
    # a word the item's exclude phrases cancel: the arms race, a mountain, "indefinitely"
    ("en", "Analysts warned of a new arms race. Retail sales rose in December."),
    ("ko", "단풍철을 맞아 북한산을 찾는 등산객이 크게 늘었다."),
    ("ko", "버스 노사 협상이 무기한 연기됐다. 시는 시민 지원을 약속했다."),
    ("ja", "クルスク駅で列車を待った。"),
    ("zh", "朝鲜族的传统节日吸引了很多游客。"),
    ("zh", "他在俄亥俄州上大学。"),
]


@pytest.mark.parametrize(("lang", "text"), NEAR_MISSES)
def test_a_near_miss_is_ruled_out_before_spacy(
    watchlist: Watchlist, no_spacy: None, lang: str, text: str
) -> None:
    assert match("", text, watchlist, lang) == ()


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("es", "Corea del Norte celebra su festival.", {"north-korea"}),
        ("fr", "La France a vendu des armes à l'Ukraine.", {"arms-transfers", "ukraine"}),
        ("de", "Die Lage bei Kursk bleibt angespannt.", {"kursk"}),
        ("de", "Die Kursker Behörden meldeten Angriffe.", {"kursk"}),
        ("ko", "태평양 심해 조사를 위한 연구선이 출발했다.", set()),  # 평양 inside 태평양
        ("ko", "북한군이 전선에 투입됐다.", {"north-korea"}),  # a compound starting with 북한
        ("ja", "北朝鮮軍が国境に集結した。", {"north-korea"}),  # ideographs: inside a run
        ("zh", "朝鲜军队举行了演习。", {"north-korea"}),
        ("zh", "美国向乌克兰交付HIMARS。", {"arms-transfers", "ukraine"}),  # Latin after 付
    ],
)
def test_word_boundaries_in_every_script(
    watchlist: Watchlist, lang: str, text: str, expected: set[str]
) -> None:
    assert {m.id for m in match("", text, watchlist, lang)} == expected


def test_offsets_survive_a_fold_that_is_not_letter_for_letter(watchlist: Watchlist) -> None:
    text = "Die Straße nach Rußland ist gesperrt.\n\nBei Kursk wird weiter gekämpft."
    found = {m.id: m for m in match("", text, watchlist, "de")}
    assert [text[a:b] for a, b in found["kursk"].spans] == ["Kursk"]
    assert [text[a:b] for a, b in found["russia"].spans] == ["Rußland"]


def test_reading_word_by_word_first_never_changes_a_result(
    watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The eval set's articles, matched as shipped and with the word-level reading off
    # (spaCy reads whole every document that has the keys): same items, scores, evidence
    # and spans.
    from bot.nlp.matcher import results

    directory = ROOT / "tests" / "data" / "eval"
    articles = [read_document(directory / gold.file, 1_000_000) for gold in load_labels(directory)]
    langs = [gold.lang for gold in load_labels(directory)]
    fast = [match(a.title, a.text, watchlist, lang) for a, lang in zip(articles, langs, strict=True)]
    monkeypatch.setattr(results, "is_configured", lambda lang: True)  # as for a trained
    monkeypatch.setattr(results, "fold_aligned", lambda text: None)  # pipeline, on Straße
    whole = [match(a.title, a.text, watchlist, lang) for a, lang in zip(articles, langs, strict=True)]
    assert sum(bool(m) for m in fast) > len(articles) // 2  # the set is mostly relevant
    for a, got, want in zip(articles, fast, whole, strict=True):
        assert got == want, a.title
