"""Normalisation folds for matching but always maps back to the original characters."""

from __future__ import annotations

import pytest

from bot.nlp import detect_language
from bot.nlp.text import fold, normalize


def test_fold_unifies_case_accents_and_typography() -> None:
    assert fold("Corée du Nord") == "coree du nord"
    assert fold("l’armée") == "l'armee"
    assert fold("Rußland") == "russland"
    assert fold("nord‑coréens") == "nord-coreens"
    assert fold("북한은") == "북한은"  # Hangul survives accent folding


@pytest.mark.parametrize(
    "s",
    [
        "l`armee",  # ASCII backtick is an apostrophe: the ASCII fast path must fold it too
        "L`Armée",
        "l'armee",
        'say "no"',
        "north-korean",
        "nord--coreens",
        "ASCII only, no typography",
        "",
        "Corée",
        "l’armée",
        "« Ärger »",
        "Rußland",
        "nord‑coréens",
        "nord−coréens",
        "북한은",
        "Nord\u00adkorea",  # soft hyphen vanishes
        "ﬁnale",  # NFKC ligature
        "ＤＰＲＫ",  # fullwidth
    ],
)
def test_fold_equals_normalize(s: str) -> None:
    assert fold(s) == normalize(s).text


def test_fold_ascii_backtick_is_an_apostrophe() -> None:
    assert fold("l`Armee") == "l'armee"
    assert fold("Nord\u00adkorea") == "nordkorea"


def test_fold_can_collapse_whitespace_for_loose_comparison() -> None:
    # Titles and quotes are compared loosely: line breaks, no-break and ideographic
    # spaces do not tell two texts apart; the plain fold keeps them (offsets).
    s = " Corée\n\tdu\u00a0Nord\u2028et  Straße\u3000"
    assert fold(s, collapse_whitespace=True) == "coree du nord et strasse"
    assert fold(s, collapse_whitespace=True) == " ".join(fold(s).split())
    assert fold(s) == normalize(s).text


def test_offsets_map_back_to_the_original() -> None:
    original = "Straße « Ärger »"
    norm = normalize(original)
    assert norm.text == 'strasse " arger "'
    start = norm.text.index("arger")
    s, e = norm.original_span(start, start + 5)
    assert original[s:e] == "Ärger"
    s, e = norm.original_span(0, 7)
    assert original[s:e] == "Straße"


def test_detect_language_by_script_and_langid() -> None:
    assert detect_language("북한은 러시아에 포탄을 지원했다.") == "ko"
    assert detect_language("Україна отримала нові ракети від партнерів.") == "uk"
    assert detect_language("Россия объявила о новых поставках.") == "ru"
    assert detect_language("La Corée du Nord sera aux côtés de la Russie jusqu'à la fin.") == "fr"
    assert detect_language("Nordkorea liefert Munition an Russland, heißt es aus Kiew.") == "de"


def test_declared_hint_wins_when_plausible() -> None:
    assert detect_language("Kursk", hint="de") == "de"
    assert detect_language("Новости дня", hint="uk-UA") == "uk"
    assert detect_language("북한 뉴스", hint="en") == "ko"
    long_fr = "Le gouvernement a annoncé de nouvelles mesures pour les agriculteurs cette semaine."
    assert detect_language(long_fr, hint="en") == "fr"
