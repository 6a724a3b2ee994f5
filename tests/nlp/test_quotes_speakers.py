"""Speakers a reader can trust: a name only when the text names one as the one speaking.

Each test is one kind of error seen on real text (issue 16, item 3); the passages are
written for these tests.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.nlp.quotes as quotes
import bot.nlp.quotes.wordlists as wordlists
from bot.nlp import extract_quotes
from bot.quality.evaluation import missed_targets, score
from bot.quality.labels import Labelled, LabelledQuote, Predicted


def said(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in extract_quotes(text, lang)]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "en",
            "Mayor Jonas Field opened the bridge on Monday.\n\n"
            '"We are watching the cracks closely," a senior official in Harwick said.',
        ),
        (
            "de",
            "Die Konzernchefin Ulrike Sandmann stellte die Zahlen vor. „Wir liefern, was "
            "vereinbart ist“, sagte ein Manager des Konzerns in Bremen.",
        ),
        (
            "es",
            'La alcaldesa Marta Quiroga inauguró el centro. "Es una de las mayores obras del '
            'año", indicó un portavoz del ayuntamiento.',
        ),
        (
            "uk",
            "Міністр Петро Гнатюк відвідав станцію. «Ми перевіряємо всі версії», — повідомив "
            "речник прокуратури.",
        ),
        ("ko", "김민재 실장이 현장을 찾았다. 업계 관계자는 “인력 확보가 가장 큰 과제”라고 말했다."),
        ("ko", "통일부 대변인은 “대화에 나서기를 기대한다”고 말했다."),
    ],
)
def test_an_unnamed_source_gets_no_name_and_borrows_none(lang: str, text: str) -> None:
    assert [speaker for _, speaker in said(text, lang)] == [None]


def test_a_named_source_after_its_role_is_still_named() -> None:
    text = "„Die Lage ist ernst“, sagte ein Sprecher des Ministeriums, Jan Kowalczyk."
    assert said(text, "de") == [("Die Lage ist ernst", "Jan Kowalczyk")]


def test_german_common_nouns_are_not_names() -> None:
    text = (
        "Die Fraktion kritisierte die Zahlen scharf. „Die Stadt wird zur Baustelle“, sagte "
        "ihr verkehrspolitischer Sprecher.\n\nDie Beziehungen zur Partnerstadt hätten „eine "
        "neue Stufe erreicht“, heißt es in dem Schreiben."
    )
    assert [speaker for _, speaker in said(text, "de")] == [None, None]


def test_a_name_after_a_preposition_is_not_the_speaker() -> None:
    text = "Le ministre indien de la Défense a salué « une étape historique » pour le pays."
    assert said(text, "fr") == [("une étape historique", None)]


def test_a_sentence_opening_preposition_is_not_part_of_a_name() -> None:
    text = (
        "À Vilnius, l'opposante a réuni ses soutiens. « Ce n'est pas une élection, c'est une "
        "mise en scène », a-t-elle lancé."
    )
    assert [speaker for _, speaker in said(text, "fr")] == [None]


def test_a_pronoun_points_past_the_last_named_speaker() -> None:
    text = (
        "« C'est un budget d'affichage », a estimé Paul Renaud, chef de l'opposition.\n\n"
        "Dans un entretien, la présidente Sylvie Marchand a défendu ses choix. « Nous avons "
        "fait des économies partout ailleurs », a-t-elle expliqué."
    )
    assert [speaker for _, speaker in said(text, "fr")] == ["Paul Renaud", "Sylvie Marchand"]


def test_a_role_resolves_to_the_person_it_named() -> None:
    text = (
        "Губернатор области Андрей Полозов открыл мост. Мэр города Сергей Кутов на открытие "
        "не приехал.\n\n«Мы ждали этот мост двадцать лет», — сказал губернатор журналистам."
    )
    assert [speaker for _, speaker in said(text, "ru")] == ["Андрей Полозов"]


def test_the_outlet_that_ran_an_interview_is_not_the_speaker() -> None:
    text = (
        "Dani Okafor has no plans to leave, the striker told the Harbour Gazette.\n\n"
        '"This club gave me my first chance," Okafor told the newspaper.\n\n'
        "Asked about his coach, Marta Lindqvist, the 24-year-old was full of praise. "
        '"She trusts young players," he said.'
    )
    assert [speaker for _, speaker in said(text, "en")] == ["Dani Okafor", "Dani Okafor"]


@pytest.mark.parametrize(
    ("lang", "text", "agencies"),
    [
        ("en", '"The drills will go on," the state news agency KCNA reported.', ["KCNA"]),
        (
            "ru",
            "По данным ТАСС, «колонна прошла без происшествий». «Ситуация под контролем», — "
            "сообщило РИА Новости.",
            ["ТАСС", "РИА Новости"],
        ),
        ("fr", "Selon l'agence Yonhap, « les tirs ont duré une heure ».", ["Yonhap"]),
        ("uk", "«Рух поїздів відновлено», — передає Укрінформ.", ["Укрінформ"]),
    ],
)
def test_news_agencies_are_speakers(lang: str, text: str, agencies: list[str]) -> None:
    assert [speaker for _, speaker in said(text, lang)] == agencies


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "ru",
            "«Мы готовы к переговорам, — сказал Олег Примеров, — но не на таких условиях».",
            [
                ("Мы готовы к переговорам", "Олег Примеров"),
                ("но не на таких условиях", "Олег Примеров"),
            ],
        ),
        (
            "fr",
            "« Nous irons jusqu'au bout, a déclaré Claire Exemple, quoi qu'il en coûte. »",
            [
                ("Nous irons jusqu'au bout", "Claire Exemple"),
                ("quoi qu'il en coûte.", "Claire Exemple"),
            ],
        ),
        (
            "es",
            "“Seguiremos aquí —afirmó Lucía Ejemplo—, pase lo que pase”.",
            [("Seguiremos aquí", "Lucía Ejemplo"), ("pase lo que pase", "Lucía Ejemplo")],
        ),
        (
            "de",
            "Die Stadträtin Katrin Vollmer widersprach. Bürgermeister Tobias Brandl blieb "
            "dabei. „Der Umbau kostet Geld“, sagte er, „aber er macht uns unabhängiger.“",
            [
                ("Der Umbau kostet Geld", "Tobias Brandl"),
                ("aber er macht uns unabhängiger.", "Tobias Brandl"),
            ],
        ),
    ],
)
def test_a_quote_split_by_its_attribution_is_two_parts_of_one_voice(
    lang: str, text: str, expected: list[tuple[str, str]]
) -> None:
    assert said(text, lang) == expected


def test_a_scare_quote_or_title_after_a_statement_takes_no_name() -> None:
    text = (
        "« Le texte sera voté », a déclaré Marc Exemple. La presse locale, dont « Le Courrier "
        "du Val », parle d'une « avancée »."
    )
    assert said(text, "fr") == [
        ("Le texte sera voté", "Marc Exemple"),
        ("Le Courrier du Val", None),
        ("avancée", None),
    ]


# --- lexicons ---------------------------------------------------------------------------


def test_every_lexicon_file_is_lists_of_words() -> None:
    files = sorted(quotes.LEXICONS.glob("*.json"))
    assert {f.stem for f in files} >= {"en", "fr", "de", "es", "ru", "uk", "ko"}
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path
        for key, words in data.items():
            assert isinstance(words, list) and words, (path, key)
            assert all(isinstance(w, str) and w.strip() == w and w for w in words), (path, key)


@pytest.fixture
def lexicon_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped lexicons the test may add to; every cache is reset around it."""
    copy = tmp_path / "lexicons"
    shutil.copytree(quotes.LEXICONS, copy)
    monkeypatch.setattr(wordlists, "LEXICONS", copy)
    _clear()
    yield copy
    _clear()


def _clear() -> None:
    for m in pkgutil.iter_modules(quotes.__path__):
        for value in vars(importlib.import_module(f"{quotes.__name__}.{m.name}")).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def test_a_language_is_added_with_one_file(lexicon_dir: Path) -> None:
    text = "„Nie zamkniemy tej linii”, powiedziała Anna Przykładowa. „Pasażerów jest coraz więcej”."
    assert said(text, "pl")[0][1] != "Anna Przykładowa"  # no Polish verbs known yet
    (lexicon_dir / "pl.json").write_text(
        json.dumps({"reporting_verbs": ["powiedział[a]?", "dodał[a]?"], "indefinite": ["jeden"]}),
        encoding="utf-8",
    )
    _clear()
    assert said(text, "pl") == [
        ("Nie zamkniemy tej linii", "Anna Przykładowa"),
        ("Pasażerów jest coraz więcej", "Anna Przykładowa"),
    ]


def test_a_broken_lexicon_file_is_a_clear_error(lexicon_dir: Path) -> None:
    (lexicon_dir / "pl.json").write_text('{"reporting_verbs": "powiedział"}', encoding="utf-8")
    _clear()
    with pytest.raises(quotes.LexiconError, match="pl.json"):
        extract_quotes("„Tak”, powiedział Jan Nowak.", "pl")


# --- the two numbers ----------------------------------------------------------------------


def test_speaker_precision_counts_every_name_shown_and_the_check_holds_it() -> None:
    gold = Labelled(
        "a.txt",
        "en",
        {},
        quotes=(
            LabelledQuote("We will stay", "Ana Field"),
            LabelledQuote("Prices will fall", None),
            LabelledQuote("Nobody told us", None),
        ),
    )
    guess = Predicted(
        frozenset(),
        quotes=(
            LabelledQuote("We will stay", "Ana Field"),
            LabelledQuote("Prices will fall", "Harwick"),  # a name where the text names none
            LabelledQuote("Nobody told us", None),
        ),
    )
    report = score([(gold, guess)], ids=())
    assert report.speaker_accuracy == 1.0
    assert (report.speakers_shown, report.speakers_shown_right) == (2, 1)
    assert report.speaker_precision == 0.5
    assert any("speaker precision" in reason for reason in missed_targets(report))
