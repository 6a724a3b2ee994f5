"""Text normalisation shared by the matcher, the watchlist compiler and the prefilter.

Aliases and articles must be folded the same way (``Corée`` = ``coree``, ``l’armée`` =
``l'armée``, ``Rußland`` = ``russland``), yet an alert must quote what the article really
says. So normalisation keeps a map from every folded character back to the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.cjk import CJK_RANGES

APOSTROPHES = "\u2019\u2018\u201b\u2032\u02bc\u02b9`\u00b4\uff07"
DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02"
HYPHENS = "\u2010\u2011\u2012\u2212\ufe63\uff0d\u2043"

_TYPO = {
    **{c: "'" for c in APOSTROPHES},
    **{c: '"' for c in DOUBLE_QUOTES},
    **{c: "-" for c in HYPHENS},
}
_ASCII_TYPO = tuple((c, r) for c, r in _TYPO.items() if c.isascii())
"""The typography folds that apply to ASCII (the backtick), for ``fold``'s fast path."""


def _ascii_fold(s: str) -> str:
    """``fold`` of an ASCII text: each typographic character replaced in C (rarely any),
    where ``str.translate`` looked every character up in a table."""
    s = s.lower()
    for c, r in _ASCII_TYPO:
        if c in s:
            s = s.replace(c, r)
    return s
# One-to-one, so offsets survive: what spaCy sees has the same length as the article.
_SAME_LENGTH = {c: ("'" if c in APOSTROPHES else "-") for c in APOSTROPHES + HYPHENS}
_UNIFIED = re.compile(f"[{re.escape(APOSTROPHES + HYPHENS)}]")

WORD_RE = re.compile(rf"(?:[^\W_{CJK_RANGES}]|[\u0300-\u036f])+|[{CJK_RANGES}]")
"""A word for matching: letters and digits; apostrophes, hyphens and punctuation split.
An ideograph or kana is a word of its own (Japanese and Chinese have no spaces: ``cjk``)."""


@lru_cache(maxsize=65536)
def fold_char(c: str) -> str:
    """NFKC, casefold, accents stripped, typography unified; may return '' or several chars."""
    if c in _TYPO:
        return _TYPO[c]
    if c.isascii():
        return c.lower()
    if unicodedata.category(c) == "Cf":  # soft hyphen, zero-width joiners, BOM
        return ""
    s = unicodedata.normalize("NFKC", c).casefold()
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = unicodedata.normalize("NFC", s)  # recomposes Hangul split by NFD
    return "".join(_TYPO.get(ch, ch) for ch in s)


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first use of each character: the fold runs in C.

    A news stream uses a few thousand distinct characters, so the table stays small, and
    folding a 3 kB article costs tens of microseconds instead of a Python call per char.
    """

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        if len(self) < 200_000:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


class _AlignedTable(dict[int, str]):
    """Like ``_FoldTable``, but a character whose fold is not exactly one character
    (``ß`` -> ``ss``, a soft hyphen -> nothing) becomes NUL, which marks the result unusable."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        out = folded if len(folded) == 1 and folded != "\0" else "\0"
        if len(self) < 200_000:
            self[code] = out
        return out


_ALIGNED_TABLE = _AlignedTable()


def fold_aligned(s: str, folded: str | None = None) -> str | None:
    """``fold(s)`` when it has one character per character of ``s`` (so an offset in it is
    an offset in ``s``), else None: true of almost every text; not of ``Straße``.

    ``folded``: ``fold(s)`` when the caller has it, so that only the check is paid (the
    matcher folds each document once). Either way, a text with no character of
    ``_Special.unaligned`` is folded by ``fold``, several times faster than the table.
    """
    if s.isascii():
        return folded if folded is not None else _ascii_fold(s)
    if not _special().unaligned.search(s):
        return folded if folded is not None else fold(s)
    marked = s.translate(_ALIGNED_TABLE)
    return None if "\0" in marked else marked


def fold_mapped(s: str) -> tuple[str, list[int]]:
    """``fold(s)`` and, for each of its characters, the offset in ``s`` it comes from: for
    a text ``fold_aligned`` refuses (``Straße``: its ``ss`` both come from ``ß``)."""
    marked = s.translate(_ALIGNED_TABLE)
    parts: list[str] = []
    origin: list[int] = []
    done = 0
    at = marked.find("\0")
    while at != -1:
        parts.append(marked[done:at])
        origin.extend(range(done, at))
        folded = fold_char(s[at])
        parts.append(folded)
        origin.extend([at] * len(folded))
        done = at + 1
        at = marked.find("\0", done)
    parts.append(marked[done:])
    origin.extend(range(done, len(s)))
    return "".join(parts), origin


class _Special:
    """Which characters ``str.lower`` does not already fold, found once for the whole BMP.

    Most characters of a text fold to their lowercase (``Д``, ``a``, ``한``), so ``fold``
    lowercases in C and calls ``fold_char`` only for the rest (``é``, ``й``, ``ß``, ``Σ``,
    whose lowercase depends on context): several times faster than ``str.translate``
    with a per-character table. Characters whose fold ``lower`` would change again, and
    those outside the BMP, send the text to the table instead (``slow``).
    """

    def __init__(self) -> None:
        special: list[str] = []
        slow: list[str] = []
        unaligned: list[str] = []
        for code in range(0x10000):
            c = chr(code)
            if 0xD800 <= code <= 0xDFFF:
                slow.append(c)
                unaligned.append(c)
                continue
            folded = fold_char.__wrapped__(c)
            if folded != c.lower() or c == "\u03a3":
                (special if folded.lower() == folded else slow).append(c)
            if len(folded) != 1 or folded == "\0":
                unaligned.append(c)
        self.special = re.compile(_char_class(special))
        self.slow = re.compile(_char_class(slow) + "|[\U00010000-\U0010ffff]")
        self.either = re.compile(
            f"{_char_class(special)}|{_char_class(slow)}|[\U00010000-\U0010ffff]"
        )
        """Special or slow characters, so that one pass over a text finds both."""
        self.slow_chars = frozenset(slow)
        self.unaligned = re.compile(_char_class(unaligned) + "|[\U00010000-\U0010ffff]")
        """Characters whose fold is not exactly one character (``ß``, a soft hyphen), and
        those ``fold_aligned`` leaves to its table (surrogates, beyond the BMP)."""
        self.table = {c: fold_char.__wrapped__(c) for c in special}
        self.chained = any(self.special.search(f) for f in self.table.values())
        """Whether a special character folds to text with another in it: then replacing
        one character at a time could fold twice, and ``fold`` substitutes in one pass."""


def _char_class(chars: list[str]) -> str:
    ranges: list[str] = []
    codes = sorted(ord(c) for c in chars)
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        a, b = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        ranges.append(a if i == j else f"{a}-{b}")
        i = j + 1
    return "[" + "".join(ranges) + "]"


@lru_cache(maxsize=1)
def _special() -> _Special:
    return _Special()


def fold(s: str, *, collapse_whitespace: bool = False) -> str:
    """The folded form of ``s`` (no offset map): aliases, words and whole documents.

    Without ``collapse_whitespace``, always equal to ``normalize(s).text``: aliases and
    articles must fold alike, and the matcher's offsets are those of ``normalize``. With
    it, every whitespace run becomes one space and the ends are stripped: for comparing
    texts loosely (a title with the start of a body, a quote with one already shown),
    where offsets do not matter but line breaks must not tell two equal texts apart.
    """
    if collapse_whitespace:
        return " ".join(fold(s).split())
    if s.isascii():  # fast path: same result as fold_char on every ASCII character
        return _ascii_fold(s)
    sp = _special()
    # The distinct special characters, found with the slow ones in one pass, each then
    # replaced in C: a substitution with a Python call per occurrence (every й, é or ü)
    # and a second pass for the slow ones cost a third of a skipped document's time.
    found = set(sp.either.findall(s))
    if not found:
        return s.lower()
    if not found.isdisjoint(sp.slow_chars) or max(found) > "\uffff":
        return s.translate(_FOLD_TABLE)
    table = sp.table
    if sp.chained:
        return sp.special.sub(lambda m: table[m.group()], s).lower()
    for c in found:
        s = s.replace(c, table[c])
    return s.lower()


@dataclass(frozen=True)
class Normalized:
    """Folded text plus, for each folded character, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the folded text back to the original text."""
        if start >= end:
            pos = (
                self.starts[start]
                if start < len(self.starts)
                else (self.ends[-1] if self.ends else 0)
            )
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def normalize(original: str) -> Normalized:
    """Fold ``original`` for matching, keeping the offset map back to it."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, c in enumerate(original):
        f = fold_char(c)
        for ch in f:
            out.append(ch)
            starts.append(i)
            ends.append(i + 1)
    return Normalized("".join(out), tuple(starts), tuple(ends))


MAX_TOKEN_CHARS = 200
"""Longest run without whitespace that spaCy is given whole (URLs fit; no word is longer)."""
_LONG_RUN = re.compile(rf"[^\s{CJK_RANGES}]{{{MAX_TOKEN_CHARS + 1},}}")
"""Ideographs and kana never form a run: they are tokens of one character (a Chinese or
Japanese paragraph has no spaces, and cutting it would drop characters)."""


def _cut(m: re.Match[str]) -> str:
    run = m.group()
    step = MAX_TOKEN_CHARS
    return " ".join(run[i : i + step - 1] for i in range(0, len(run), step)).ljust(len(run))


def same_length_clean(text: str) -> str:
    """Unify apostrophes and hyphens without changing any offset (input for spaCy).

    A run of more than ``MAX_TOKEN_CHARS`` characters without a space is cut by spaces,
    offsets kept: spaCy interns every token string for good, and a feed of 200,000-letter
    "words" grew the bot by megabytes a poll.
    """
    # Each character present replaced at once, and the runs looked for only when a piece
    # between spaces is that long: ``str.translate`` with a table and the expression alone
    # read a non-ASCII article character by character (0.2 ms, a tenth of matching it).
    for c in set(_UNIFIED.findall(text)):
        text = text.replace(c, _SAME_LENGTH[c])
    if (
        len(text) > MAX_TOKEN_CHARS
        and len(max(text.split(), key=len, default="")) > MAX_TOKEN_CHARS
    ):
        return _LONG_RUN.sub(_cut, text)
    return text


def words(text: str) -> list[tuple[int, int, str]]:
    """Words of ``text`` as (start, end, folded form); offsets into ``text``."""
    return [(m.start(), m.end(), fold(m.group())) for m in WORD_RE.finditer(text)]
