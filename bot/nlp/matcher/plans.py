"""A watchlist compiled per document language (a ``Plan``): a word index of its phrases and
the Aho-Corasick automata over their keys, cached per watchlist object; the language-free
screen (``could_match``) and the key scan that says which items may match."""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ahocorasick_rs

from bot.nlp.cjk import CJK_RANGES, is_cjk
from bot.nlp.lemmas import MORPHOLOGY, lemma_source
from bot.nlp.matcher.lemmatize import compile_for, lemmatizer
from bot.nlp.matcher.slots import (
    EXCLUDE,
    any_wanted,
    is_rule,
    item_slots,
    terms_for,
    wanted_slots,
)
from bot.nlp.phrases import INFIX_LANGUAGES, Phrase, PhraseIndex, WordPattern, prefilter_keys
from bot.nlp.text import fold
from bot.nlp.watchlist import ANY_LANGUAGE, Watchlist

Payload = tuple[int, Hashable, int, int, int, bool]
"""(item index, slot, phrase number, keys in the phrase, key number, must start a word)."""


@dataclass
class Plan:
    """A watchlist compiled for one document language (or, as the screen, for all)."""

    index: PhraseIndex
    automaton: _Automata | None
    lemma: Callable[[str], str] = field(default=lambda piece: "")
    """The dictionary form of a word as written, when it can match a phrase word; else ''."""
    phrases: list[Phrase] = field(default_factory=list)
    """The phrases behind the automaton's keys, by phrase number."""
    excludes: dict[int, list[Phrase]] = field(default_factory=dict)
    """Each item's exclude phrases, by item number."""
    rest: list[tuple[tuple[str, bool], ...]] = field(default_factory=list)
    """Each phrase's keys other than its anchor (key, must start a word), by phrase number:
    looked up in the text only once the anchor occurs (``others_occur``)."""
    item_of: list[int] = field(default_factory=list)
    """Each phrase's item number, by phrase number."""
    keys_of: list[tuple[tuple[str, bool], ...]] = field(default_factory=list)
    """Each phrase's keys (key, must start a word), by phrase number."""


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
    """Prefilter keys of many phrases, built into one Aho-Corasick automaton over each
    phrase's anchor: its longest key, the one that must occur for the phrase to stand.

    The other keys of a phrase of several words (``for``, ``des``, ``від``, ``del``) are
    everywhere in news text: the automaton once reported every occurrence of them, each a
    step of the Python loop that reads its hits (45 a document on ``newsbot bench``). They
    are now looked up (``str.find``) only in a text where the anchor occurs.
    """

    def __init__(self) -> None:
        self.keys: dict[str, list[Payload]] = {}
        self.phrases = 0
        self.phrase_of: list[Phrase] = []
        self.anchors: list[int] = []
        self.keys_of: list[tuple[tuple[str, bool], ...]] = []
        self.item_of: list[int] = []

    def add(self, ii: int, slot: Hashable, phrase: Phrase, lang: str) -> None:
        if slot == EXCLUDE or (isinstance(slot, tuple) and slot[0] == "none"):
            return  # what only vetoes can never make a document match
        lemmatized = lang == ANY_LANGUAGE or lemma_source(lang) is not None
        infix = lang == ANY_LANGUAGE or lang in INFIX_LANGUAGES
        looked_for = _korean_verb_stems(phrase) if lemma_source(lang) == "mecab" else phrase
        keys = prefilter_keys(looked_for, lemmatized, infix, lang in MORPHOLOGY)
        for k, (key, word_start) in enumerate(keys):
            self.keys.setdefault(key, []).append((ii, slot, self.phrases, len(keys), k, word_start))
        self.phrases += 1
        self.phrase_of.append(phrase)
        self.anchors.append(max(range(len(keys)), key=lambda k: len(keys[k][0])) if keys else 0)
        self.keys_of.append(tuple(keys))
        self.item_of.append(ii)

    def rest(self) -> list[tuple[tuple[str, bool], ...]]:
        return [
            tuple(kw for k, kw in enumerate(keys) if k != self.anchors[pid])
            for pid, keys in enumerate(self.keys_of)
        ]

    def automaton(self) -> _Automata | None:
        values: dict[str, Any] = {}
        for key, payloads in self.keys.items():
            # where a phrase is looked for and checked whole: at its anchor only
            anchored = tuple(p for p in payloads if p[4] == self.anchors[p[2]])
            if not anchored:
                continue
            # What a phrase of one key makes present, as sets: most keys are such, and a
            # set union in C beats a Python loop over every payload of every occurrence.
            at_start = frozenset((p[0], p[1]) for p in anchored if p[3] == 1 and p[5])
            anywhere = frozenset((p[0], p[1]) for p in anchored if p[3] == 1 and not p[5])
            multi = tuple(p for p in anchored if p[3] > 1)
            values[key] = (key, at_start, anywhere, multi, anchored)
        return _Automata(values) if values else None

    def plan(
        self,
        index: PhraseIndex,
        lemma: Callable[[str], str] = lambda piece: "",
        excludes: dict[int, list[Phrase]] | None = None,
    ) -> Plan:
        return Plan(
            index,
            self.automaton(),
            lemma,
            self.phrase_of,
            excludes or {},
            rest=self.rest(),
            item_of=self.item_of,
            keys_of=self.keys_of,
        )


def occurs(haystack: str, key: str, word_start: bool) -> bool:
    """Whether ``key`` occurs in ``haystack`` (at the start of a word, if ``word_start``)."""
    i = haystack.find(key)
    if not word_start:
        return i != -1
    while i != -1:
        if i == 0 or boundary(haystack[i - 1]):
            return True
        i = haystack.find(key, i + 1)
    return False


class Others:
    """Whether the keys of a phrase other than its anchor all occur in one text, each key
    looked up once."""

    def __init__(self, plan: Plan, haystack: str) -> None:
        self.rest = plan.rest
        self.haystack = haystack
        self.memo: dict[tuple[str, bool], bool] = {}

    def __call__(self, pid: int) -> bool:
        memo = self.memo
        for kw in self.rest[pid]:
            got = memo.get(kw)
            if got is None:
                got = memo[kw] = occurs(self.haystack, *kw)
            if not got:
                return False
        return True


SCRIPT_CLASSES = (
    "\u0400-\u052f",  # Cyrillic
    "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f",  # Hangul
    CJK_RANGES,  # ideographs and kana
)
"""Scripts whose keys the word-level reading visits apart, as character-class ranges."""

_SCRIPTS = tuple(re.compile(f"[{ranges}]") for ranges in SCRIPT_CLASSES)

_SURROGATE = re.compile("[\ud800-\udfff]")


class _Automata:
    """One Aho-Corasick automaton (ahocorasick-rs, Rust) over the keys of every script.

    pyahocorasick looked a character up among a node's branches one by one, so an
    automaton over every script (some 150 branches at the root) scanned five times slower,
    and each script had an automaton of its own; the Rust one scans all the keys in one
    pass, three times faster than pyahocorasick scanned them. ``scan`` gives the hits in
    no promised order; ``iter`` in the order the word-level reading lists them (by
    script, then by where they end, longest first), the one it always had.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        keys = list(values)
        self.values: list[Any] = [values[key] for key in keys]
        ranks: dict[re.Pattern[str] | None, int] = {}
        self.rank = [
            ranks.setdefault(next((p for p in _SCRIPTS if p.match(key)), None), len(ranks))
            for key in keys
        ]
        self.one_script = len(ranks) == 1
        self.automaton = ahocorasick_rs.AhoCorasick(keys, matchkind=ahocorasick_rs.MatchKind.Standard)

    def scan(self, haystack: str) -> list[tuple[int, int, int]]:
        """(key number, start, end) of every occurrence of every key, overlapping ones
        included; offsets in characters, end exclusive."""
        try:
            return self.automaton.find_matches_as_indexes(haystack, overlapping=True)
        except UnicodeEncodeError:  # a lone surrogate: no key has one, scan around it
            hits: list[tuple[int, int, int]] = []
            at = 0
            for piece in _SURROGATE.split(haystack):
                hits.extend(
                    (k, at + start, at + end)
                    for k, start, end in self.automaton.find_matches_as_indexes(
                        piece, overlapping=True
                    )
                )
                at += len(piece) + 1
            return hits

    def iter(self, haystack: str) -> Iterator[tuple[int, Any]]:
        """(last character, value) of every key occurrence, by script, then by end."""
        hits = self.scan(haystack)
        if not self.one_script:
            rank = self.rank
            hits.sort(key=lambda hit: rank[hit[0]])  # stable: by end within a script
        values = self.values
        return ((end - 1, values[k]) for k, _start, end in hits)


def _build_plan(watchlist: Watchlist, lang: str) -> Plan:
    index = PhraseIndex()
    keys = _Keys()
    excludes: dict[int, list[Phrase]] = {}
    for ii, item in enumerate(watchlist.items):
        for slot, terms in item_slots(item):
            for source in terms_for(terms, lang):
                phrase = compile_for(source, lang, is_rule(slot))
                index.add(phrase, (ii, slot))
                keys.add(ii, slot, phrase, lang)
                if slot == EXCLUDE:
                    excludes.setdefault(ii, []).append(phrase)
    return keys.plan(index, lemmatizer(index, lang), excludes)


def _build_screen(watchlist: Watchlist) -> Plan:
    """One automaton over the keys of every language's phrases, to run before we even know
    the document's language; each key is as loose as its own language's plan needs."""
    keys = _Keys()
    for ii, item in enumerate(watchlist.items):
        for slot, terms in item_slots(item):
            for lang, sources in terms.items():
                for source in sources:
                    keys.add(ii, slot, compile_for(source, lang, is_rule(slot)), lang)
    return keys.plan(PhraseIndex())


@dataclass
class Compiled:
    """Plans per language. Holds no reference to the watchlist, so the cache cannot keep it alive."""

    plans: dict[str, Plan] = field(default_factory=dict)
    screen: Plan | None = None

    def plan(self, watchlist: Watchlist, lang: str) -> Plan:
        plan = self.plans.get(lang)
        if plan is None:
            plan = self.plans[lang] = _build_plan(watchlist, lang)
        return plan

    def language_free(self, watchlist: Watchlist) -> Plan:
        if self.screen is None:
            self.screen = _build_screen(watchlist)
        return self.screen


compiled_cache: dict[int, tuple[weakref.ref[Watchlist], Compiled]] = {}

_cache_lock = threading.Lock()


def compiled_for(watchlist: Watchlist) -> Compiled:
    """One compilation per watchlist object, dropped when the watchlist is."""
    key = id(watchlist)
    with _cache_lock:
        entry = compiled_cache.get(key)
        if entry is not None and entry[0]() is watchlist:
            return entry[1]

        def _drop(
            ref: weakref.ref[Watchlist], key: int = key, cache: dict[int, Any] = compiled_cache
        ) -> None:
            current = cache.get(key)
            if current is not None and current[0] is ref:
                del cache[key]

        compiled = Compiled()
        compiled_cache[key] = (weakref.ref(watchlist, _drop), compiled)
        return compiled


def haystack_of(title: str, text: str) -> str:
    """The folded text the prefilter scans: title and body (a repeated title is harmless)."""
    t = title.strip()
    return fold(text if not t or text.lstrip().startswith(t) else f"{t}\n{text}")


def text_fold(title: str, text: str, haystack: str) -> str:
    """``fold(text)``, cut out of ``haystack_of(title, text)`` rather than folded again
    (folding is per character, so the haystack is the folded title, a line break, and
    the folded text)."""
    t = title.strip()
    if not t or text.lstrip().startswith(t):
        return haystack
    return haystack[len(fold(t)) + 1 :]


def could_match(watchlist: Watchlist, haystack: str) -> bool:
    """Whether any item might match a document whose folded text is ``haystack``.

    Language-free, so a document that cannot match skips language detection and spaCy:
    one Aho-Corasick pass over every language's alias stems. False means no item can
    match in any language; True only means the full matcher must look.
    """
    if not watchlist.items:
        return False
    screen = compiled_for(watchlist).language_free(watchlist)
    return any_wanted(watchlist, _present(screen, haystack))


def boundary(before: str) -> bool:
    """Whether a word can start after the character ``before``: after anything but a letter
    or digit, and after an ideograph or kana, which is a word of its own (交付HIMARS)."""
    return not before.isalnum() or is_cjk(before)


def candidates(plan: Plan, watchlist: Watchlist, haystack: str) -> set[Hashable]:
    """Tags (item, slot) worth looking for: items the prefilter cannot rule out."""
    return wanted_slots(watchlist, _present(plan, haystack))


Confirm = Callable[[int, int, int], bool]
"""(start of a key occurrence, phrase number, item number) -> whether the phrase stands
whole there."""


def _present(plan: Plan, haystack: str) -> set[tuple[int, Hashable]]:
    """(item, slot) pairs with a phrase all of whose keys occur."""
    present: set[tuple[int, Hashable]] = set()
    if plan.automaton is None:
        return present
    pending: dict[int, tuple[int, Hashable]] = {}  # phrases of several keys, anchor found
    # A key met again adds nothing (what it adds is a set union, and a phrase's keys are
    # counted once), unless it now starts a word where it did not before: a text repeats
    # its words. So the hits' order does not matter here.
    at_starts: set[int] = set()
    inside: set[int] = set()
    values = plan.automaton.values
    for key, start, _end in plan.automaton.scan(haystack):
        if key in at_starts:
            continue
        # _boundary, inlined: this loop runs for every key occurrence of every document
        at_word_start = start == 0 or not (c := haystack[start - 1]).isalnum() or is_cjk(c)
        if at_word_start:
            at_starts.add(key)
        elif key in inside:
            continue
        else:
            inside.add(key)
        _key, at_start, anywhere, multi, _anchored = values[key]
        if at_word_start:
            present |= at_start
        present |= anywhere
        for ii, slot, pid, _nkeys, _k, word_start in multi:
            if at_word_start or not word_start:
                pending[pid] = (ii, slot)
    if pending:
        others = Others(plan, haystack)
        for pid, tag in pending.items():
            if tag not in present and others(pid):
                present.add(tag)
    return present
