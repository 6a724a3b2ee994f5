"""Telling a person's name from the capitalised words around it: runs of capitals, titles and
particles stripped, bodies, places and dates left out."""

from __future__ import annotations

import re

from bot.nlp.quotes.wordlists import all_words, alternation, union

STOP = frozenset(union("stop_words"))
"""Words that open a sentence in capitals but never a name (``Mais``, ``The``, ``Auch``)."""

TITLES = frozenset(w.casefold() for w in union("titles"))

_PARTICLES = frozenset(union("name_particles"))
"""Lowercase words inside names (``de``, ``von``, ``bin``)."""

CYRILLIC = re.compile(r"^[А-ЯЁІЇЄҐа-яёіїєґ'’-]+$")

_PATRONYMIC = re.compile(rf"(?:{alternation(union('patronymic_endings'))})$")

LEADING_PREPOSITIONS = frozenset(w.casefold() for w in union("leading_prepositions"))
"""A sentence that opens with a preposition (``À Vilnius, …``, ``В Киеве …``): the capitalised
word is not part of a name."""


def clean_name(words: list[str]) -> str | None:
    while len(words) > 1 and (
        words[0].lower() in LEADING_PREPOSITIONS or words[0].casefold() in all_words("determiners")
    ):
        words = words[1:]  # ``À Vilnius``, ``Ihre Energieexpertin Katrin Vollmer``
    owner = [i for i, w in enumerate(words[:-1]) if re.search(r"['’]s$", w)]
    if owner:
        words = words[owner[-1] + 1 :]  # ``N Korea's Kim``: the owner is not the name
    while (
        words
        and (
            words[0].lower().strip(".") in STOP
            or words[0].lower().strip(".") in TITLES
            or words[0].lower() in _PARTICLES
            or ROLE_NOUN.match(words[0].strip(".,"))
        )
        and len(words) > 1
    ):
        words = words[1:]
    while words and words[-1].lower() in _PARTICLES:
        words = words[:-1]
    if (
        len(words) >= 3
        and all(CYRILLIC.match(w) for w in words)
        and not any(_PATRONYMIC.search(w) for w in words[1:-1])
    ):
        words = words[-2:]  # ``Востоковед Николай Сомов``: a role opening the sentence
    if not words or words[0].lower() in STOP or (len(words) == 1 and len(words[0]) < 2):
        return None
    return " ".join(words)


def is_cap(word: str) -> bool:
    return bool(word) and word[0].isupper()


_NAME_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def name_at_start(s: str) -> str | None:
    """A run of capitalised words at the start of ``s`` (``Choe Son Hui``, ``Antony Blinken``)."""
    words: list[str] = []
    pos = 0
    while len(words) < 5:
        m = _NAME_WORD.match(s, pos)
        if not m:
            break
        w = m.group().rstrip(".,")
        if is_cap(w) or (words and w.lower() in _PARTICLES):
            words.append(w)
            pos = m.end()
            if m.group().endswith(".") and len(w) > 2 and w.lower() not in TITLES:
                break  # the sentence ends here (``Hellwig. Kurski erzielte``); not ``J.``
            ws = re.match(r"[ \u00a0]+", s[pos:])
            if not ws:
                break
            pos += ws.end()
        else:
            break
    return clean_name(words)


def name_at_end(s: str) -> str | None:
    """A run of capitalised words ending ``s`` (``… le chef de la diplomatie Antony Blinken``)."""
    tokens = s.rstrip().split()
    words: list[str] = []
    for tok in reversed(tokens):
        w = tok.strip(',;:()«»“”"')
        if (is_cap(w) or (words and w.lower() in _PARTICLES)) and _NAME_WORD.fullmatch(w):
            words.insert(0, w)
            if len(words) >= 5:
                break
        else:
            break
    return clean_name(words)


_CAP_WORD = r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]\.|[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’-]*)"

NAME_RUN = re.compile(
    rf"(?<![\w'’.-]){_CAP_WORD}(?:[ \u00a0]+(?:(?:de|von|van|der|al|bin|da|di|del|la|le)[ \u00a0]+)?"
    rf"{_CAP_WORD})+"
)
"""Two or more capitalised words in a row: a person's or a body's name, most of the time."""

ROLE_NOUN = re.compile(
    rf"(?i)^(?:\w*(?:{alternation(union('role_stems'))})\w{{0,3}}"
    rf"|{alternation(union('role_nouns'))})$"
)
"""A role, not a name: one of the lexicons' ``role_nouns``, or a word built on one of their
``role_stems`` (German compounds: ``Außenministerin``, ``Einwechselspieler``)."""

_NOT_PERSON = frozenset(union("not_person"))
"""Words of bodies, countries and dates: a run of capitals holding one names no person."""

OBLIQUE = re.compile(rf"(?:{alternation(union('oblique_endings'))})$", re.IGNORECASE)
"""Russian/Ukrainian endings of an adjective or place in an oblique case (``Восточной
Пруссии``, ``Витебске``, ``Банком``): the words around a name, not the nominative speaker."""

ACRONYM = re.compile(r"^[A-ZА-ЯЁІЇЄҐ]{2,}$")


def person_like(name: str) -> bool:
    """A person's name rather than a body, a country, a date or an oblique-case place."""
    words = name.split()
    if any(w.casefold().strip("'’") in _NOT_PERSON for w in words):
        return False
    if re.search(r"['’]s?$", words[-1]):
        return False  # ``South Korea's spy agency``: the owner of the noun that follows
    if any(ACRONYM.match(w) for w in words):
        return False
    return not any(OBLIQUE.search(w) for w in words)


PREPOSITION_BEFORE = re.compile(
    rf"(?:^|\s)(?:{alternation(union('prepositions'))})\s*$", re.IGNORECASE
)


def name_runs(s: str) -> list[tuple[int, list[str]]]:
    """Capitalised word runs in ``s`` with their offsets, a leading word that follows a
    preposition dropped (``в Бангкоке Мария Лонг`` -> ``Мария Лонг``)."""
    out: list[tuple[int, list[str]]] = []
    for m in _CAP_RUN.finditer(s):
        words = [w.rstrip(".,") for w in m.group().split()]
        if PREPOSITION_BEFORE.search(s[max(0, m.start() - 8) : m.start()]):
            words = words[1:]
            while words and words[0].lower() in _PARTICLES:
                words = words[1:]
        while words and ACRONYM.match(words[0]) and len(words) > 1:
            words = words[1:]
        if words:
            out.append((m.start(), words))
    return out


_CAP_RUN = re.compile(
    rf"(?<![\w'’.-]){_CAP_WORD}(?:[ \u00a0]+(?:(?:de|von|van|von der|van der|al|bin|da|di|del|la|le)"
    rf"[ \u00a0]+)?{_CAP_WORD})*"
)

ARTICLE_BEFORE = re.compile(rf"(?:^|\s)(?:{alternation(union('articles'))})\s+$", re.IGNORECASE)


def last_name_run(s: str) -> str | None:
    """The last multi-word name in ``s`` (``Mike Pompeo`` in ``US-Außenminister Mike Pompeo
    hatte … gedroht:``) that looks like a person's, leading articles and titles dropped."""
    for at, words in reversed(name_runs(s)):
        name = clean_name(words)
        if name and (" " in name or (at > 0 and len(words) > 1)) and person_like(name):
            return name
    return None


DEFINITE = frozenset(w.casefold() for w in union("definite"))

WORD = re.compile(r"[^\W\d_][\w'’-]*")

OBJECT_BEFORE = re.compile(
    rf"(?:^|\s)(?:{alternation(union('object_prepositions'))})"
    rf"(?:\s+(?:{alternation(union('object_articles'))}))?\s*$",
    re.IGNORECASE,
)
"""A name right after a preposition is the object of the phrase (``le ministre de la
Défense``, ``an official in Kyiv``), not who spoke."""


def object_name(head: str, name: str) -> bool:
    at = head.rstrip().rfind(name)
    return at >= 0 and bool(OBJECT_BEFORE.search(head[:at]))


ROLES = frozenset(w.casefold() for w in union("roles"))
"""Offices a name keeps (``Папа Франциск``, ``King Charles``): not stripped like a title, but
a role when one opens a sentence as its subject."""


def title_like(quoted: str) -> bool:
    """``« Le Courrier du Val »``, ``“Sunday Pitch”``: a name of a few capitalised words."""
    words = quoted.split()
    return (
        len(words) <= 6
        and all(w[:1].isupper() or w.lower() in _PARTICLES or w.lower() in STOP for w in words)
        and not quoted.rstrip().endswith((".", "!", "?", "…"))
    )


def fragment(quoted: str) -> bool:
    """A word or three in quotation marks (« intelligente », a newspaper's or a pipeline's
    name): a scare quote or a title, which is nobody's statement unless the sentence
    attributes it (``what he called “…”``)."""
    words = quoted.split()
    if len(words) < 4 and len(quoted) < 25:
        return True
    return title_like(quoted)
