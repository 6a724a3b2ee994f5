"""The word-level reading: a key occurrence checked as its whole phrase, word by word with
lemmas, around its offset, so a near miss is ruled out before spaCy reads the document."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Hashable, Iterable, Sequence

from bot.nlp.cjk import is_cjk
from bot.nlp.matcher.plans import Confirm, Others, Plan, boundary
from bot.nlp.matcher.slots import ALIAS, rule_holds, wanted_if
from bot.nlp.phrases import Phrase
from bot.nlp.text import WORD_RE, fold, fold_mapped
from bot.nlp.watchlist import TopicRule, WatchItem, Watchlist

# Between the words of one phrase: spaces, hyphens, apostrophes, and quotation marks
# (station «Kurskaya» is the phrase "station Kurskaya").
_JOIN = re.compile(r"[ \t\u00a0\u202f\-'\u2019\u2010\u2011\u00ad\"«»“”„‹›]{0,4}")

NEWLINES = re.compile(r"\n+")


def _is_word_char(c: str) -> bool:
    return c.isalnum() or "\u0300" <= c <= "\u036f"


_GAP_MAX = 5
"""The most characters ``_JOIN`` lets between two words of a phrase, with an initial's dot."""


def words_join(gap: str, norm: str) -> bool:
    """Whether ``analyse`` joins a word (folded: ``norm``) to the next across ``gap``."""
    if gap == " ":
        return True
    if len(norm) <= 2:
        gap = gap.replace(".", "", 1)
    return _JOIN.fullmatch(gap) is not None


Fits = Callable[[int, int, int], bool]
"""(phrase word number, start, end of a text word) -> whether that word can be it."""


class Around:
    """The words of a text cut as ``analyse`` cuts them (``WORD_RE``), found around an
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
        """The word after ``start:end``, if ``analyse`` would join the two."""
        t = self.text
        j, stop = end, min(len(t), end + _GAP_MAX + 1)
        while j < stop and not _is_word_char(t[j]):
            j += 1
        if j >= stop or not words_join(t[end:j], self.norm(start, end)):
            return None
        m = WORD_RE.match(t, j)
        return (j, m.end()) if m else None

    def prev(self, start: int) -> tuple[int, int] | None:
        """The word before the one starting at ``start``, if ``analyse`` would join the two."""
        t = self.text
        j, stop = start, max(0, start - _GAP_MAX - 1)
        while j > stop and not _is_word_char(t[j - 1]):
            j -= 1
        if j == 0 or not _is_word_char(t[j - 1]):
            return None
        left, right = self.word_at(j - 1)
        return (left, right) if words_join(t[right:start], self.norm(left, right)) else None

    def norm(self, start: int, end: int) -> str:
        """The folded form of a word, as ``analyse`` gives it."""
        if self.folded is not None:
            return self.folded[start:end]
        norm = self._norms.get(start)
        if norm is None:
            norm = self._norms[start] = fold(self.text[start:end])
        return norm

    def forms(self, start: int, end: int) -> tuple[str, str]:
        """(folded form, folded lemma) of a word, as ``analyse`` gives them."""
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


def _in_words(plan: Plan, around: Around, excluding: bool = False) -> Confirm:
    """Checks a key occurrence as its whole phrase, word by word with lemmas (``Around``);
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


def _occurrences(plan: Plan, haystack: str, origin: Sequence[int] | None = None) -> Located:
    """Where a phrase may stand, by the (item, slot) of the phrase, not yet checked whole.
    A phrase counts only where its longest key occurs (every occurrence of the phrase has
    it, and a ``de`` or ``for`` is everywhere), and only when all its keys occur in the text.
    ``origin``: where each character of ``haystack`` comes from in the text, when the
    fold is not one letter per letter; offsets found are the text's."""
    found: Located = {}
    if plan.automaton is None:
        return found
    others = Others(plan, haystack)
    complete: dict[int, bool] = {}  # phrases of several keys: whether all keys occur
    for end, (key, _at_start, _anywhere, _multi, anchored) in plan.automaton.iter(haystack):
        start = end - len(key) + 1
        # ``boundary``, inlined: this runs for every anchor occurrence of a passed document
        at_word_start = start == 0 or not (c := haystack[start - 1]).isalnum() or is_cjk(c)
        for ii, slot, pid, nkeys, _k, word_start in anchored:
            if word_start and not at_word_start:
                continue
            if nkeys > 1:
                ok = complete.get(pid)
                if ok is None:
                    ok = complete[pid] = others(pid)
                if not ok:
                    continue
            at = start if origin is None else origin[start]
            found.setdefault((ii, slot), []).append((at, pid))
    return found


FEW = 6
"""Phrase occurrences up to which exclude phrases are checked before spaCy: a near miss
has one or two (the text's only ``Kurs``), and checking a relevant document's dozens would
cost more than it could save; spaCy's result is the same either way."""


def by_sentence(items: Iterable[WatchItem]) -> bool:
    """Whether every rule among ``items`` works within a sentence (none with word windows)."""
    return all(rule.within == "sentence" for item in items for rule in item.rules)


def items_of(watchlist: Watchlist, wanted: set[Hashable]) -> list[WatchItem]:
    return [watchlist.items[tag[0]] for tag in wanted if isinstance(tag, tuple) and tag[1] == ALIAS]


class Reading:
    """One text (the body, or a title read apart) read word by word against a plan, where
    its keys occur: which items may match, and where their phrases stand (``read``)."""

    def __init__(self, plan: Plan, watchlist: Watchlist, text: str, folded: str | None) -> None:
        """``folded``: ``fold_aligned(text)``, None for a text whose fold is not one letter
        per letter (``Straße``), which is then scanned through an offset map."""
        self.plan = plan
        self.watchlist = watchlist
        self.around = Around(text, folded, plan.lemma)
        self.text = text
        self._breaks: list[int] | None = None
        if folded is None:
            haystack, origin = fold_mapped(text)
            self.pending = _occurrences(plan, haystack, origin)
        else:
            self.pending = _occurrences(plan, folded)
        self.items = {ii for ii, _slot in self.pending}
        self._whole = _in_words(plan, self.around)
        self._checked: dict[tuple[int, Hashable], int] = {}
        self.located: Located = {}
        self.wanted: set[Hashable] = set()

    def _stands(self, tag: tuple[int, Hashable], every: bool = False) -> bool:
        """Whether a phrase of ``tag`` (item, slot) stands whole somewhere: occurrences are
        checked in order until one does (``every``: all of them), each once."""
        at = self.pending.get(tag, ())
        i = self._checked.get(tag, 0)
        while i < len(at) and (every or tag not in self.located):
            pos, pid = at[i]
            i += 1
            if self._whole(pos, pid, tag[0]):
                self.located.setdefault(tag, []).append((pos, pid))
        self._checked[tag] = i
        return tag in self.located

    def may_hold(self, ii: int, item: WatchItem) -> bool:
        """Whether an alias of the item stands whole, or one of its rules holds with the
        groups that stand whole somewhere in this text (``wanted_if``'s test, before
        paragraphs): the groups with fewest occurrences are checked first, and a rule
        stops at its first group that is missing."""
        if ii not in self.items:
            return False
        if self._stands((ii, ALIAS)):
            return True
        for r, rule in enumerate(item.rules):
            alls = [(ii, ("all", r, g)) for g in range(len(rule.all_of))]
            anys = [(ii, ("any", r, g)) for g in range(len(rule.any_of))]
            if not all(t in self.pending for t in alls) or (
                anys and not any(t in self.pending for t in anys)
            ):
                continue
            alls.sort(key=lambda t: len(self.pending[t]))
            if all(self._stands(t) for t in alls) and (
                not anys or any(self._stands(t) for t in anys)
            ):
                return True
        return False

    def confirm(self, held: set[int]) -> None:
        """Every occurrence of the ``held`` items checked whole; the others forgotten."""
        for tag in self.pending:
            if tag[0] in held:
                self._stands(tag, every=True)
        self.located = {tag: at for tag, at in self.located.items() if tag[0] in held}
        self.wanted = _wanted_near(self.watchlist, self.located, self.breaks)

    def breaks(self) -> list[int]:
        """Where paragraphs start: found only for a text where something stands."""
        if self._breaks is None:
            self._breaks = _breaks(self.text)
        return self._breaks

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
            pos
            for (ii, _slot), at in self.located.items()
            if (ii, ALIAS) in wanted
            for pos, _ in at
        ]


def read(readings: Sequence[Reading]) -> None:
    """Check the readings' key occurrences whole, only as far as it can change which items
    are wanted: an item none of whose aliases stands, and no rule of which can hold in any
    of the texts (a near miss: ``Kurskorrektur``, a weapon named with no handing over), is
    ruled out after a few checks instead of one per occurrence of each of its words. The
    items that may hold are then checked everywhere, so ``located`` and ``wanted`` are
    what checking every occurrence would give."""
    if not readings:
        return
    watchlist = readings[0].watchlist
    held = {
        ii for ii, item in enumerate(watchlist.items) if any(r.may_hold(ii, item) for r in readings)
    }
    for r in readings:
        r.confirm(held)


def _breaks(text: str) -> list[int]:
    """Where paragraphs start (after each run of line breaks)."""
    return [m.end() for m in NEWLINES.finditer(text)]


def _wanted_near(
    watchlist: Watchlist, found: Located, breaks: Callable[[], Sequence[int]]
) -> set[Hashable]:
    """``wanted_slots`` of what ``read`` found, where a rule that works within a sentence
    needs its groups in one paragraph (between line breaks, which always end a sentence)."""

    def paragraphs(ii: int, slot: Hashable) -> set[int]:
        at = found.get((ii, slot), ())
        return {bisect.bisect_right(breaks(), pos) for pos, _pid in at} if at else set()

    def holds(ii: int, r: int, rule: TopicRule) -> bool:
        if rule.within != "sentence":  # a word window may span paragraphs
            return rule_holds(rule, r, lambda slot: (ii, slot) in found)
        common: set[int] | None = None
        for g in range(len(rule.all_of)):
            here = paragraphs(ii, ("all", r, g))
            common = here if common is None else common & here
        if rule.any_of:
            here = set().union(*(paragraphs(ii, ("any", r, g)) for g in range(len(rule.any_of))))
            common = here if common is None else common & here
        return common is None or bool(common)

    return wanted_if(watchlist, holds, found)


def key_positions(plan: Plan, wanted: set[Hashable], folded: str) -> list[int]:
    """Where the keys of the wanted items occur in ``folded`` (start offsets)."""
    items = {tag[0] for tag in wanted if isinstance(tag, tuple)}
    keys = {kw for pid, ii in enumerate(plan.item_of) if ii in items for kw in plan.keys_of[pid]}
    out: set[int] = set()
    for key, word_start in keys:
        i = folded.find(key)
        while i != -1:
            if not word_start or i == 0 or boundary(folded[i - 1]):
                out.add(i)
            i = folded.find(key, i + 1)
    return sorted(out)
