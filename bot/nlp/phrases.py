"""Watchlist phrases compiled to word patterns, and finding them in a document's words.

Matching works on words, never substrings: ``Pyongyang`` is one word and cannot match
``Yang``; ``태평양`` does not start with ``평양``. A phrase word is exact (matches the word or
its lemma), a prefix (``Курск*``: the word or lemma starts with it) or a suffix (``*waffen``,
for German compounds). Words of a phrase must be adjacent: only spaces, hyphens and
apostrophes between them (and the dot of an initial, ``N. Korea``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from bot.nlp.cjk import is_cjk
from bot.nlp.text import WORD_RE, fold

Mode = Literal["exact", "prefix", "suffix"]


@dataclass(frozen=True)
class WordPattern:
    value: str
    mode: Mode = "exact"

    def matches(self, norm: str, lemma: str) -> bool:
        if self.mode == "exact":
            return norm == self.value or lemma == self.value
        if self.mode == "prefix":
            return norm.startswith(self.value) or lemma.startswith(self.value)
        return norm.endswith(self.value) or lemma.endswith(self.value)


@dataclass(frozen=True)
class Phrase:
    """One alias or term as the admin wrote it, compiled to word patterns."""

    source: str
    words: tuple[WordPattern, ...]


def compile_phrase(source: str) -> Phrase:
    """``Corée du Nord`` -> 3 exact words; ``Північн* Коре*`` -> 2 prefixes; ``*munition``."""
    pats: list[WordPattern] = []
    for n, chunk in enumerate(source.split()):
        parts = [fold(w) for w in WORD_RE.findall(chunk)]
        if not parts:
            continue
        chunk_pats = [WordPattern(p) for p in parts]
        if chunk.endswith("*"):
            chunk_pats[-1] = WordPattern(parts[-1], "prefix")
        elif n == 0 and chunk.startswith("*"):
            chunk_pats[0] = WordPattern(parts[0], "suffix")
        pats.extend(chunk_pats)
    return Phrase(source, tuple(pats))


class Word(NamedTuple):
    """A word of the document: original offsets, folded form, folded lemma, sentence.

    A tuple rather than a frozen dataclass: a long article has thousands of words and a
    dataclass's ``__init__`` was a tenth of the matcher's time."""

    start: int
    end: int
    norm: str
    lemma: str
    sent: int
    joins_next: bool = False
    """Only a space, hyphen or apostrophe separates it from the next word."""


@dataclass(frozen=True)
class Hit:
    tag: Hashable
    first: int
    """Index of the first word."""
    last: int
    """Index of the last word (inclusive)."""
    phrase: Phrase


MEMO_ENTRIES = 100_000
MEMO_WORD_CHARS = 64
"""Longer words are looked up every time: real ones recur rarely, and they are big."""


@dataclass
class PhraseIndex:
    """All phrases of one language plan, indexed by their first word for one pass per doc."""

    exact: dict[str, list[tuple[Phrase, Hashable]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    prefix: dict[str, list[tuple[Phrase, Hashable]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    suffix: dict[str, list[tuple[Phrase, Hashable]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    prefix_lengths: set[int] = field(default_factory=set)
    suffix_lengths: set[int] = field(default_factory=set)
    _memo: dict[tuple[str, str], tuple[tuple[Phrase, Hashable], ...]] = field(
        default_factory=dict, repr=False
    )

    def add(self, phrase: Phrase, tag: Hashable) -> None:
        self._memo.clear()
        first = phrase.words[0]
        if first.mode == "exact":
            self.exact[first.value].append((phrase, tag))
        elif first.mode == "prefix":
            self.prefix[first.value].append((phrase, tag))
            self.prefix_lengths.add(len(first.value))
        else:
            self.suffix[first.value].append((phrase, tag))
            self.suffix_lengths.add(len(first.value))

    def _starting(self, w: Word) -> tuple[tuple[Phrase, Hashable], ...]:
        """Phrases whose first word matches ``w``; memoised, as most words of a text recur
        (``the``, ``de``) and nearly all start nothing."""
        key = (w.norm, w.lemma)
        found = self._memo.get(key)
        if found is None:
            found = tuple(self._lookup(w))
            # Bounded in entries and in size: a feed of 200,000-letter "words" would
            # otherwise keep gigabytes of them alive (the feed fuzzer saw 3 MB per poll).
            if len(self._memo) < MEMO_ENTRIES and len(w.norm) <= MEMO_WORD_CHARS:
                self._memo[key] = found
        return found

    def _lookup(self, w: Word) -> Iterable[tuple[Phrase, Hashable]]:
        yield from self.exact.get(w.norm, ())
        if w.lemma != w.norm:
            yield from self.exact.get(w.lemma, ())
        for form in {w.norm, w.lemma}:
            for n in self.prefix_lengths:
                if len(form) >= n:
                    yield from self.prefix.get(form[:n], ())
            for n in self.suffix_lengths:
                if len(form) >= n:
                    yield from self.suffix.get(form[-n:], ())

    def find(self, words: Sequence[Word], wanted: set[Hashable] | None = None) -> list[Hit]:
        """Every occurrence of every phrase (restricted to ``wanted`` tags when given)."""
        hits: list[Hit] = []
        seen: set[tuple[int, int, Hashable]] = set()
        n = len(words)
        for i, w in enumerate(words):
            for phrase, tag in self._starting(w):
                if wanted is not None and tag not in wanted:
                    continue
                k = len(phrase.words)
                if i + k > n:
                    continue
                ok = True
                for j in range(1, k):
                    prev, cur = words[i + j - 1], words[i + j]
                    if not prev.joins_next or not phrase.words[j].matches(cur.norm, cur.lemma):
                        ok = False
                        break
                if ok and (i, i + k - 1, tag) not in seen:
                    seen.add((i, i + k - 1, tag))
                    hits.append(Hit(tag, i, i + k - 1, phrase))
        return hits


INFIX_LANGUAGES = frozenset({"de", "nl", "sv", "da", "no", "nb", "is", "fi"})
"""Languages that glue words into compounds or inflect at the front (``geliefert``): there a
dictionary form may sit inside a word, so its prefilter key may too."""


def word_key(
    word: WordPattern, lemmatized: bool, infix: bool, analysed: bool = False
) -> tuple[str, bool] | None:
    """The key of one phrase word (see ``prefilter_keys``): what any text word that fits
    it contains, and whether there at its start; None for a short word or an ideograph."""
    if len(word.value) < 3 or is_cjk(word.value):
        return None
    if word.mode == "suffix":
        return word.value, False
    if lemmatized and analysed and word.mode == "exact" and len(word.value) > 4:
        return word.value[: max(4, len(word.value) - 4)], not infix
    if lemmatized and word.mode == "exact" and len(word.value) > 4:
        return word.value[: max(4, len(word.value) - 3)], not infix
    return word.value, not (lemmatized and infix)


def prefilter_keys(
    phrase: Phrase, lemmatized: bool, infix: bool, analysed: bool = False
) -> tuple[tuple[str, bool], ...]:
    """What the prefilter looks for: one key per word of three letters or more, each with
    whether it must start a word. A document can contain the phrase only if it contains
    every key, so a phrase such as ``entrega de armas`` needs both ``entr…`` and ``arma``.

    With lemmas, an inflected form shares its first letters with the dictionary form
    (``livrés``/``livrer``, ``России``/``Россия``), so an exact word's key is its stem.
    It starts a word unless the language compounds (``infix``: ``Artilleriegranaten``,
    ``geliefert``); a suffix pattern (``*munition``) never needs to. Initials (``D.P.R.K.``)
    are looked for as written.

    ``analysed``: lemmas come from a morphological analyser, which knows stems that change
    more (``надавати``/``надають``, ``поставить``/``поставленных``), so the key leaves
    off four letters rather than three (and keeps four at least).
    """
    keys: list[tuple[str, bool]] = []
    run = ""  # ideographs and kana in a row (北朝鮮): one key, found inside a word too
    for word in phrase.words:
        if is_cjk(word.value):
            run += word.value
            continue
        if run:
            keys.append((run, False))
            run = ""
        key = word_key(word, lemmatized, infix, analysed)
        if key is not None:
            keys.append(key)
    if run:
        keys.append((run, False))
    if not keys:
        if all(len(w.value) == 1 for w in phrase.words) and len(phrase.words) > 1:
            return ((fold("".join(phrase.source.split())), True),)
        longest = max(phrase.words, key=lambda p: len(p.value))
        return ((longest.value, longest.mode != "suffix"),)
    return tuple(dict.fromkeys(keys))
