"""Russian and Ukrainian names read through the morphological analyser: a speaker named in an
oblique case is shown in the nominative, and an object is never taken for the speaker."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.nlp.quotes.names import CYRILLIC

_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})

_OBLIQUE_CASES = ("gent", "datv", "ablt", "loct")
"""Cases a speaker's name takes after ``по словам``, ``у``, ``президентки``; the accusative
is left out: a name read as one (``Санду`` as Russian ``Санда``) is far more often an
indeclinable nominative."""


def morph_parses(word: str, lang: str) -> list[Any]:
    from bot.nlp.lemmas import morph_analyzer  # the matcher's cached analyser

    return list(morph_analyzer(lang).parse(word))


def _is_name_form(parse: Any) -> bool:
    """A reading as one person's first name, surname or patronymic."""
    return bool(_NAME_TAGS & parse.tag.grammemes) and "plur" not in parse.tag.grammemes


@lru_cache(maxsize=4096)
def nominative_of_name(name: str, lang: str) -> str:
    words = name.split()
    parses = [morph_parses(w, lang) for w in words]
    if not any(_is_name_form(p) for ps in parses for p in ps):
        return name
    # the words of a name share a case: the likeliest over all of them (``Маї Санду``
    # genitive because ``Маї`` can only be; ``Нора Примерова`` nominative because ``Нора``
    # can only be; ``Путина`` by its scores); a tie with the nominative keeps the name
    weight: dict[str, float] = {}
    for case in ("nomn", *_OBLIQUE_CASES):
        weight[case] = 1.0
        for ps in parses:
            weight[case] *= 0.01 + sum(p.score for p in ps if p.tag.case == case)
    case = max(weight, key=lambda c: weight[c])
    if case == "nomn":
        return name
    out = []
    for word, ps in zip(words, parses, strict=True):
        same = [
            p
            for p in ps
            if _is_name_form(p) and p.tag.case == case and "Fixd" not in p.tag.grammemes
        ]
        nominative = same[0].inflect({"nomn"}) if same else None
        if nominative is None:
            out.append(word)  # not a name form, or indeclinable: as written
        else:
            form = nominative.word
            out.append(form[:1].upper() + form[1:] if word[:1].isupper() else form)
    return " ".join(out)


def nominative_name(name: str, lang: str) -> str:
    """A Russian/Ukrainian speaker named in the genitive or dative (``по словам Путина``,
    ``президентки Маї Санду``) shown as the text's person, in the nominative. Only words the
    analyser reads as a first name, surname or patronymic change; the others stay as written."""
    if lang not in ("ru", "uk") or not all(CYRILLIC.match(w) for w in name.split()):
        return name
    return nominative_of_name(name, lang)


def can_be_subject(name: str, lang: str) -> bool:
    """A Russian or Ukrainian name the analyser can read in the nominative: ``Афінам``
    (dative, ``продаж Афінам``) or ``Канберру`` (accusative) is an object, never who spoke."""
    if lang not in ("ru", "uk") or not all(CYRILLIC.match(w) for w in name.split()):
        return True
    parses = morph_parses(name.split()[-1], lang)
    return not parses or any(p.tag.case == "nomn" or p.tag.case is None for p in parses)
