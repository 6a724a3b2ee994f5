"""Dictionary forms from packages installed with the bot (``MORPHOLOGY``): pymorphy3's
dictionaries for Russian and Ukrainian, Kiwi's packaged model for Korean, the lookup tables
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

MORPHOLOGY: dict[str, str] = {"ru": "pymorphy3", "uk": "pymorphy3", "ko": "kiwi"}
"""Where a language's dictionary forms come from when not from spacy-lookups-data.

spaCy's own ``pymorphy3`` lemmatizer mode needs POS tags from a trained tagger (without
them it returns the word unchanged), so the matcher asks pymorphy3's analyser directly,
as spaCy's ``pymorphy3_lookup`` mode does, and keeps every analysis, not only
unambiguous ones. Korean has no lemma table at all: Kiwi splits a word into morphemes."""

COMPOUNDING = frozenset({"de"})
"""Languages that write compounds as one word, inflected at the head, which is last
(``Waffenlieferungen`` = Waffen + Lieferungen). The matcher reads such a word's dictionary
form as its modifier + its head's (``Waffenlieferung``), and a one-word noun of a topic
rule matches compounds ending in it (``Munition`` in ``Artilleriemunition``)."""


def lemma_source(lang: str) -> str | None:
    """``pymorphy3``, ``kiwi`` or ``lookup`` for ``lang``; None when it has no lemmas."""
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


class Kiwi:
    """Kiwi with its packaged model (kiwipiepy_model), built on first use, one call at a time."""

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        # The lightest configuration that reads news as well as the full one (same Korean
        # F1 on the eval set and the devset): the typo and multi-word dictionaries only
        # help with informal text, and the default user dictionary (~70 MB resident) adds
        # names the matcher does not need (Kiwi still tags 북한산, 태평양 as proper nouns).
        # The packaged model is CoNg, the only one kiwipiepy_model ships (no knlm/sbg).
        # No smaller model exists: the knlm/sbg models of kiwipiepy_model 0.21 took about
        # 290 MB resident, and no worker setting (0, 1, -1) changed the ~230 MB measurably.
        # Measured again with kiwipiepy 0.24.1 (model loaded by a first tokenize): ~210 MB,
        # nearly all anonymous heap (the model file is read, not mapped); model_type "none"
        # is this CoNg, "cong-global" costs ~20 MB more, integrate_allomorph changes nothing,
        # and MALLOC_ARENA_MAX or malloc_trim give back under 10 MB.
        # Session 16 (kiwipiepy 0.24.1): ~222 MB (~176 constructing, ~46 at first use): the
        # CoNg model unpacked from 4 to 8 bits a weight (~140 MB; no lighter model type is
        # packaged, and the file is decoded, so mapping it would not help). Without
        # nounchr.mdl (the unknown-noun model, 16 MB; oov_handling="rule") 88 of the 4,282
        # Korean words in the eval set, the devset and the bench read differently
        # (동태평양 -> 동 + 태평양, 김건희 -> 김 + 건 + 희), so it stays. num_workers 0/1/-1:
        # the same. kiwipiepy keeps its builder after building and offers no way to drop it.
        self._kiwi = Kiwi(
            num_workers=-1,
            load_default_dict=False,
            load_typo_dict=False,
            load_multi_dict=False,
        )
        self._lock = threading.Lock()
        # kiwipiepy builds its analyser from the builder at the first call, and what
        # the building frees stays with kiwipiepy's own allocator (mimalloc): ~20 MB
        # resident for good. Build it now, then have that allocator give it back.
        self._kiwi.tokenize("가")
        release_kiwi_heap()

    def morphemes(self, word: str) -> list[tuple[str, str]]:
        """(form, tag) of each morpheme of ``word``: ``북한군이`` -> 북한군/NNG, 이/JKS."""
        with self._lock:
            return [(t.form, t.tag) for t in self._kiwi.tokenize(word)]


def release_kiwi_heap() -> bool:
    """Return to the system the memory kiwipiepy's allocator holds freed (``mi_collect``
    of the mimalloc linked into its extension); False where there is no such function.

    mimalloc keeps freed pages for reuse and gives them back only later, on an
    allocation after a delay; the building of Kiwi frees ~20 MB that no later call of
    ours reuses. Only memory already freed is released: the analyses are unchanged."""
    try:
        import ctypes

        import _kiwipiepy

        collect = ctypes.CDLL(_kiwipiepy.__file__).mi_collect
    except (ImportError, OSError, AttributeError, TypeError):
        return False
    collect.argtypes = [ctypes.c_bool]
    collect.restype = None
    collect(True)
    return True


@cache
def korean_analyzer() -> Kiwi:
    """The one Kiwi of the process (its model takes a couple of seconds to load)."""
    return Kiwi()


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
