"""Naming a speaker from the whole document: every run of capitals indexed once, a surname
completed to the full name, and whom a pronoun or a role refers to."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from bot.nlp.quotes.attribution import speaker_after_verb
from bot.nlp.quotes.names import (
    ARTICLE_BEFORE,
    DEFINITE,
    NAME_RUN,
    OBJECT_BEFORE,
    ROLE_NOUN,
    ROLES,
    STOP,
    TITLES,
    WORD,
    clean_name,
    name_at_end,
    name_at_start,
    name_runs,
    object_name,
    person_like,
)
from bot.nlp.quotes.verbs import verb_pattern
from bot.nlp.quotes.wordlists import all_words, lexicon_languages, lexicon_words, union

CONTEXT = 6000
"""Characters before a quote that name resolution looks at (a surname completed, a role or
pronoun resolved): bounded, so the work per quote does not grow with the document."""

ROLE_AFTER = re.compile(
    r"^[\s,.!?…;:]*(?:[—–]|--?)?\s*\w+\s+(?:"
    + "|".join(a if a.endswith("'") else a + r"\s+" for a in union("role_articles"))
    + r")?([^\W\d_]{3,})"
)


class NameIndex:
    """Every run of capitalised words of a document, found once, looked up by word: naming
    a speaker then costs the few runs that share a word with it, not a scan of the text
    before every quote."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs: list[tuple[int, int, tuple[str, ...]]] = []
        self.by_last: dict[str, list[int]] = {}
        self.by_first: dict[str, list[int]] = {}
        self.by_word: dict[str, list[int]] = {}
        for m in NAME_RUN.finditer(text):
            words = tuple(w.rstrip(".,") for w in m.group().split())
            i = len(self.runs)
            self.runs.append((m.start(), m.end(), words))
            for key in {words[-1], words[-1].split("-")[-1]}:
                self.by_last.setdefault(key, []).append(i)
            self.by_first.setdefault(words[0], []).append(i)
            for key in {w.casefold() for w in words}:
                self.by_word.setdefault(key, []).append(i)

    def near(self, ids: list[int] | None, pos: int) -> list[int]:
        """The runs of ``ids`` that lie in the ``CONTEXT`` characters before ``pos``."""
        if not ids:
            return []
        lo = bisect_left(ids, pos - CONTEXT, key=lambda i: self.runs[i][0])
        hi = bisect_left(ids, pos, key=lambda i: self.runs[i][0])
        return [i for i in ids[lo:hi] if self.runs[i][1] <= pos]


@lru_cache(maxsize=4096)
def _clean_run(words: tuple[str, ...]) -> str | None:
    return clean_name(list(words))


def expand_name(name: str, names: NameIndex, pos: int) -> str:
    """A surname (or initial and surname) said in full earlier: ``Isabaev`` -> ``Umid
    Isabaev``, ``Д. Рассел`` -> ``Дэниел Рассел``, ``Unionskanzlerkandidat Merz`` ->
    ``Friedrich Merz``, ``Howard`` -> ``Howard X``: the full mention that ends with the same
    surname (or starts with a lone first name) and looks like a person's; the most frequent,
    then the shortest (``Münchner Sicherheitskonferenz Selenskyj`` is a run of capitals, not
    a name), then the first. Only the ``CONTEXT`` characters before ``pos`` are read."""
    last = name.split()[-1].rstrip(".")
    ids = set(names.near(names.by_last.get(last), pos))
    if " " not in name:
        ids.update(names.near(names.by_first.get(name), pos))
    best: tuple[int, int, int, int] | None = None
    found = name
    counts: dict[str, int] = {}
    for i in sorted(ids):
        words = names.runs[i][2]
        by_surname = last in (words[-1], words[-1].split("-")[-1])
        if len(words) < 2 or not (by_surname or (" " not in name and words[0] == name)):
            continue
        full = _clean_run(words)
        if not full or " " not in full or full == name or not person_like(full):
            continue
        if full not in counts:
            counts[full] = names.text.count(full, max(0, pos - CONTEXT), pos)
        key = (0 if by_surname else 1, -counts[full], len(full.split()), i)
        if best is None or key < best:
            best, found = key, full
    return found


def paragraph_subject(para_before: str, names: NameIndex, pos: int) -> str | None:
    """The person a pronoun or a bare verb refers to: the latest sentence of the paragraph
    that opens with a name as its subject (``Auch Howard, gebürtiger Australier, hofft …:
    „…“, sagt er``; ``Knight mostró … "…", dijo``). A single word counts only when the
    article gives it in full somewhere (German capitalises every noun)."""
    for sent in reversed(re.split(r"(?<=[.!?])\s+", para_before.strip())[-3:]):
        name = name_at_start(sent)
        if not name or not person_like(name):
            continue
        tail = sent[sent.find(name) + len(name) :]
        if not re.match(r"^(?:\s*,|\s+[^\W\d_A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ])", tail):
            continue
        full = expand_name(name, names, pos)
        if " " in full:
            return full
    return None


_LOWER_WORD = re.compile(r"[\w'’-]+")


def lowercase_words(text: str) -> frozenset[str]:
    """The words ``text`` writes in lowercase somewhere, found once per document (searching
    the whole text again for every quote made the extractor quadratic)."""
    return frozenset(w for w in _LOWER_WORD.findall(text) if w.islower())


def common_nouns(text: str, lang: str) -> frozenset[str]:
    """Capitalised words ``text`` puts after a determiner (``die Beziehungen``, ``ihr
    Sprecher``), for languages that capitalise every noun (their lexicon lists
    ``determiners``): such a word alone is a noun, never a speaker's name."""
    determiners = lexicon_words("determiners", lang)
    if not determiners or lang not in lexicon_languages():
        return frozenset()
    found = re.findall(r"(?<![\w'’-])(\w+)\s+(?:[^\W\d_]+\s+){0,2}?([A-ZÄÖÜ][\w-]*)", text)
    return frozenset(noun for det, noun in found if det.casefold() in determiners)


def not_a_name(name: str, nouns: frozenset[str]) -> bool:
    """A speaker of one word that is a common noun of the text (German capitals) or a role
    or unnamed-source word of any language (``Sprecher``, ``Einwechselspieler``)."""
    if " " in name:
        return False
    word = name.casefold()
    return name in nouns or word in all_words("anonymous") or bool(ROLE_NOUN.match(name))


def _reported_speaker(sent: str, lang: str, names: NameIndex, pos: int) -> str | None:
    """The speaker of reported speech in ``sent``: an attribution that ends it (``…, заявив
    представник розвідки Андрій Юсов.``) or a name before ``said that`` (``Lee said that``,
    ``X a affirmé que``): whom a following ``he said`` most likely means."""
    conjunctions = lexicon_words("reported_speech", lang)
    for m in verb_pattern(lang).finditer(sent):
        head, rest = sent[: m.start()].rstrip(), sent[m.end() :]
        if head.endswith((",", "—", "–")):
            name = speaker_after_verb(rest)
            ends = (
                name is not None
                and name in rest
                and not rest[rest.find(name) + len(name) :].strip(" .!?;")
            )
            if ends and name and " " in name and person_like(name):
                return name
        first = WORD.match(rest.lstrip())
        if first and first.group().casefold() in conjunctions:
            name = name_at_end(head)
            if name and not object_name(head, name):
                full = expand_name(name, names, pos)
                if " " in full and person_like(full):
                    return full
    return None


def role_subject(before: str) -> str | None:
    """``Папа закликає до «…»``, ``El presidente del COI expresó que … "…"``: the role that
    opens the quote's sentence as its subject, if one does."""
    head = re.split(r"(?<=[.!?])\s+|\n", before)[-1].strip()
    words = WORD.findall(head)[:2]
    if words and words[0].casefold() in DEFINITE and len(words) > 1:
        words = words[1:]
    if (
        words
        and head[:1].isupper()
        and (
            words[0].casefold() in TITLES
            or words[0].casefold() in ROLES
            or ROLE_NOUN.match(words[0])
        )
    ):
        return words[0]
    return None


def role_fits(role: str, name: str, names: NameIndex, pos: int) -> bool:
    """The article introduced ``name`` with ``role`` (``el presidente del COI, el español
    Juan Antonio Samaranch``): the role then refers to that speaker, not to someone new.
    Only the runs that end with the surname are looked at, and 80 characters before each."""
    last = name.split()[-1]
    role_re = re.compile(rf"(?<!\w){re.escape(role)}(?!\w)", re.IGNORECASE)
    return any(
        role_re.search(names.text, max(0, names.runs[i][0] - 80), names.runs[i][1])
        for i in names.near(names.by_last.get(last), pos)[-8:]
    )


def recent_subject(
    before: str, nouns: frozenset[str], lang: str, names: NameIndex, pos: int
) -> str | None:
    """Whom a pronoun speaker (``he said``, ``écrit-elle``) refers to: the subject of the
    latest sentence, in the last few before the quote, that has a person's full name as its
    subject (``Chief executive Melissa Hart said …``, ``…, l'historienne Anne Delorme
    revient …``), rather than the last name said anywhere (a place, a body, an object)."""
    articles = lexicon_words("definite", lang) | lexicon_words("indefinite", lang)
    sentences = re.split(r"(?<=[.!?:])\s+", before[-1500:].strip())
    for sent in reversed(sentences[-4:]):
        reported = _reported_speaker(sent, lang, names, pos)
        if reported:
            return reported
        for at, words in name_runs(sent):
            if len(sent[:at].split()) > 20:
                break
            tail = sent[at + len(" ".join(words)) :]
            if (
                OBJECT_BEFORE.search(sent[:at])
                or ARTICLE_BEFORE.search(sent[:at])
                or re.search(r"['’]s?$", words[-1])  # ``South Korea's foreign minister``
                or any(w in nouns for w in words)
            ):
                continue
            if not re.match(r"^[\s,]*(?:[^\W\d_A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]|,)", tail):
                continue
            after = WORD.match(tail.lstrip(" ,"))
            if tail.lstrip().startswith(",") and after and after.group().casefold() in articles:
                continue  # ``about his coach, Marta Lindqvist, the 24-year-old was``
            name = clean_name(words)
            if name and " " in name and person_like(name):
                return name
    return None


def trim_common(name: str, lowercase: frozenset[str]) -> str | None:
    """Drop a sentence-initial word the text also uses in lowercase (``Auch Howard`` ->
    ``Howard``; ``Nach`` alone -> nothing): capitals that only start a sentence."""
    words = name.split()
    while words and words[0].lower() in lowercase:
        words = words[1:]
    return " ".join(words) or None


def role_named(role: str, names: NameIndex, pos: int) -> str | None:
    """``сказав папа`` -> ``Папа Франциск`` when the article named him with that word."""
    key = role.casefold()
    for i in reversed(names.near(names.by_word.get(key), pos)):
        words = names.runs[i][2]
        rest = [w for w in words if w.casefold() != key and w.lower() not in STOP]
        if rest:
            return _clean_run(words)
        # ``Губернатор области Андрей Полозов``: the role, a few words, then the name
        if i + 1 < len(names.runs) and names.runs[i + 1][0] - names.runs[i][1] <= 40:
            name = _clean_run(names.runs[i + 1][2])
            if name and " " in name and person_like(name) and names.runs[i + 1][1] <= pos:
                return name
        return None
    # ``Губернатор области Андрей Полозов`` (the role is not part of a run of capitals)
    if key not in TITLES and not ROLE_NOUN.match(role):
        return None  # ``nous assure``: a verb, not a role
    window_start = max(0, pos - CONTEXT)
    mentions = list(
        re.finditer(rf"(?<!\w){re.escape(role)}(?!\w)", names.text[window_start:pos], re.I)
    )
    for found in reversed(mentions[-8:]):
        after_role = window_start + found.end()
        i = bisect_left(names.runs, after_role, key=lambda r: r[0])
        if i < len(names.runs) and names.runs[i][0] - after_role <= 40 and names.runs[i][1] <= pos:
            name = _clean_run(names.runs[i][2])
            if name and " " in name and person_like(name):
                return name
    return None
