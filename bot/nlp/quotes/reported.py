"""Reported speech: a quote with no attribution of its own that continues someone's reported
words, and speech whose opening mark is missing or never used."""

from __future__ import annotations

import re

from bot.nlp.quotes.attribution import attribution_after, attribution_at
from bot.nlp.quotes.morphology import can_be_subject
from bot.nlp.quotes.names import (
    ACRONYM,
    ARTICLE_BEFORE,
    DEFINITE,
    OBLIQUE,
    PREPOSITION_BEFORE,
    WORD,
    clean_name,
    fragment,
    name_runs,
    person_like,
)
from bot.nlp.quotes.spans import Raw
from bot.nlp.quotes.speakers import NameIndex, expand_name
from bot.nlp.quotes.verbs import FR_INVERTED, INVERTED_PRONOUN, PRONOUN, verb_pattern
from bot.nlp.quotes.wordlists import lexicon_words

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
"""Where the rest of a quote's sentence ends, in the text after its closing mark."""


def _reported_mood(sentence: str, lang: str) -> bool:
    """A sentence in the mood of reported speech (German ``Ziel sei``, ``es gebe``): its
    words are someone's, told by the paper."""
    mood = lexicon_words("reported_mood", lang)
    return bool(mood) and any(w.casefold() in mood for w in WORD.findall(sentence))


REPORTED_SENTENCES = 4

REPORTED_CHARS = 900
"""Sentences (at most this many characters) read back from an unattributed quote for the
attribution of the reported speech it continues."""


def continues_reported(before: str, quoted: str, after: str, lang: str) -> bool:
    """A quote with no attribution that can only be the voice of the reported speech
    around it: a statement standing as its own sentence (``„Sie kann sich … durchsetzen“,
    wie aktuell Polen …``), or any quote in a German sentence in the subjunctive (``Ziel
    sei, Russland zu „destabilisieren“``). Not a quote inside a sentence about someone
    else (``Papa закликає до «…»``), and not one whose sentence goes on to an attribution
    the rules do not read (``", est-il précisé dans le communiqué``)."""
    head = re.split(r"(?<=[.!?])\s+|\n", before)[-1]
    rest = _SENTENCE_END.split(after, 1)[0]
    if verb_pattern(lang).search(rest) or INVERTED_PRONOUN.search(rest):
        return False
    if _reported_mood(head + " " + rest, lang):
        return True
    return not head.strip() and not fragment(quoted)


def reported_voice(before: str, lang: str, names: NameIndex, pos: int) -> str | None:
    """Who is speaking in the reported speech a quote with no attribution of its own
    continues: ``…, urteilte Bossong. Offenbar gebe es eine „…“``, ``Der Präsident hat
    erklärt, … Ziel sei, Russland zu „destabilisieren“``. The nearest of the few sentences
    before it that has a reporting verb decides: the person named as that verb's subject,
    in full as the article gives it, or no one (an unnamed source, a pronoun)."""
    sentences = re.split(r"(?<=[.!?])\s+|\n", before[-REPORTED_CHARS:].strip())[:-1]
    for sent in reversed([s for s in sentences if s.strip()][-REPORTED_SENTENCES:]):
        verbs = list(verb_pattern(lang).finditer(sent))
        if not verbs:
            continue
        m = verbs[0]
        head = sent[: m.start()].rstrip()
        name: str | None = None
        if head.endswith((",", "—", "–")):  # ``…, urteilte Bossong.``
            found = attribution_at(sent[m.start() :], lang)
            name = found.speaker if found else None
        else:  # ``Der ukrainische Präsident Selenskyj hat erklärt, …``
            name = _subject_before(head, lang)
        if not name:
            return None
        full = expand_name(name, names, pos)
        return full if " " in full and person_like(full) else None
    return None


def _subject_before(head: str, lang: str) -> str | None:
    """The person's name nearest before a verb that no preposition or article governs
    (``Der ukrainische Präsident Selenskyj hat``), or None when that nearest name is a
    body or a place: an older name further back is not the subject."""
    if PRONOUN.search(head.split()[-1] if head.split() else ""):
        return None
    for at, words in reversed(name_runs(head)):
        lead = head[max(0, at - 8) : at]
        prev = lead.split()[-1].casefold() if lead.split() else ""
        if PREPOSITION_BEFORE.search(lead) or ARTICLE_BEFORE.search(lead) or prev in DEFINITE:
            continue
        name = clean_name(words)
        if not name or ACRONYM.match(name):
            continue
        if person_like(name) and not OBLIQUE.search(name) and can_be_subject(name, lang):
            return name
        return None
    return None


def subject_of_reported(sent: str, lang: str) -> str | None:
    """``Макрон выступил … и сказал, что пришло время «…»``: a quote inside reported speech
    belongs to the subject of the reporting verb, the nearest person's name before it that
    no preposition governs and no oblique ending marks as an object."""
    conjunctions = lexicon_words("reported_speech", lang)
    verbs = list(verb_pattern(lang).finditer(sent))
    for m in reversed(verbs):
        first = WORD.match(sent[m.end() :].lstrip(" ,"))
        if not first or first.group().casefold() not in conjunctions:
            continue
        head = sent[: m.start()]
        for at, words in reversed(name_runs(head)):
            lead = head[max(0, at - 8) : at]
            prev = lead.split()[-1].casefold() if lead.split() else ""
            if PREPOSITION_BEFORE.search(lead) or ARTICLE_BEFORE.search(lead) or prev in DEFINITE:
                continue  # ``с премьер-министром Греции``, ``the Greek prime minister``
            name = clean_name(words)
            if (
                name
                and person_like(name)
                and not OBLIQUE.search(name)
                and can_be_subject(name, lang)
            ):
                return name
        return None
    return None


_UNOPENED = re.compile(
    r"^\s*+(?P<q>[^«»“”\"„]{12,}?)"
    r"(?:[\"»”]\s*,?\s*(?=(?:[—–]|--?)?\s*\w)|,\s*(?=(?:[—–]|--?)\s*\w))"
)
"""Speech whose opening mark is missing: its closing mark, or a comma and a dash, then the
attribution (a comma alone is any sentence: ``…, сообщает ТАСС`` is reported speech)."""


def unopened_speech(para: str, lang: str) -> Raw | None:
    """A paragraph of speech whose opening mark was lost or never used: ``…, - сказал
    понтифик``; ``… ", dit-elle.``"""
    if not para.strip() or any(c in para for c in "«“„"):
        return None
    m = _UNOPENED.match(para)
    if not m:
        return _unmarked_first_person(para, lang)
    tail = re.sub(r"^[\"»”]", "", para[m.end("q") : m.end("q") + 200])  # the lone closing mark
    if not (
        attribution_after(tail, lang) or FR_INVERTED.match(re.sub(r"^[\s,\"»”—–-]*", "", tail))
    ):
        return None
    return Raw(m.start("q"), m.end("q"), m.end("q") + 1)


_UNMARKED = re.compile(r"^\s*(?P<q>\S[^\n]{20,}?),\s+(?P<attr>[^,.!?«»“”\"\n]{2,60}[.!]?)\s*$")

_FIRST_PERSON_SPLIT = re.compile(r"['’]")


def _first_person(speech: str, lang: str) -> bool:
    """Words of the speaker's own (``J'ai trouvé``, ``we``, ``мы``): reported speech is told
    in the third person, so a first person outside quotation marks is someone's own words."""
    words = lexicon_words("first_person", lang)
    for token in WORD.findall(speech):
        if len(token) > 1 and token.isupper():
            continue  # ``US``, ``MI``: an abbreviation
        if _FIRST_PERSON_SPLIT.split(token.casefold())[0] in words:
            return True
    return False


def _unmarked_first_person(para: str, lang: str) -> Raw | None:
    """``J'ai trouvé que c'était insultant, …, dit-elle.``: a paragraph of speech in the
    first person with no quotation marks at all, closed by an attribution after its last
    comma (an inverted ``dit-elle``, ``said Hamilton``, ``сказал он``)."""
    m = _UNMARKED.match(para)
    if not m or len(m.group("q").split()) < 5:
        return None
    attr = m.group("attr")
    if not (FR_INVERTED.match(attr) or attribution_at(attr, lang)):
        return None
    if not _first_person(m.group("q"), lang):
        return None
    return Raw(m.start("q"), m.end("q"), m.end("q"))
