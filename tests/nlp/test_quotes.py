"""Quotes in each language's conventions, with the speaker the text names."""

from __future__ import annotations

from bot.nlp import extract_quotes


def speakers(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in extract_quotes(text, lang)]


def test_english_said_forms() -> None:
    text = (
        "“We will not accept this at all,” Jane Doe said on Monday.\n"
        "“The talks must go on without delay,” he added.\n"
        "“Nobody here wants a longer war,” said John Roe, a senator."
    )
    assert speakers(text, "en") == [
        ("We will not accept this at all", "Jane Doe"),
        ("The talks must go on without delay", "Jane Doe"),
        ("Nobody here wants a longer war", "John Roe"),
    ]


def test_french_mismatched_marks_and_inverted_pronoun() -> None:
    text = (
        "« Nous ne céderons jamais sur ce point », a déclaré Marie Dupont.\n"
        "“Le dialogue reste ouvert pour tous », a-t-elle ajouté.\n"
        "Le ministre a salué une « victoire » et un « zéro » sans suite."
    )
    quotes = extract_quotes(text, "fr")
    assert [(q.text, q.speaker) for q in quotes] == [
        ("Nous ne céderons jamais sur ce point", "Marie Dupont"),
        ("Le dialogue reste ouvert pour tous", "Marie Dupont"),
    ]
    for q in quotes:
        assert text[q.start : q.end] == q.text


def test_german_low_high_quotes() -> None:
    text = "„Wir liefern weiter, solange es nötig ist“, sagte Olaf Beispiel in Berlin."
    assert speakers(text, "de") == [("Wir liefern weiter, solange es nötig ist", "Olaf Beispiel")]


def test_spanish_dijo() -> None:
    text = '"La paz es posible si todos ceden", dijo Ana Pérez.'
    assert speakers(text, "es") == [("La paz es posible si todos ceden", "Ana Pérez")]


def test_russian_dash_attribution() -> None:
    text = "«Мы продолжим работу в этом направлении», — заявил Иван Петров."
    assert speakers(text, "ru") == [("Мы продолжим работу в этом направлении", "Иван Петров")]


def test_russian_dialogue_dash() -> None:
    text = "— Мы не допустим этого никогда, — сказал Сергей Иванов."
    assert speakers(text, "ru") == [("Мы не допустим этого никогда", "Сергей Иванов")]


def test_ukrainian_zayavyv() -> None:
    text = "«Ми будемо боротися до кінця», — заявив Петро Коваленко."
    assert speakers(text, "uk") == [("Ми будемо боротися до кінця", "Петро Коваленко")]


def test_korean_subject_and_quotative() -> None:
    text = "김 장관은 기자회견에서 “우리는 모든 가능성을 열어 두고 있다”고 말했다."
    assert speakers(text, "ko") == [("우리는 모든 가능성을 열어 두고 있다", "김 장관")]


def test_headings_and_scare_quotes_are_not_speech() -> None:
    text = "– Première ligne –\nUne « victoire » annoncée.\n– Réaction « zéro » occidentale –"
    assert extract_quotes(text, "fr") == ()
