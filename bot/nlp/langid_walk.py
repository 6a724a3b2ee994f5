"""py3langid's feature counting, vectorised: the same counts, several times faster.

py3langid counts the byte n-grams of a text by walking its tokenizer (a DFA over bytes)
one byte at a time in Python, about 0.2 microseconds a byte: most of what detecting a
document's language costs. The DFA is an Aho-Corasick automaton over n-grams of at most
a few bytes, so its state after a byte depends only on the last ``SYNC_BYTES`` bytes
(``tests/nlp/test_langid_walk.py`` proves it of the installed model by exploring every
pair of states). So the state at every position is found at once, in numpy, by walking
each position's last ``SYNC_BYTES`` bytes from the start state side by side.

The counts are a ``Counter`` in order of first occurrence, as py3langid builds it, so the
scores (a float sum over the features in that order) are the same to the last bit. Only
the model proved so is walked this way (``MODEL_DIGEST``); any other takes py3langid's walk.
"""

from __future__ import annotations

import hashlib
import lzma
import shutil
import tempfile
import zipfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy
from py3langid import langid

from bot.nlp.langid_cache import cache_folder, cache_key, cached, keep

SYNC_BYTES = 6
"""Bytes after which the tokenizer's state no longer depends on where it started."""

MODEL_DIGEST = "04493455b624152089b0d85af10a1333"
"""``model_digest`` of the model for which ``SYNC_BYTES`` was proved (py3langid 0.4)."""

MODEL_FILE_DIGEST = "3bb3dacce6fb5f674e7e15e74cbf4eec"
"""The blake2b digest (16 bytes) of py3langid 0.4's ``model.npz.xz``, whose model is the
one proved (``MODEL_DIGEST``, a test checks it): read from that file, the transitions
(39 MB) need no hashing of their own; the file's 4.5 MB are hashed instead."""

_DTYPES = {"H": numpy.uint16, "I": numpy.uint32, "L": numpy.uint64}


def model_digest(nextmove: Any, row: Any, output: Any) -> str:
    """A fingerprint of the tokenizer: transitions, rows and outputs."""
    h = hashlib.blake2b(digest_size=16)
    h.update(memoryview(nextmove).cast("B"))
    h.update(memoryview(row).cast("B"))
    h.update(numpy.asarray(output, dtype=numpy.int32).tobytes())
    return h.hexdigest()


class Walk:
    """The tokenizer as compact numpy arrays: 20 MB where py3langid keeps 45 MB.

    A transition on byte ``b`` leads to a state whose n-gram ends in ``b`` (or to the
    start state), and no byte leads to more than 11,012 states: so each state is numbered
    once per byte that leads to it (``original`` names it), byte after byte (``base[b]``
    is byte ``b``'s first number), and a transition is kept as the target's number among
    its byte's states, in 16 bits (``low``) where py3langid keeps 32. The state after
    byte ``b`` is then ``base[b] + low[...]``: the same two reads a step as before, and a
    third in a table of 256. The rows stay deduplicated as py3langid has them.
    """

    def __init__(self, low: Any, base: Any, original: Any, row: Any, output: Any) -> None:
        self.low = low
        self.base = base
        self.original = original
        """The model's state for each number."""
        rows = numpy.asarray(row, dtype=numpy.int32)[original]
        self.rowbase = rows << 8  # 38,346 rows of 256
        self.output = numpy.asarray(output, dtype=numpy.int32)[original]
        self.start = int(numpy.flatnonzero(original == 0)[0])
        """A number of the start state."""
        pairs = numpy.arange(1 << 16)
        start = numpy.full(1 << 16, self.start, numpy.int32)
        self.start2 = self.step(self.step(start, pairs >> 8), pairs & 255)
        """The state after any two bytes read from the start state (256 KB): two steps in one."""

    @classmethod
    def of(cls, nextmove: Any, row: Any, output: Any) -> Walk:
        """The walk of py3langid's own tokenizer arrays."""
        moves = numpy.frombuffer(nextmove, dtype=_DTYPES[nextmove.typecode])
        compact = _compact(lambda: iter([moves]), len(moves), len(row))
        if compact is None:
            raise ValueError("a state is reached by two bytes: not a tokenizer Walk numbers")
        low, base, original = compact
        return cls(low, base, original, numpy.frombuffer(row, dtype=_DTYPES[row.typecode]), output)

    def step(self, states: Any, data: Any) -> Any:
        """The state after reading byte ``data[i]`` in state ``states[i]``, for every i."""
        at = self.rowbase[states] + data
        return self.base[data] + self.low[at]

    def states(self, data: bytes) -> Any:
        """The state (its number) after each byte of ``data``."""
        n = len(data)
        x = numpy.frombuffer(data, dtype=numpy.uint8)
        # The first bytes, fewer than the sync length behind, one at a time in plain ints:
        # ``step`` on arrays of one cost a few numpy calls a byte (a twentieth of a
        # detection). The same sums: ``base[b] + low[rowbase[state] + b]``.
        base, low, rowbase = self.base, self.low, self.rowbase
        head = []
        state = self.start
        for b in data[: SYNC_BYTES - 1]:
            state = int(base[b]) + int(low[int(rowbase[state]) + b])
            head.append(state)
        m = n - SYNC_BYTES + 1
        if m <= 0:
            return numpy.asarray(head, dtype=numpy.int32)
        pair = x[:m].astype(numpy.int32)
        pair <<= 8
        pair |= x[1 : m + 1]
        at = self.start2.take(pair, mode="clip")  # every index is in range: no check
        first = base.take(x, mode="clip")  # each byte's first number, read once for every step
        # each step's reads into the same two buffers: no new arrays, no bounds checks
        rows = numpy.empty(m, dtype=numpy.int32)
        lows = numpy.empty(m, dtype=low.dtype)
        for k in range(2, SYNC_BYTES):
            rowbase.take(at, out=rows, mode="clip")
            rows += x[k : k + m]
            low.take(rows, out=lows, mode="clip")
            numpy.add(lows, first[k : k + m], out=at)
        return numpy.concatenate((numpy.asarray(head, dtype=at.dtype), at))

    def visits(self, data: bytes) -> tuple[Any, Any]:
        """What ``langid.visit_counts`` counts in ``data``: the features (as ``intp``) in
        order of first occurrence, and how often each occurs (as ``float32``), which is
        how py3langid's ``_sparse_score`` reads its ``Counter``. Both empty for none."""
        features = self.output.take(self.states(data), mode="clip")
        features = features[features >= 0]
        n = len(features)
        if not n:
            return features.astype(numpy.intp), features.astype(numpy.float32)
        # One sort of (feature, position) pairs as 64-bit keys, all distinct, so any sort
        # gives the order a stable argsort of the features gives (twice the time)
        key = features.astype(numpy.int64)
        key <<= 32
        key += numpy.arange(n)
        key.sort()
        ordered = key >> 32
        new = numpy.empty(n, dtype=bool)
        new[0] = True
        numpy.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        starts = new.nonzero()[0]
        counts = numpy.empty(len(starts), dtype=numpy.float32)
        counts[:-1] = starts[1:] - starts[:-1]
        counts[-1] = n - starts[-1]
        # in order of first occurrence: each feature's first position is its own, so
        # placing them at their positions and reading the places in order sorts them
        slot = numpy.full(n, -1, dtype=numpy.intp)
        slot[key[starts] & 0xFFFFFFFF] = numpy.arange(len(starts))
        by_first = slot[slot >= 0]
        return ordered[starts][by_first].astype(numpy.intp), counts[by_first]


def _compact(
    chunks: Callable[[], Iterator[Any]], total: int, states: int
) -> tuple[Any, ...] | None:
    """``Walk``'s numbering of the transitions (``total``, in chunks of whole rows that
    ``chunks`` gives, twice): (low, base, original); None for a tokenizer where a state
    other than the start is reached by two bytes.

    The numbering is the pairs (byte, target) in order, numbered from each byte's first.
    In py3langid's tokenizer every state but the start state is reached by one byte only
    (its n-gram's last), so the pairs are each state once plus the start state once per
    byte that leads to it: a state's number among its byte's states is one table of
    ``states`` (200 KB), read once per transition, where a search in the 104,644 pairs
    took a third of a second and their map 27 MB. The second pass checks each
    transition's byte against the state's, so another tokenizer gets None, not a wrong
    walk (``tests/nlp/test_langid_walk.py`` compares the numbering with the pairs')."""
    byte_of = numpy.full(states, -1, dtype=numpy.int16)  # the byte that leads to each state
    to_start = numpy.zeros(256, dtype=bool)  # the bytes that lead to the start state
    for moves in chunks():
        rows = moves.reshape(-1, 256)
        byte_of[rows] = _BYTES
        to_start |= rows.min(axis=0) == 0
    byte_of[0] = -1
    targets = numpy.flatnonzero(byte_of >= 0)
    starts = numpy.flatnonzero(to_start)
    keys = byte_of[targets].astype(numpy.int64) * states + targets
    pairs = numpy.concatenate((keys, starts * states))  # byte * states + state, in order
    pairs.sort()
    base = numpy.searchsorted(pairs, numpy.arange(256, dtype=numpy.int64) * states)
    if int(numpy.diff(numpy.append(base, len(pairs))).max(initial=0)) > 1 << 16:
        raise ValueError("a byte leads to more states than 16 bits can number")
    number = numpy.zeros(states, dtype=numpy.int64)  # the start state is its bytes' first
    number[targets] = numpy.searchsorted(pairs, keys) - base[byte_of[targets]]
    # one read a transition gives both its number (low 16 bits) and its byte (high 16;
    # 0xFFFF, no byte, for the start state)
    code = (byte_of.astype(numpy.int64) << 16 | number).astype(numpy.uint32)
    low = numpy.empty(total, dtype=numpy.uint16)
    at = 0
    for moves in chunks():
        n = len(moves)
        found = code.take(moves)
        low[at : at + n] = found
        found >>= 16
        # every transition to another state than the start is on that state's byte
        if numpy.count_nonzero(found.reshape(-1, 256) == _BYTES) != numpy.count_nonzero(moves):
            return None
        at += n
    return low, base.astype(numpy.int32), (pairs % states).astype(numpy.int32)


_BYTES = numpy.arange(256, dtype=numpy.uint32)


def _npy(archive: zipfile.ZipFile, name: str) -> tuple[IO[bytes], tuple[int, ...], Any]:
    """An array of an ``.npz`` opened at its data: the stream, its shape, its dtype."""
    f = archive.open(f"{name}.npy")
    version = numpy.lib.format.read_magic(f)
    read_header = (
        numpy.lib.format.read_array_header_1_0
        if version == (1, 0)
        else numpy.lib.format.read_array_header_2_0
    )
    shape, fortran, dtype = read_header(f)
    if fortran:
        raise ValueError(f"{name}: Fortran order")
    return f, shape, dtype


def _rows(f: IO[bytes], shape: tuple[int, ...], dtype: Any, rows: int) -> Iterator[Any]:
    """The array's rows, ``rows`` at a time."""
    width = int(numpy.prod(shape[1:], dtype=numpy.int64)) if len(shape) > 1 else 1
    for first in range(0, shape[0], rows):
        count = min(rows, shape[0] - first)
        data = f.read(count * width * dtype.itemsize)
        yield numpy.frombuffer(data, dtype=dtype).reshape((count, *shape[1:]))


def _hashed(blocks: Iterable[Any], digests: list[Any]) -> Iterator[Any]:
    """The blocks flat, each hashed into ``digests`` (if any) on the way."""
    for block in blocks:
        for digest in digests:
            digest.update(block)  # its bytes, without a copy
        yield block.ravel()


def read_model(
    path: Path, langs: Iterable[str], cache: Path | None = None
) -> tuple[Any, ...] | None:
    """py3langid's packaged model, its classes cut to ``langs``, as ``FastIdentifier``
    needs it: (nb_ptc, nb_pc, nb_classes, row, walk); None when it is not the model
    proved (``MODEL_DIGEST``: the file's digest, ``MODEL_FILE_DIGEST``, or the model's).

    ``cache``: a folder where the arrays derived from a model proved are kept for the
    next process (``langid_cache``): decompressing the model alone takes a quarter of a second,
    a third of a cold ``newsbot match``. Without it, or when it cannot be read or
    written, the model is read from its file.
    """
    wanted = sorted(set(langs))
    with path.open("rb") as f:
        packed = hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    key = None if cache is None else cache_key(packed, wanted, Path(__file__))
    file = None if cache is None or key is None else cache / f"langid-{key}.npz"
    arrays = None if file is None else cached(file)
    if arrays is None:
        arrays = _unpack(path, wanted, packed == MODEL_FILE_DIGEST)
        if arrays is None:
            return None
        if file is not None:
            keep(file, arrays)
    row, output = arrays["row"], arrays["output"]
    walk = Walk(arrays["low"], arrays["base"], arrays["original"], row, output)
    classes = arrays["classes"].tolist()
    return arrays["ptc_by_class"].T, arrays["pc"], classes, row, walk


def _unpack(path: Path, wanted: list[str], known: bool) -> dict[str, Any] | None:
    """The arrays ``read_model`` returns, read from the model's file (``known``: it is
    the file proved, whose transitions need no hashing); None when it is not the model
    proved.

    Read a few MB at a time: py3langid's loader holds the whole model at once, its
    transitions twice (~110 MB for a moment, the peak of a process that loads it last).
    The classes are cut as ``set_languages`` cuts them, to the same values and layout.
    """
    digest = hashlib.blake2b(digest_size=16)
    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(path) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with zipfile.ZipFile(tmp) as archive:
            with archive.open("classes.npy") as f:
                classes = numpy.lib.format.read_array(f, allow_pickle=False).tolist()
            with archive.open("pc.npy") as f:
                pc = numpy.lib.format.read_array(f, allow_pickle=False)
            keep = [i for i, c in enumerate(classes) if c in wanted]
            f, shape, dtype = _npy(archive, "ptc")
            with f:  # as ``full[:, keep]`` lays it out: column after column
                by_class = numpy.empty((len(keep), shape[0]), dtype=dtype)
                ptc = by_class.T
                at = 0
                for block in _rows(f, shape, dtype, 8192):
                    ptc[at : at + len(block)] = block[:, keep]
                    at += len(block)
            with archive.open("nextmove_row.npy") as f:
                row = numpy.lib.format.read_array(f, allow_pickle=False)
            hashing = [] if known else [digest]  # the first pass hashes the transitions

            def transitions() -> Iterator[Any]:
                f, shape, dtype = _npy(archive, "nextmove")
                with f:
                    yield from _hashed(_rows(f, shape, dtype, 1 << 16), hashing)
                hashing.clear()

            f, shape, dtype = _npy(archive, "nextmove")
            f.close()
            compact = _compact(transitions, int(numpy.prod(shape)), len(row))
            with archive.open("out_feat.npy") as f:
                output = numpy.lib.format.read_array(f, allow_pickle=False).astype(numpy.int32)
    if not known:
        digest.update(row.tobytes())
        digest.update(output.tobytes())
        if digest.hexdigest() != MODEL_DIGEST:
            return None
    if dtype.itemsize not in (2, 4) or compact is None:
        return None
    low, base, original = compact
    return {
        "ptc_by_class": by_class,
        "pc": pc[keep],
        "classes": numpy.array([classes[i] for i in keep]),
        "row": row,
        "low": low,
        "base": base,
        "original": original,
        "output": output,
    }


class FastIdentifier(langid.LanguageIdentifier):
    """py3langid's identifier whose feature counting is ``Walk``'s, when proved exact.

    With the walk, py3langid's own tokenizer (32-bit transitions and two lists of a
    Python int per state, ~45 MB) is never read again, so it is let go: what counting
    needs is the walk's compact copy."""

    __slots__ = ("_walk",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model: Any = self
        self._walk: Walk | None = None
        if len(model.tk_nextmove) and (
            model_digest(model.tk_nextmove, model.tk_row, model.tk_output) == MODEL_DIGEST
        ):
            self._let_go(Walk.of(model.tk_nextmove, model.tk_row, model.tk_output))

    def _let_go(self, walk: Walk) -> None:
        """Count with ``walk``; py3langid's own tokenizer (slots it leaves untyped) goes."""
        model: Any = self
        self._walk = walk
        model.tk_nextmove = array("I")
        model._rowbase = []
        model.tk_output = []

    @classmethod
    def packaged(cls, langs: Iterable[str], norm_probs: bool = True) -> FastIdentifier:
        """The identifier of py3langid's packaged model for ``langs``, read a few MB at a
        time or from the user's cache (``read_model``, ``cache_folder``); py3langid's own
        loading when the model is another."""
        langs = list(langs)
        path = langid.MODEL_DIR / langid.MODEL_FILE
        parts = read_model(path, langs, cache_folder())
        if parts is None:
            ident = cls.from_model_file(langid.MODEL_FILE, norm_probs=norm_probs)
        else:
            ptc, pc, classes, row, walk = parts
            rows = array("H" if row.itemsize == 2 else "I")
            rows.frombytes(row.tobytes())
            ident = cls(ptc, pc, classes, array("I"), [], norm_probs=norm_probs, tk_row=rows)
            ident._let_go(walk)
        ident.set_languages(langs)
        return ident

    def _raw_score(self, text: bytes) -> Any:
        walk = self._walk
        if walk is None:
            return super()._raw_score(text)
        features, counts = walk.visits(text)
        if not len(features):
            return super()._raw_score(b"")  # no feature: py3langid's own fill
        # ``_sparse_score`` on the same arrays it would make of the ``Counter``
        return numpy.log1p(counts) @ self.nb_ptc[features] + self.nb_pc
