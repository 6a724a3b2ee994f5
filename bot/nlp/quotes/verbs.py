"""The attribution vocabulary compiled from the lexicons: reporting verbs, pronouns,
according-to phrases, agencies, unnamed sources. Patterns only; the rules that use them
live in ``attribution``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.quotes.names import DEFINITE, ROLE_NOUN, TITLES, WORD
from bot.nlp.quotes.wordlists import alternation, lexicon, lexicon_languages, lexicon_words, union

CALLING = re.compile(rf"(?<!\w)(?:{alternation(union('naming_verbs'))})(?!\w)", re.IGNORECASE)
"""Verbs that take someone's words as a name for something (``what he called “…”``)."""


def _own_verbs(lang: str) -> str | None:
    """``lang``'s reporting verbs as one alternation: its finite forms, and its participles
    after an auxiliary where the lexicon lists them (``a déclaré``, ``a également ajouté``)."""
    lx = lexicon(lang)
    parts: list[str] = []
    if lx.get("reporting_participles"):
        aux = alternation(lx.get("auxiliaries", ()))
        adverbs = alternation(lx.get("auxiliary_adverbs", ()))
        adverb = rf"(?:\s+(?:{adverbs}))?" if adverbs else ""
        parts.append(rf"(?:{aux}){adverb}\s+(?:{alternation(lx['reporting_participles'])})")
    if lx.get("reporting_verbs"):
        parts.append(alternation(lx["reporting_verbs"]))
    return "|".join(parts) or None


@lru_cache(maxsize=32)
def verb_source(lang: str) -> str:
    """Attribution verbs of ``lang`` (every language's for one we have no list for)."""
    own = _own_verbs(lang)
    if own:
        return f"(?:{own})"
    return "(?:" + "|".join(v for c in lexicon_languages() if (v := _own_verbs(c))) + ")"


@lru_cache(maxsize=32)
def verb_pattern(lang: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){verb_source(lang)}(?!\w)", re.IGNORECASE)


_FR = lexicon("fr")

FR_INVERTED = re.compile(
    rf"^(?:(?:a|avait|aurait)-t-(?:il|elle|on)|(?:ont|avaient)-(?:ils|elles))\s+(?:\w+\s+)?"
    rf"(?:{alternation(_FR.get('reporting_participles', ()))})"
    rf"|^(?:{alternation(_FR.get('reporting_verbs', ()))})-(?:t-)?(?:il|elle|ils|elles|on)(?!\w)",
    re.IGNORECASE,
)
"""French inverted attribution (``a-t-il ajouté``, ``dit-elle``): French grammar, French words."""

PRONOUN = re.compile(rf"^(?:{alternation(union('pronouns'))})(?!\w)", re.IGNORECASE)

FR_PRONOUN_END = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)\s*$", re.IGNORECASE)

ACCORDING = re.compile(rf"(?:{alternation(union('according_to'))})\s+$", re.IGNORECASE)

RELATIVE = re.compile(rf",\s*(?:{alternation(union('relative_pronouns'))})\s+$", re.IGNORECASE)

CLAUSE_END = re.compile(r"[.;:!?«»“”„\"(\n]|\s[—–]\s")


@dataclass(frozen=True)
class Attribution:
    speaker: str | None
    named: bool
    """A named main-clause speaker, which later pronouns and roles refer back to."""
    anonymous: bool = False
    """The text says who spoke without naming them (``a senior official said``, ``sagte ein
    Sprecher``, ``업계 관계자는``): no name is shown, and none is borrowed from earlier."""


ANON = Attribution(None, False, anonymous=True)


@lru_cache(maxsize=1)
def _agency_re() -> re.Pattern[str]:
    names = sorted(
        {w for code in lexicon_languages() for w in lexicon(code).get("agencies", ())},
        key=len,
        reverse=True,
    )
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w'’-])")


def agency_at(s: str) -> str | None:
    """A news agency named at the start of ``s``, after lowercase words only (``KCNA``,
    ``the state agency KCNA``, ``l’agence Yonhap``, ``РИА Новости``): agencies speak for
    the outlets that quote them."""
    m = _agency_re().search(s[:80])
    if not m or re.search(r"[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ.,;:!?«»“”„\"]", s[: m.start()]):
        return None
    return m.group().removeprefix("l'")


ACCORDING_AGENCY = re.compile(rf"(?:{alternation(union('according_to_agency'))})\s+", re.IGNORECASE)


def role_head(head: str) -> bool:
    """``La ministre``, ``the minister``, ``der Kanzler`` right before a reporting verb: a
    role that refers to someone the article named."""
    words = head.split()
    if len(words) < 2 or words[-2].casefold() not in DEFINITE:
        return False
    last = words[-1].strip(",;:")
    return last.casefold() in TITLES or bool(ROLE_NOUN.match(last))


def is_anonymous(phrase: str, lang: str) -> bool:
    """``a senior official in Kyiv``, ``ein Manager des Konzerns``, ``un portavoz``,
    ``речник прокуратури``: a speaker described, not named (an indefinite article, or one
    of the language's unnamed-source nouns near the start)."""
    words = [w.casefold() for w in WORD.findall(phrase[:120])][:6]
    if not words:
        return False
    if words[0] in lexicon_words("indefinite", lang):
        return True
    return any(w in lexicon_words("anonymous", lang) for w in words[:4])


SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])\s+(?=[A-ZА-ЯЁІЇЄҐ«“„\"])|(?<=[a-zа-яёіїєґ]{2}[.!?])(?=[A-ZА-ЯЁІЇЄҐ][a-zа-яёіїєґ])"
    r"|\s--\s+(?=[A-Z])"
)
"""A sentence ends at a full stop before a capital, with or without the space (crawled
text that lost its line breaks: ``… security.After the …``), and a wire digest's items at
`` -- `` (``Kim vows '…' -- South Korea's spy agency calls …``)."""

ACCORDING_ANY = re.compile(
    rf"(?<!\w)(?i:{alternation(union('according_to_any'))})\s+"
    r"((?:[^\W\d][\w'’.-]*\s+){0,3}?[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*){0,3})"
    r"|(?<![\w'’.-])([A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*){0,3})\s+"
    rf"(?:{alternation(union('according_to_after'))})"
)

ACCORDING_SOURCE = re.compile(
    rf"(?:^|,)\s*(?:{alternation(union('according_to'))})\s+"
    rf"(?!(?:{alternation(union('stressed_pronouns'))})(?!\w))\w",
    re.IGNORECASE,
)
"""An according-to phrase opening the quote's sentence or a clause of it: when it names no
one (``Selon des sources militaires, …``, ``…, згідно з французькими військовими, США
«…»``), the source is described, not named, and lends no name. A pronoun (``Pour elle``)
is someone named before."""

ACCORDING_BEFORE = re.compile(
    rf"(?<!\w)(?:{alternation(union('according_to'))})\s+(.{{2,60}}?)[,:]?\s*$", re.IGNORECASE
)

INVERTED_PRONOUN = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on)(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=32)
def incise_re(lang: str) -> re.Pattern[str]:
    who = rf"(?:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]|(?:{alternation(union('subject_pronouns'))})(?!\w))"
    return re.compile(
        rf"(?P<cut>[,.!?…]?\s*(?:[—–]|,))\s*"
        rf"(?P<attr>(?<!\w){verb_source(lang)}(?:(?:-t)?-(?:il|elle|ils|elles|on))?(?!\w)"
        rf"(?:\s+{who}[^,—–.!?«»“”„\"]{{0,80}}?)?)"
        rf"\s*(?:[,.]?\s*[—–]\s*,?|,)\s*(?=\w)",
        re.IGNORECASE,
    )


@lru_cache(maxsize=32)
def incise_between(lang: str) -> re.Pattern[str]:
    """The text between two quotes that is only an attribution set off by commas or dashes
    (``, sagte er, ``, ``, — добавил он, — ``)."""
    return re.compile(
        rf"^\s*[,.]?\s*[—–]?\s*(?:\S+\s+){{0,2}}?(?<!\w){verb_source(lang)}(?!\w)"
        rf"[^.!?«»“”„\"]{{0,40}}?[,.]?\s*[—–]?\s*$",
        re.IGNORECASE,
    )


@lru_cache(maxsize=32)
def according_pronoun(lang: str) -> re.Pattern[str]:
    phrases = lexicon(lang).get("according_to_pronoun") or union("according_to_pronoun")
    return re.compile(rf"(?<!\w)(?:{alternation(tuple(map(re.escape, phrases)))})(?!\w)", re.I)
