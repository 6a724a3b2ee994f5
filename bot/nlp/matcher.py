"""Find watchlist items in one document: ``match(title, text, watchlist, language)``.

A pure function of its inputs (the only state is caches). Each watchlist is compiled once
per language: its phrases into a word index, and their folded stems into one Aho-Corasick
automaton, the prefilter that lets most documents skip spaCy entirely.

Scoring, so an admin can tune ``min_score``: each hit weighs 3 in the title, 2 in the lead
(the first two sentences after it), 1 elsewhere. A topic counts once per sentence (or word
window) where its rule holds.
"""

from __future__ import annotations

import bisect
import re
import threading
import weakref
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from typing import Any

import ahocorasick
import numpy
from spacy.attrs import IDX, IS_PUNCT, ORTH

from bot.models import Match
from bot.nlp.cjk import CJK_RANGES, is_cjk
from bot.nlp.phrases import (
    INFIX_LANGUAGES,
    MEMO_ENTRIES,
    MEMO_WORD_CHARS,
    Hit,
    Phrase,
    PhraseIndex,
    Word,
    WordPattern,
    compile_phrase,
    prefilter_keys,
)
from bot.nlp.pipelines import (
    COMPOUNDING,
    MORPHOLOGY,
    get_pipeline,
    is_configured,
    korean_analyzer,
    lemma_source,
    lookup_lemmas,
    morph_analyzer,
)
from bot.nlp.text import WORD_RE, fold, fold_aligned, fold_mapped, same_length_clean
from bot.nlp.watchlist import ANY_LANGUAGE, Terms, TopicRule, WatchItem, Watchlist

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
LEAD_SENTENCES = 2
LEAD_MAX_CHARS = 600

ALIAS = "alias"
EXCLUDE = "exclude"

# Between the words of one phrase: spaces, hyphens, apostrophes, and quotation marks
# (station «Kurskaya» is the phrase "station Kurskaya").
_JOIN = re.compile(r"[ \t\u00a0\u202f\-'\u2019\u2010\u2011\u00ad\"«»“”„‹›]{0,4}")
_NEWLINES = re.compile(r"\n+")


def _terms_for(terms: Terms, lang: str) -> list[str]:
    """The doc language's phrases plus ``any``; every language's when it has none."""
    if lang in terms and lang != ANY_LANGUAGE:
        return [*terms[lang], *terms.get(ANY_LANGUAGE, [])]
    return [p for phrases in terms.values() for p in phrases]


def _slots(item: WatchItem) -> list[tuple[Hashable, Terms]]:
    slots: list[tuple[Hashable, Terms]] = [(ALIAS, item.aliases), (EXCLUDE, item.exclude)]
    for r, rule in enumerate(item.rules):
        slots += [(("all", r, i), g) for i, g in enumerate(rule.all_of)]
        slots += [(("any", r, i), g) for i, g in enumerate(rule.any_of)]
        slots += [(("none", r, i), g) for i, g in enumerate(rule.none_of)]
    return slots


def _rule_holds(rule: TopicRule, r: int, has: Callable[[Hashable], bool]) -> bool:
    """Rule number ``r`` of an item, given which of its slots are present."""
    return all(has(("all", r, g)) for g in range(len(rule.all_of))) and (
        not rule.any_of or any(has(("any", r, g)) for g in range(len(rule.any_of)))
    )


def _is_rule(slot: Hashable) -> bool:
    return isinstance(slot, tuple) and slot[0] in ("all", "any", "none")


Payload = tuple[int, Hashable, int, int, int, bool]
"""(item index, slot, phrase number, keys in the phrase, key number, must start a word)."""


@dataclass
class _Plan:
    """A watchlist compiled for one document language (or, as the screen, for all)."""

    index: PhraseIndex
    automaton: _Automata | None
    lemma: Callable[[str], str] = field(default=lambda piece: "")
    """The dictionary form of a word as written, when it can match a phrase word; else ''."""
    phrases: list[Phrase] = field(default_factory=list)
    """The phrases behind the automaton's keys, by phrase number."""
    excludes: dict[int, list[Phrase]] = field(default_factory=dict)
    """Each item's exclude phrases, by item number."""
    anchors: list[int] = field(default_factory=list)
    """Each phrase's longest key (its number), by phrase number: where it is checked whole."""


class _Useful:
    """Whether a lemma can change a match: it equals, starts or ends with a phrase word."""

    def __init__(self, index: PhraseIndex) -> None:
        self.exact: set[str] = set()
        self.prefixes: set[str] = set()
        self.suffixes: set[str] = set()
        for bucket in (index.exact, index.prefix, index.suffix):
            for entries in bucket.values():
                for phrase, _tag in entries:
                    for w in phrase.words:
                        {"exact": self.exact, "prefix": self.prefixes, "suffix": self.suffixes}[
                            w.mode
                        ].add(w.value)
        self.tails = {v[i:] for v in self.exact for i in range(1, len(v) - 2)}
        """Ends of phrase words (3+ letters): the heads a compound may end in."""
        self.initials = {v[0] for v in self.exact | self.prefixes if v}
        """First letters of phrase words: an analyser whose lemma keeps the word's first
        letter (inflection at the end: Russian, Ukrainian, Korean) is asked only about
        words starting with one of them."""
        self._verdict: dict[str, bool] = {}
        # one C call each (asked of every lemma of a table at start-up)
        self._starts, self._ends = tuple(self.prefixes), tuple(self.suffixes)

    def __call__(self, lemma: str) -> bool:
        ok = self._verdict.get(lemma)
        if ok is None:
            f = fold(lemma)
            ok = f in self.exact or f.startswith(self._starts) or f.endswith(self._ends)
            if len(self._verdict) < MEMO_ENTRIES:
                self._verdict[lemma] = ok
        return ok


def _useful_lemmas(useful: _Useful, lang: str) -> dict[str, str]:
    """The part of the language's lemma table that can change a match (in a compounding
    language, also heads: forms whose lemma ends a phrase word).

    Forms whose lowercase is kept are kept too (with their own lemma), so that a lookup
    of the form as written, then lowercased, answers exactly as the whole table would.
    """
    kept: dict[str, str] = {}
    others: dict[str, str] = {}
    heads = useful.tails if lang in COMPOUNDING else set()
    for form, lemma in lookup_lemmas(lang):
        if useful(lemma) or (heads and fold(lemma) in heads):
            kept[form] = lemma
        elif form != form.lower():
            others[form] = lemma
    for form, lemma in others.items():
        if form.lower() in kept:
            kept[form] = lemma
    return kept


def _memoised(find: Callable[[str], str], initials: set[str]) -> Callable[[str], str]:
    """``find`` asked once per distinct word (bounded, like ``PhraseIndex``'s memo)."""
    memo: dict[str, str] = {}

    def lemma(piece: str) -> str:
        got = memo.get(piece)
        if got is None:
            got = find(piece) if fold(piece[:1]) in initials else ""
            if len(memo) < MEMO_ENTRIES and len(piece) <= MEMO_WORD_CHARS:
                memo[piece] = got
        return got

    return lemma


def _pymorphy_lemma(lang: str, useful: _Useful) -> Callable[[str], str]:
    """The first dictionary form pymorphy3 gives the word that can match: a form counts as
    an inflection of a phrase word if any of its readings has that word as its lemma
    (``поставленных`` -> поставить, ``надають`` -> надавати, ``Курщині`` -> Курщина)."""
    analyzer = morph_analyzer(lang)

    def find(piece: str) -> str:
        for parse in analyzer.parse(piece):
            if useful(parse.normal_form):
                return str(parse.normal_form)
        return ""

    return _memoised(find, useful.initials)


_KO_NOUN = ("NNG", "NNP", "NNB", "NR", "NP", "SL", "SH", "SN", "XR")
_KO_VERB = ("VV", "VA", "VX")


def _korean_lemma(useful: _Useful) -> Callable[[str], str]:
    """A Korean word's dictionary form from Kiwi's morphemes: its leading nouns without
    the particles and endings (``북한은``, ``북한과`` -> 북한), or a verb stem + 다
    (``보냈다`` -> 보내다). A compound that starts with a phrase word counts as it
    (``북한군``, ``쿠르스크주``) unless Kiwi reads the whole as one proper noun, a name of
    its own (``북한산`` is a mountain); a word never matches from its middle (``태평양``)."""
    kiwi = korean_analyzer()

    def find(piece: str) -> str:
        morphemes = kiwi.morphemes(piece)
        if not morphemes:
            return ""
        form, tag = morphemes[0]
        if tag in _KO_VERB:
            verb = form + "다"
            return verb if useful(verb) else ""
        nouns = []
        for form, tag in morphemes:
            if tag not in _KO_NOUN:
                break
            nouns.append((form, tag))
        if not nouns:
            return ""
        stem = fold("".join(form for form, _ in nouns))
        if useful(stem):
            return stem
        if len(nouns) == 1 and nouns[0][1] == "NNP":
            return ""
        for k in range(len(stem) - 1, 1, -1):
            if stem[:k] in useful.exact:
                return stem[:k]
        return ""

    return _memoised(find, useful.initials)


def _pymorphy_canonical(lang: str, word: str) -> str:
    """The lemma pymorphy3 gives a phrase word: itself when one reading has it as its
    dictionary form, else the first reading's (``Північна`` -> північний, as an adjective's
    dictionary form is its masculine)."""
    forms = [fold(str(p.normal_form)) for p in morph_analyzer(lang).parse(word)]
    return fold(word) if not forms or fold(word) in forms else forms[0]


def _korean_canonical(word: str) -> str:
    """A Korean phrase word as a document word is read: a verb is its stem + 다
    (``보냈다`` -> 보내다), a ``하다`` verb its noun (``공급하다`` -> 공급). A noun stays
    as written: Kiwi may split a name the admin wrote whole (``조선민주주의인민공화국``)."""
    if not word.endswith("다"):
        return fold(word)
    morphemes = korean_analyzer().morphemes(word)
    if not morphemes:
        return fold(word)
    form, tag = morphemes[0]
    if tag in _KO_VERB:
        return fold(form + "다")
    if tag in _KO_NOUN and len(morphemes) > 1 and morphemes[1][1] in ("XSV", "XSA"):
        return fold(form)
    return fold(word)


@lru_cache(maxsize=4096)
def _canonical(lang: str, word: str) -> str:
    source = lemma_source(lang)
    if source == "pymorphy3":
        return _pymorphy_canonical(lang, word)
    if source == "kiwi":
        return _korean_canonical(word)
    return fold(word)


def _compile(source: str, lang: str, rule_term: bool = False) -> Phrase:
    """``compile_phrase``, with each whole word (no ``*``) in the dictionary form the
    language's analyser gives, so that it is compared lemma to lemma with the text's words:
    an admin may write ``Північна Корея`` or ``공급하다``.

    ``rule_term``: in a compounding language a one-word noun of a topic rule (capitalised,
    as German writes nouns) also matches compounds ending in it: the head of a compound
    names what it is (an Artilleriemunition is Munition). Names are never widened so: a
    Weißrusse is not a Russe.
    """
    phrase = compile_phrase(source)
    if (
        rule_term
        and lang in COMPOUNDING
        and len(phrase.words) == 1
        and phrase.words[0].mode == "exact"
        and len(phrase.words[0].value) >= 4
        and source.strip()[:1].isupper()
    ):
        return Phrase(phrase.source, (WordPattern(phrase.words[0].value, "suffix"),))
    if lang not in MORPHOLOGY:
        return phrase
    # The analyser reads the word as written (folding loses ``й``, ``ё``), in the order
    # ``compile_phrase`` found them.
    written = [w for chunk in source.split() for w in WORD_RE.findall(chunk)]
    if len(written) != len(phrase.words):
        return phrase
    words = tuple(
        WordPattern(_canonical(lang, raw), "exact") if w.mode == "exact" else w
        for w, raw in zip(phrase.words, written, strict=True)
    )
    return Phrase(phrase.source, words)


_ADJECTIVE_ENDINGS = ("em", "en", "er", "es", "e")
"""German adjective endings (strong, weak and mixed declension all use these five)."""


def _lemmatizer(index: PhraseIndex, lang: str) -> Callable[[str], str]:
    """How words of ``lang`` get their dictionary forms for this plan (``MORPHOLOGY``)."""
    source = lemma_source(lang)
    if source is None:
        return lambda piece: ""
    useful = _Useful(index)
    if source == "pymorphy3":
        return _pymorphy_lemma(lang, useful)
    if source == "kiwi":
        return _korean_lemma(useful)
    table = _useful_lemmas(useful, lang)

    def lookup(piece: str) -> str:
        # what the lookup lemmatizer would say, then the lowercased form
        return table.get(piece) or table.get(piece.lower()) or ""

    if lang not in COMPOUNDING:
        return lookup

    def compound(piece: str) -> str:
        """A word the table lacks: an adjective phrase word with its ending (``russische``,
        ``nordkoreanischen``: the table has few adjective forms), or modifier + head, where
        the longest head (3+ letters, after a modifier of 3+) the table knows gives the
        lemma (``Artilleriegranaten`` -> artillerie + Granate)."""
        low = piece.lower()
        for ending in _ADJECTIVE_ENDINGS:
            if low.endswith(ending) and fold(low[: -len(ending)]) in useful.exact:
                return low[: -len(ending)]
        for i in range(3, len(piece) - 2):
            head = piece[i:]
            lemma = table.get(head[:1].upper() + head[1:]) or table.get(head)
            if lemma:
                return piece[:i] + lemma.lower()
        return ""

    memo: dict[str, str] = {}

    def lookup_or_compound(piece: str) -> str:
        direct = lookup(piece)
        if direct:
            return direct
        got = memo.get(piece)
        if got is None:
            got = compound(piece)
            if len(memo) < MEMO_ENTRIES and len(piece) <= MEMO_WORD_CHARS:
                memo[piece] = got
        return got

    return lookup_or_compound


def _is_hangul(text: str) -> bool:
    return all("\uac00" <= ch <= "\ud7a3" for ch in text)


def _korean_verb_stems(phrase: Phrase) -> Phrase:
    """What the prefilter looks for in a Korean phrase: a verb's dictionary form (``보내다``)
    shares only its first syllables with what the text writes, because the stem's last
    syllable fuses with the ending (보냈다, 보낸, 넘겼다). So such a word is looked for
    by the syllables before that one, as a prefix (none for a one-syllable stem). A noun
    that happens to end in 다 (캐나다) is only looked for more loosely: never a wrong result."""
    words = tuple(
        WordPattern(w.value[:-2], "prefix")
        if w.mode == "exact"
        and len(w.value) >= 3
        and w.value.endswith("다")
        and _is_hangul(w.value)
        else w
        for w in phrase.words
    )
    return Phrase(phrase.source, words)


class _Keys:
    """Prefilter keys of many phrases, built into one Aho-Corasick automaton."""

    def __init__(self) -> None:
        self.keys: dict[str, list[Payload]] = {}
        self.phrases = 0
        self.phrase_of: list[Phrase] = []
        self.anchors: list[int] = []

    def add(self, ii: int, slot: Hashable, phrase: Phrase, lang: str) -> None:
        if slot == EXCLUDE or (isinstance(slot, tuple) and slot[0] == "none"):
            return  # what only vetoes can never make a document match
        lemmatized = lang == ANY_LANGUAGE or lemma_source(lang) is not None
        infix = lang == ANY_LANGUAGE or lang in INFIX_LANGUAGES
        looked_for = _korean_verb_stems(phrase) if lemma_source(lang) == "kiwi" else phrase
        keys = prefilter_keys(looked_for, lemmatized, infix, lang in MORPHOLOGY)
        for k, (key, word_start) in enumerate(keys):
            self.keys.setdefault(key, []).append((ii, slot, self.phrases, len(keys), k, word_start))
        self.phrases += 1
        self.phrase_of.append(phrase)
        self.anchors.append(max(range(len(keys)), key=lambda k: len(keys[k][0])) if keys else 0)

    def automaton(self) -> _Automata | None:
        if not self.keys:
            return None
        values: dict[str, Any] = {}
        for key, payloads in self.keys.items():
            # What a phrase of one key makes present, as sets: most keys are such, and a
            # set union in C beats a Python loop over every payload of every occurrence.
            at_start = frozenset((p[0], p[1]) for p in payloads if p[3] == 1 and p[5])
            anywhere = frozenset((p[0], p[1]) for p in payloads if p[3] == 1 and not p[5])
            multi = tuple(p for p in payloads if p[3] > 1)
            # where a phrase is checked whole (``_located``): at its longest key only
            anchored = tuple(p for p in payloads if p[4] == self.anchors[p[2]])
            values[key] = (key, tuple(payloads), at_start, anywhere, multi, anchored)
        return _Automata(values)


_SCRIPTS = (
    re.compile("[\u0400-\u052f]"),  # Cyrillic
    re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"),  # Hangul
    re.compile(f"[{CJK_RANGES}]"),  # ideographs and kana
)
_BEYOND_LATIN = re.compile("[\u0400-\uffff]")
"""A text without any of these has none of the scripts above (checked in one pass)."""


class _Automata:
    """Aho-Corasick automata over the keys, one per script their first letter is in,
    each run only on a text that has that script at all (Latin and the rest: always).

    One automaton over every language's keys starts from a root with some 150 branches
    (Latin, Cyrillic, Hangul, ideographs), and pyahocorasick looks a character up among
    them one by one: scanning a text cost five times what it does with the Latin keys
    alone. Hits come script by script, not in text order.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        by_script: dict[re.Pattern[str] | None, Any] = {}
        for key, value in values.items():
            script = next((p for p in _SCRIPTS if p.match(key)), None)
            automaton = by_script.get(script)
            if automaton is None:
                automaton = by_script[script] = ahocorasick.Automaton()
            automaton.add_word(key, value)
        for automaton in by_script.values():
            automaton.make_automaton()
        self.groups = list(by_script.items())

    def iter(self, haystack: str) -> Iterator[tuple[int, Any]]:
        if len(self.groups) == 1:
            return self.groups[0][1].iter(haystack)
        latin = haystack.isascii() or not _BEYOND_LATIN.search(haystack)
        return chain.from_iterable(
            automaton.iter(haystack)
            for script, automaton in self.groups
            if script is None or not latin and script.search(haystack)
        )


def _build_plan(watchlist: Watchlist, lang: str) -> _Plan:
    index = PhraseIndex()
    keys = _Keys()
    excludes: dict[int, list[Phrase]] = {}
    for ii, item in enumerate(watchlist.items):
        for slot, terms in _slots(item):
            for source in _terms_for(terms, lang):
                phrase = _compile(source, lang, _is_rule(slot))
                index.add(phrase, (ii, slot))
                keys.add(ii, slot, phrase, lang)
                if slot == EXCLUDE:
                    excludes.setdefault(ii, []).append(phrase)
    lemma = _lemmatizer(index, lang)
    return _Plan(index, keys.automaton(), lemma, keys.phrase_of, excludes, keys.anchors)


def _build_screen(watchlist: Watchlist) -> _Plan:
    """One automaton over the keys of every language's phrases, to run before we even know
    the document's language; each key is as loose as its own language's plan needs."""
    keys = _Keys()
    for ii, item in enumerate(watchlist.items):
        for slot, terms in _slots(item):
            for lang, sources in terms.items():
                for source in sources:
                    keys.add(ii, slot, _compile(source, lang, _is_rule(slot)), lang)
    return _Plan(PhraseIndex(), keys.automaton())


@dataclass
class _Compiled:
    """Plans per language. Holds no reference to the watchlist, so the cache cannot keep it alive."""

    plans: dict[str, _Plan] = field(default_factory=dict)
    screen: _Plan | None = None

    def plan(self, watchlist: Watchlist, lang: str) -> _Plan:
        plan = self.plans.get(lang)
        if plan is None:
            plan = self.plans[lang] = _build_plan(watchlist, lang)
        return plan

    def language_free(self, watchlist: Watchlist) -> _Plan:
        if self.screen is None:
            self.screen = _build_screen(watchlist)
        return self.screen


_cache: dict[int, tuple[weakref.ref[Watchlist], _Compiled]] = {}
_cache_lock = threading.Lock()


def _compiled(watchlist: Watchlist) -> _Compiled:
    """One compilation per watchlist object, dropped when the watchlist is."""
    key = id(watchlist)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None and entry[0]() is watchlist:
            return entry[1]

        def _drop(
            ref: weakref.ref[Watchlist], key: int = key, cache: dict[int, Any] = _cache
        ) -> None:
            current = cache.get(key)
            if current is not None and current[0] is ref:
                del cache[key]

        compiled = _Compiled()
        _cache[key] = (weakref.ref(watchlist, _drop), compiled)
        return compiled


def haystack_of(title: str, text: str) -> str:
    """The folded text the prefilter scans: title and body (a repeated title is harmless)."""
    t = title.strip()
    return fold(text if not t or text.lstrip().startswith(t) else f"{t}\n{text}")


def could_match(watchlist: Watchlist, haystack: str) -> bool:
    """Whether any item might match a document whose folded text is ``haystack``.

    Language-free, so a document that cannot match skips language detection and spaCy:
    one Aho-Corasick pass over every language's alias stems. False means no item can
    match in any language; True only means the full matcher must look.
    """
    if not watchlist.items:
        return False
    screen = _compiled(watchlist).language_free(watchlist)
    return bool(_candidates(screen, watchlist, haystack))


def _boundary(before: str) -> bool:
    """Whether a word can start after the character ``before``: after anything but a letter
    or digit, and after an ideograph or kana, which is a word of its own (交付HIMARS)."""
    return not before.isalnum() or is_cjk(before)


def _candidates(plan: _Plan, watchlist: Watchlist, haystack: str) -> set[Hashable]:
    """Tags (item, slot) worth looking for: items the prefilter cannot rule out."""
    return _wanted(watchlist, _present(plan, haystack))


Confirm = Callable[[int, int, int], bool]
"""(start of a key occurrence, phrase number, item number) -> whether the phrase stands
whole there."""


def _present(plan: _Plan, haystack: str) -> set[tuple[int, Hashable]]:
    """(item, slot) pairs with a phrase all of whose keys occur."""
    present: set[tuple[int, Hashable]] = set()
    if plan.automaton is None:
        return present
    partial: dict[int, set[int]] = {}
    # A key met again adds nothing (what it adds is a set union, and a phrase's keys are
    # counted once), unless it now starts a word where it did not before: a text repeats
    # its words (``for``, ``des``, ``від``; ``newsbot bench``: 44 key occurrences a
    # document, 4 distinct).
    at_starts: set[str] = set()
    inside: set[str] = set()
    for end, (key, _payloads, at_start, anywhere, multi, _anchored) in plan.automaton.iter(
        haystack
    ):
        if key in at_starts:
            continue
        start = end - len(key) + 1
        # _boundary, inlined: this loop runs for every key occurrence of every document
        at_word_start = start == 0 or not (c := haystack[start - 1]).isalnum() or is_cjk(c)
        if at_word_start:
            at_starts.add(key)
        elif key in inside:
            continue
        else:
            inside.add(key)
        if at_word_start:
            present |= at_start
        present |= anywhere
        for ii, slot, pid, nkeys, k, word_start in multi:
            if (ii, slot) in present or not (at_word_start or not word_start):
                continue
            seen = partial.setdefault(pid, set())
            seen.add(k)
            if len(seen) == nkeys:
                present.add((ii, slot))
    return present


def _wanted_if(
    watchlist: Watchlist, holds: Callable[[int, int, TopicRule], bool], found: Container[Any]
) -> set[Hashable]:
    """Every slot of each item whose alias was ``found`` or one of whose rules ``holds``
    (item index, rule index, rule): what the matcher then looks for."""
    wanted: set[Hashable] = set()
    for ii, item in enumerate(watchlist.items):
        if (ii, ALIAS) in found or any(holds(ii, r, rule) for r, rule in enumerate(item.rules)):
            wanted.update((ii, slot) for slot, _ in _slots(item))
    return wanted


def _wanted(watchlist: Watchlist, present: set[tuple[int, Hashable]]) -> set[Hashable]:
    return _wanted_if(
        watchlist,
        lambda ii, r, rule: _rule_holds(rule, r, lambda slot: (ii, slot) in present),
        present,
    )


def _is_word_char(c: str) -> bool:
    return c.isalnum() or "\u0300" <= c <= "\u036f"


_GAP_MAX = 5
"""The most characters ``_JOIN`` lets between two words of a phrase, with an initial's dot."""


def _joins(gap: str, norm: str) -> bool:
    """Whether ``_analyse`` joins a word (folded: ``norm``) to the next across ``gap``."""
    if gap == " ":
        return True
    if len(norm) <= 2:
        gap = gap.replace(".", "", 1)
    return _JOIN.fullmatch(gap) is not None


Fits = Callable[[int, int, int], bool]
"""(phrase word number, start, end of a text word) -> whether that word can be it."""


class _Around:
    """The words of a text cut as ``_analyse`` cuts them (``WORD_RE``), found around an
    offset on demand, so that a key occurrence is checked as a whole phrase, with its
    neighbours, without spaCy: a near miss (``Kurskorrektur``, ``reçu des``, ``arms race``)
    then costs a few dictionary look-ups instead of a tokenised document.

    ``folded`` is ``fold_aligned(text)`` (None when the fold is not one letter per letter:
    each word is then folded on its own); ``lemma`` the plan's dictionary form of a word
    as written.
    """

    def __init__(self, text: str, folded: str | None, lemma: Callable[[str], str]):
        self.text = text
        self.folded = folded
        self.lemma = lemma
        self._norms: dict[int, str] = {}
        self._lemmas: dict[int, str] = {}

    def word_at(self, pos: int) -> tuple[int, int]:
        """(start, end) of the word holding ``pos``."""
        t = self.text
        left = pos
        # An ideograph or kana is a word of its own: never walk into or across one.
        if not is_cjk(t[pos]):
            while left > 0 and _is_word_char(t[left - 1]) and not is_cjk(t[left - 1]):
                left -= 1
        m = WORD_RE.match(t, left)
        return left, (m.end() if m else pos + 1)

    def next(self, start: int, end: int) -> tuple[int, int] | None:
        """The word after ``start:end``, if ``_analyse`` would join the two."""
        t = self.text
        j, stop = end, min(len(t), end + _GAP_MAX + 1)
        while j < stop and not _is_word_char(t[j]):
            j += 1
        if j >= stop or not _joins(t[end:j], self.norm(start, end)):
            return None
        m = WORD_RE.match(t, j)
        return (j, m.end()) if m else None

    def prev(self, start: int) -> tuple[int, int] | None:
        """The word before the one starting at ``start``, if ``_analyse`` would join the two."""
        t = self.text
        j, stop = start, max(0, start - _GAP_MAX - 1)
        while j > stop and not _is_word_char(t[j - 1]):
            j -= 1
        if j == 0 or not _is_word_char(t[j - 1]):
            return None
        left, right = self.word_at(j - 1)
        return (left, right) if _joins(t[right:start], self.norm(left, right)) else None

    def norm(self, start: int, end: int) -> str:
        """The folded form of a word, as ``_analyse`` gives it."""
        if self.folded is not None:
            return self.folded[start:end]
        norm = self._norms.get(start)
        if norm is None:
            norm = self._norms[start] = fold(self.text[start:end])
        return norm

    def forms(self, start: int, end: int) -> tuple[str, str]:
        """(folded form, folded lemma) of a word, as ``_analyse`` gives them."""
        norm = self.norm(start, end)
        lemma = self._lemmas.get(start)
        if lemma is None:
            found = self.lemma(self.text[start:end])
            lemma = self._lemmas[start] = fold(found) if found else norm
        return norm, lemma

    def phrase_at(
        self, pos: int, n: int, fits: Fits, accept: Callable[[int, int], bool] | None = None
    ) -> bool:
        """Whether an ``n``-word phrase stands here: ``fits`` holds for ``n`` words side by
        side (as ``PhraseIndex.find`` wants them), one of them the word at ``pos``; and
        ``accept`` holds for the offsets of its first and last word, when given."""
        here = self.word_at(pos)
        for j in range(n):
            if not fits(j, *here):
                continue
            first: tuple[int, int] | None = here
            i = j - 1
            while i >= 0 and first is not None:
                first = self.prev(first[0])
                if first is None or not fits(i, *first):
                    first = None
                i -= 1
            if first is None:
                continue
            last: tuple[int, int] | None = here
            i = j + 1
            while i < n and last is not None:
                last = self.next(*last)
                if last is None or not fits(i, *last):
                    last = None
                i += 1
            if last is not None and (accept is None or accept(first[0], last[0])):
                return True
        return False

    def words_between(self, first: int, last: int) -> list[int]:
        """Starts of the words from the one starting at ``first`` to the one at ``last``."""
        out = [first]
        cur = self.word_at(first)
        while cur[0] < last:
            nxt = self.next(*cur)
            if nxt is None:  # only reached through joined words, so never
                break
            cur = nxt
            out.append(cur[0])
        return out


def _in_words(plan: _Plan, around: _Around, excluding: bool = False) -> Confirm:
    """Checks a key occurrence as its whole phrase, word by word with lemmas (``_Around``);
    ``excluding``: and not overlapped by one of its item's exclude phrases (``북한산`` for
    ``북한``, ``arms race``), which would cancel it (``_without_excluded``)."""

    def fitting(phrase: Phrase) -> Fits:
        words = phrase.words

        def fits(i: int, start: int, end: int) -> bool:
            return words[i].matches(*around.forms(start, end))

        return fits

    def whole(pos: int, pid: int, ii: int) -> bool:
        phrase = plan.phrases[pid]
        excludes = plan.excludes.get(ii, ()) if excluding else ()

        def not_excluded(first: int, last: int) -> bool:
            return not any(
                around.phrase_at(at, len(e.words), fitting(e))
                for at in around.words_between(first, last)
                for e in excludes
            )

        accept = not_excluded if excludes else None
        return around.phrase_at(pos, len(phrase.words), fitting(phrase), accept)

    return whole


Located = dict[tuple[int, Hashable], list[tuple[int, int]]]
"""(item, slot) -> (offset, phrase number) of each key occurrence where one of its phrases
stands whole."""


def _located(
    plan: _Plan, haystack: str, whole: Confirm, origin: Sequence[int] | None = None
) -> Located:
    """Where ``whole`` confirms a phrase, by the (item, slot) of the phrase. A phrase is
    checked only where its longest key occurs (every occurrence of the phrase has it, and
    a ``de`` or ``for`` is everywhere), and only when all its keys occur in the text.
    ``origin``: where each character of ``haystack`` comes from in the text, when the
    fold is not one letter per letter; offsets found are the text's."""
    found: Located = {}
    if plan.automaton is None:
        return found
    occurrences: list[tuple[int, bool, tuple[Payload, ...]]] = []
    seen: dict[int, set[int]] = {}  # keys found of each phrase of several keys
    counted: set[tuple[str, bool]] = set()  # a key met again counts nothing new
    for end, (key, _payloads, _at_start, _anywhere, multi, anchored) in plan.automaton.iter(
        haystack
    ):
        start = end - len(key) + 1
        at_word_start = start == 0 or _boundary(haystack[start - 1])
        if anchored:
            occurrences.append((start, at_word_start, anchored))
        if not multi or (key, at_word_start) in counted:
            continue
        counted.add((key, at_word_start))
        for _ii, _slot, pid, _n, k, word_start in multi:
            if at_word_start or not word_start:
                seen.setdefault(pid, set()).add(k)
    for start, at_word_start, anchored in occurrences:
        for ii, slot, pid, nkeys, _k, word_start in anchored:
            if word_start and not at_word_start:
                continue
            if nkeys > 1 and len(seen.get(pid, ())) < nkeys:
                continue
            at = start if origin is None else origin[start]
            if whole(at, pid, ii):
                found.setdefault((ii, slot), []).append((at, pid))
    return found


_FEW = 6
"""Phrase occurrences up to which exclude phrases are checked before spaCy: a near miss
has one or two (the text's only ``Kurs``), and checking a relevant document's dozens would
cost more than it could save; spaCy's result is the same either way."""


def _by_sentence(items: Iterable[WatchItem]) -> bool:
    """Whether every rule among ``items`` works within a sentence (none with word windows)."""
    return all(rule.within == "sentence" for item in items for rule in item.rules)


def _items_of(watchlist: Watchlist, wanted: set[Hashable]) -> list[WatchItem]:
    return [watchlist.items[tag[0]] for tag in wanted if isinstance(tag, tuple) and tag[1] == ALIAS]


class _Reading:
    """One text (the body, or a title read apart) read word by word against a plan, where
    its keys occur: which items may match, and where their phrases stand."""

    def __init__(self, plan: _Plan, watchlist: Watchlist, text: str, folded: str | None) -> None:
        """``folded``: ``fold_aligned(text)``, None for a text whose fold is not one letter
        per letter (``Straße``), which is then scanned through an offset map."""
        self.plan = plan
        self.watchlist = watchlist
        self.around = _Around(text, folded, plan.lemma)
        self.breaks = _breaks(text)
        if folded is None:
            haystack, origin = fold_mapped(text)
            self.located = _located(plan, haystack, _in_words(plan, self.around), origin)
        else:
            self.located = _located(plan, folded, _in_words(plan, self.around))
        self.wanted = _wanted_near(watchlist, self.located, self.breaks)

    def unexcluded(self, wanted: set[Hashable]) -> set[Hashable]:
        """What ``wanted`` item still may match once occurrences that an exclude phrase of
        the item cancels are dropped (checked after the rest: most texts never get here)."""
        check = _in_words(self.plan, self.around, excluding=True)
        kept: Located = {}
        for (ii, slot), at in self.located.items():
            if (ii, ALIAS) in wanted:
                here = [(pos, pid) for pos, pid in at if check(pos, pid, ii)]
                if here:
                    kept[(ii, slot)] = here
        self.located = kept
        return _wanted_near(self.watchlist, kept, self.breaks)

    def occurrences(self, wanted: set[Hashable]) -> int:
        """How many phrase occurrences of the ``wanted`` items stand here."""
        return sum(len(at) for (ii, _slot), at in self.located.items() if (ii, ALIAS) in wanted)

    def offsets(self, wanted: set[Hashable]) -> list[int]:
        """Where phrases of the ``wanted`` items stand (key offsets)."""
        return [
            pos for (ii, _slot), at in self.located.items() if (ii, ALIAS) in wanted for pos, _ in at
        ]


def _breaks(text: str) -> list[int]:
    """Where paragraphs start (after each run of line breaks)."""
    return [m.end() for m in _NEWLINES.finditer(text)]


def _wanted_near(watchlist: Watchlist, found: Located, breaks: Sequence[int]) -> set[Hashable]:
    """``_wanted`` of what ``_located`` found, where a rule that works within a sentence
    needs its groups in one paragraph (between line breaks, which always end a sentence)."""

    def paragraphs(ii: int, slot: Hashable) -> set[int]:
        return {bisect.bisect_right(breaks, pos) for pos, _pid in found.get((ii, slot), ())}

    def holds(ii: int, r: int, rule: TopicRule) -> bool:
        if rule.within != "sentence":  # a word window may span paragraphs
            return _rule_holds(rule, r, lambda slot: (ii, slot) in found)
        common: set[int] | None = None
        for g in range(len(rule.all_of)):
            here = paragraphs(ii, ("all", r, g))
            common = here if common is None else common & here
        if rule.any_of:
            here = set().union(*(paragraphs(ii, ("any", r, g)) for g in range(len(rule.any_of))))
            common = here if common is None else common & here
        return common is None or bool(common)

    return _wanted_if(watchlist, holds, found)


def _key_positions(plan: _Plan, wanted: set[Hashable], folded: str) -> list[int]:
    """Where the keys of the wanted items occur in ``folded`` (start offsets)."""
    items = {tag[0] for tag in wanted if isinstance(tag, tuple)}
    out: list[int] = []
    if plan.automaton is None:
        return out
    for end, (key, payloads, *_sets) in plan.automaton.iter(folded):
        start = end - len(key) + 1
        at_word_start = start == 0 or _boundary(folded[start - 1])
        for ii, _slot, _pid, _n, _k, word_start in payloads:
            if ii in items and (at_word_start or not word_start):
                out.append(start)
                break
    return out


@dataclass(frozen=True)
class _Doc:
    text: str
    words: tuple[Word, ...]
    sent_starts: tuple[int, ...]


def _tokenise(nlp: Any, text: str) -> Any:
    """Tokens and sentences, without spaCy's lemmatizer: ``_analyse`` reads the same
    lookup table itself, only for the words it keeps (the pipe would cost a third more)."""
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        if name != "lemmatizer":
            doc = proc(doc)
    return doc


_PUNCT_ORTHS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _sentencizer_orths(nlp: Any) -> Any | None:
    """Hashes of the sentencizer's sentence-final characters, when the pipeline is only
    tokenizer + sentencizer (our blank ones); None for anything else (a trained pipeline)."""
    if nlp.pipe_names != ["sentencizer"]:
        return None
    orths = _PUNCT_ORTHS.get(nlp)
    if orths is None:
        chars = nlp.get_pipe("sentencizer").punct_chars
        orths = _PUNCT_ORTHS[nlp] = numpy.array(
            sorted(nlp.vocab.strings.add(c) for c in chars), dtype=numpy.uint64
        )
    return orths


def _sentence_starts(doc: Any, punct_orths: Any) -> list[int]:
    """Character offsets where spaCy's sentencizer starts a sentence, from the token arrays.

    The same rule as ``Sentencizer.predict`` (the first token, and after a sentence-final
    character the next token that is neither punctuation nor such a character), without
    creating a Python object per token: that loop cost more than the tokenizer itself.
    """
    if len(doc) == 0:
        return []
    arr = doc.to_array([ORTH, IS_PUNCT, IDX])
    final = numpy.isin(arr[:, 0], punct_orths)
    plain = numpy.flatnonzero(~final & (arr[:, 1] == 0))
    after = numpy.searchsorted(plain, numpy.flatnonzero(final), side="right")
    starts = numpy.union1d([0], plain[after[after < len(plain)]])
    return [int(i) for i in arr[starts, 2]]


def _regions(sent_starts: Sequence[int], hits: Sequence[int], size: int) -> list[tuple[int, int]]:
    """Character ranges worth reading: each sentence holding a prefilter hit, with the
    sentence before and after it (a phrase may straddle a sentence break: ``N. Korea``)."""
    keep: set[int] = set()
    for pos in hits:
        s = bisect.bisect_right(sent_starts, pos) - 1
        keep.update((s - 1, s, s + 1))
    ranges: list[tuple[int, int]] = []
    n = len(sent_starts)
    for s in sorted(k for k in keep if 0 <= k < n):
        start, end = sent_starts[s], sent_starts[s + 1] if s + 1 < n else size
        if ranges and ranges[-1][1] >= start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return ranges


def _analyse(
    lang: str,
    text: str,
    lemma_of: Callable[[str], str],
    hits: Sequence[int] | None = None,
    folded: str | None = None,
) -> _Doc:
    """Words with lemmas and sentence numbers (sentences also end at line breaks).

    ``hits``: offsets in ``text`` where the prefilter found a key. Then only the sentences
    around them are turned into words (the rest of a long article costs only spaCy's
    tokenizer); sentence numbers and offsets stay those of the whole text, so the result
    is the same for any rule that works within a sentence. ``folded``: ``fold_aligned(text)``
    when the caller has it, so a word's folded form is a slice rather than a new fold.
    """
    nlp = get_pipeline(lang)
    own = nlp.has_pipe("lemmatizer")  # a configured trained pipeline lemmatizes itself
    punct_orths = _sentencizer_orths(nlp)
    if punct_orths is not None:
        doc = nlp.make_doc(same_length_clean(text))
        sents: Iterable[int] = _sentence_starts(doc, punct_orths)
    else:
        doc = nlp(same_length_clean(text)) if own else _tokenise(nlp, same_length_clean(text))
        sents = (s.start_char for s in doc.sents)
    starts = {0, *sents, *(m.end() for m in _NEWLINES.finditer(text))}
    sent_starts = tuple(sorted(s for s in starts if s < len(text) or s == 0))
    if hits is None:
        tokens: Iterable[Any] = doc
    else:
        spans = (
            doc.char_span(a, b, alignment_mode="expand")
            for a, b in _regions(sent_starts, hits, len(text))
        )
        tokens = (tok for span in spans if span is not None for tok in span)
    raw: list[tuple[int, int, str, str]] = []
    for tok in tokens:
        if tok.is_space:
            continue
        idx, tok_text = tok.idx, tok.text
        for m in WORD_RE.finditer(tok_text):
            start, end = idx + m.start(), idx + m.end()
            piece = text[start:end]
            norm = folded[start:end] if folded is not None else fold(piece)
            if not own:
                lemma = lemma_of(piece)
            else:
                whole = m.start() == 0 and m.end() == len(tok_text)
                lemma = tok.lemma_ if whole else ""
            raw.append((start, end, norm, fold(lemma) if lemma else norm))
    words = []
    sent = 0
    n_sents = len(sent_starts)
    for i, (start, end, norm, lemma) in enumerate(raw):
        joins = False
        if i + 1 < len(raw):
            joins = _joins(text[end : raw[i + 1][0]], norm)
        while sent + 1 < n_sents and sent_starts[sent + 1] <= start:
            sent += 1
        words.append(Word(start, end, norm, lemma, sent, joins))
    return _Doc(text, tuple(words), sent_starts)


@dataclass
class _Found:
    """Hits of one item, accumulated over title and text."""

    count: int = 0
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    in_title: bool = False

    def add(self, surface: str, weight: float, span: tuple[int, int] | None, title: bool) -> None:
        self.count += 1
        self.score += weight
        if surface not in self.evidence:
            self.evidence.append(surface)
        if span is not None:
            self.spans.append(span)
        self.in_title = self.in_title or title


def _surface(doc: _Doc, first: int, last: int) -> str:
    return doc.text[doc.words[first].start : doc.words[last].end]


def _without_excluded(hits: list[Hit], ii: int) -> list[Hit]:
    """Drop hits overlapping an exclude phrase, and shorter hits inside longer ones."""
    blocked: set[int] = set()
    for h in hits:
        if h.tag == (ii, EXCLUDE):
            blocked.update(range(h.first, h.last + 1))
    kept = [
        h
        for h in hits
        if h.tag != (ii, EXCLUDE) and not blocked.intersection(range(h.first, h.last + 1))
    ]
    return kept


def _longest(hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    covered = -1
    for h in sorted(hits, key=lambda h: (h.first, -h.last)):
        if h.first > covered:
            out.append(h)
            covered = h.last
    return out


def _snippet(doc: _Doc, hits: Sequence[Hit]) -> tuple[str, tuple[int, int]]:
    """``fournir … obus … missiles``; near terms keep the words between (``envoyer des armes``)."""
    ordered = _longest(list(hits))[:4]
    parts = [_surface(doc, ordered[0].first, ordered[0].last)]
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if cur.first - prev.last <= 2:
            parts.append(doc.text[doc.words[prev.last].end : doc.words[cur.last].end])
        else:
            parts.append(" … " + _surface(doc, cur.first, cur.last))
    span = (doc.words[ordered[0].first].start, doc.words[ordered[-1].last].end)
    return "".join(parts), span


def _windows(item: WatchItem, hits: list[Hit], doc: _Doc) -> list[list[Hit]]:
    """Groups of hits that a topic rule is evaluated on: sentences, or word windows."""
    rule = item.rule
    within = rule.within if rule is not None else "sentence"
    if within == "sentence":
        by_sent: dict[int, list[Hit]] = {}
        for h in hits:
            by_sent.setdefault(doc.words[h.first].sent, []).append(h)
        return [by_sent[s] for s in sorted(by_sent)]
    assert isinstance(within, int)
    anchors = sorted(
        (h for h in hits if isinstance(h.tag, tuple) and h.tag[1] != EXCLUDE), key=lambda h: h.first
    )
    windows = []
    for a in anchors:
        windows.append([h for h in hits if abs(h.first - a.first) <= within])
    return windows


def _topic_holds(item: WatchItem, ii: int, window: list[Hit]) -> tuple[bool, bool]:
    """(holds, by_phrase) for one window."""
    slots = {h.tag[1] for h in window if isinstance(h.tag, tuple)}
    vetoed = [
        any(("none", r, g) in slots for g in range(len(rule.none_of)))
        for r, rule in enumerate(item.rules)
    ]
    if vetoed and vetoed[0]:
        return False, False  # the main rule's none_of cancels the sentence, aliases too
    if ALIAS in slots:
        return True, True
    holds = any(
        not vetoed[r] and _rule_holds(rule, r, slots.__contains__)
        for r, rule in enumerate(item.rules)
    )
    return holds, False


def _collect(
    item: WatchItem,
    ii: int,
    doc: _Doc,
    hits: list[Hit],
    found: _Found,
    weight_at: Any,
    title: bool,
) -> None:
    hits = _without_excluded([h for h in hits if isinstance(h.tag, tuple) and h.tag[0] == ii], ii)
    if item.kind == "entity":
        for h in _longest([h for h in hits if h.tag == (ii, ALIAS)]):
            start, end = doc.words[h.first].start, doc.words[h.last].end
            weight, in_title = weight_at(start)
            found.add(
                doc.text[start:end], weight, None if title else (start, end), title or in_title
            )
        return
    used: set[int] = set()
    for window in _windows(item, hits, doc):
        holds, by_phrase = _topic_holds(item, ii, window)
        if not holds or any(h.first in used for h in window if h.tag[1] != EXCLUDE):  # type: ignore[index]
            continue
        if by_phrase:
            chosen = [h for h in window if h.tag == (ii, ALIAS)][:1]
        else:
            chosen = [h for h in window if h.tag[1] not in (ALIAS, EXCLUDE)]  # type: ignore[index]
        used.update(h.first for h in window)
        surface, (start, end) = _snippet(doc, chosen)
        weight, in_title = weight_at(start)
        found.add(surface, weight, None if title else (start, end), title or in_title)


def match(
    title: str, text: str, watchlist: Watchlist, language: str, *, haystack: str | None = None
) -> tuple[Match, ...]:
    """Watch items found in the document that reach their ``min_score``, strongest first.

    ``spans`` are offsets into ``text``. When ``text`` starts with ``title`` (a headline
    taken from the first sentence) those hits count once, as title hits. ``haystack`` is
    ``haystack_of(title, text)`` when the caller already folded it.
    """
    if not watchlist.items or not (title.strip() or text.strip()):
        return ()
    lang = language.lower() if language else ANY_LANGUAGE
    compiled = _compiled(watchlist)
    plan = compiled.plan(watchlist, lang)
    t = title.strip()
    lead_ws = len(text) - len(text.lstrip())
    derived = bool(t) and text.startswith(t, lead_ws)
    hits: list[int] | None = None
    folded = fold_aligned(text)
    if not is_configured(lang):
        # Most documents that pass the prefilter are near misses: check each phrase whole,
        # word by word, before paying for spaCy (the title too, when it is not the text's
        # start); spaCy then reads only the sentences around phrases that stand whole.
        readings = [_Reading(plan, watchlist, text, folded)]
        if t and not derived:
            readings.append(_Reading(plan, watchlist, t, fold_aligned(t)))
        wanted = set().union(*(r.wanted for r in readings))
        if wanted and sum(r.occurrences(wanted) for r in readings) <= _FEW:
            # a near miss (Kurs, 북한산, arms race): drop what an exclude phrase cancels
            wanted &= set().union(*(r.unexcluded(wanted) for r in readings))
        if not wanted:
            return ()
        if _by_sentence(_items_of(watchlist, wanted)):  # else a word window: read it all
            hits = readings[0].offsets(wanted)
    else:
        if haystack is None:
            haystack = haystack_of(title, text)
        wanted = _candidates(plan, watchlist, haystack)
        if not wanted:
            return ()
        if folded is not None and _by_sentence(_items_of(watchlist, wanted)):
            hits = _key_positions(plan, wanted, folded)
    doc = _analyse(lang, text, plan.lemma, hits, folded)
    title_end = lead_ws + len(t) if derived else 0
    body = [s for s in doc.sent_starts if s >= title_end]
    body_start = body[0] if body else title_end
    lead_end = body[LEAD_SENTENCES] if len(body) > LEAD_SENTENCES else len(text)
    lead_end = min(lead_end, body_start + LEAD_MAX_CHARS)

    def text_weight(pos: int) -> tuple[float, bool]:
        if pos < title_end:
            return TITLE_WEIGHT, True
        return (LEAD_WEIGHT if pos < lead_end else BODY_WEIGHT), False

    def title_weight(pos: int) -> tuple[float, bool]:
        return TITLE_WEIGHT, True

    text_hits = plan.index.find(doc.words, wanted)
    title_doc = _analyse(lang, t, plan.lemma) if t and not derived else None
    title_hits = plan.index.find(title_doc.words, wanted) if title_doc else []

    results: list[tuple[float, int, Match]] = []
    for ii, item in enumerate(watchlist.items):
        if (ii, ALIAS) not in wanted:
            continue
        found = _Found()
        if title_doc is not None:
            _collect(item, ii, title_doc, title_hits, found, title_weight, title=True)
        _collect(item, ii, doc, text_hits, found, text_weight, title=False)
        score = round(found.score, 2)
        if found.count and score >= item.min_score:
            m = Match(
                id=item.id,
                name=item.name,
                kind=item.kind,
                count=found.count,
                score=score,
                evidence=tuple(found.evidence),
                spans=tuple(found.spans),
                in_title=found.in_title,
            )
            results.append((-score, ii, m))
    # Watchlist order: admins list first what matters most to them, and an alert's header
    # and why-lines follow it rather than whichever broad item happens to be most frequent.
    results.sort(key=lambda r: r[1])
    return tuple(m for _, _, m in results)
