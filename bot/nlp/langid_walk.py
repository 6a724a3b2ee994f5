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
from array import array
from typing import Any

import numpy
from py3langid import langid

SYNC_BYTES = 6
"""Bytes after which the tokenizer's state no longer depends on where it started."""

MODEL_DIGEST = "04493455b624152089b0d85af10a1333"
"""``model_digest`` of the model for which ``SYNC_BYTES`` was proved (py3langid 0.4)."""

_DTYPES = {"H": numpy.uint16, "I": numpy.uint32, "L": numpy.uint64}


def model_digest(nextmove: Any, row: Any, output: Any) -> str:
    """A fingerprint of the tokenizer: transitions, rows and outputs."""
    h = hashlib.blake2b(digest_size=16)
    h.update(memoryview(nextmove).cast("B"))
    h.update(memoryview(row).cast("B"))
    h.update(numpy.asarray(output, dtype=numpy.int32).tobytes())
    return h.hexdigest()


class Walk:
    """The tokenizer as compact numpy arrays: 21 MB where py3langid keeps 45 MB.

    A transition is a state below 2**17 (the model has 104,583), kept as its low 16 bits
    (``low``, uint16) and its 17th bit (``high``, one bit a transition), where py3langid
    keeps 32 bits; the rows stay deduplicated as py3langid has them.
    """

    def __init__(self, nextmove: Any, row: Any, output: Any) -> None:
        moves = numpy.frombuffer(nextmove, dtype=_DTYPES[nextmove.typecode])
        if len(moves) and int(moves.max()) >= 1 << 17:
            raise ValueError("a state past 2**17 needs more than 17 bits")
        self.low = moves.astype(numpy.uint16)  # the low 16 bits (astype wraps)
        self.high = numpy.packbits(moves >> 16 != 0, bitorder="little")
        rows = numpy.frombuffer(row, dtype=_DTYPES[row.typecode]).astype(numpy.int32)
        self.rowbase = rows << 8  # under 2**31: 38,346 rows of 256
        self.output = numpy.asarray(output, dtype=numpy.int32)
        pairs = numpy.arange(1 << 16)
        start = numpy.zeros(1 << 16, numpy.int32)
        self.start2 = self.step(self.step(start, pairs >> 8), pairs & 255)
        """The state after any two bytes read from the start state (256 KB): two steps in one."""

    def step(self, states: Any, data: Any) -> Any:
        """The state after reading byte ``data[i]`` in state ``states[i]``, for every i."""
        at = self.rowbase[states] + data
        high = self.high[at >> 3] >> (at & 7).astype(numpy.uint8)
        high &= 1
        state = high.astype(numpy.int32)
        state <<= 16
        state |= self.low[at]
        return state

    def states(self, data: bytes) -> Any:
        """The state after each byte of ``data``."""
        n = len(data)
        x = numpy.frombuffer(data, dtype=numpy.uint8)
        head = []
        state = numpy.zeros(1, dtype=numpy.int32)
        for k in range(min(n, SYNC_BYTES - 1)):  # fewer bytes than the sync length behind
            state = self.step(state, x[k : k + 1])
            head.append(int(state[0]))
        m = n - SYNC_BYTES + 1
        if m <= 0:
            return numpy.asarray(head, dtype=numpy.int32)
        pair = x[:-1].astype(numpy.int32)
        pair <<= 8
        pair |= x[1:]
        at = self.start2[pair[:m]]
        for k in range(2, SYNC_BYTES):
            at = self.step(at, x[k : k + m])
        return numpy.concatenate((numpy.asarray(head, dtype=at.dtype), at))

    def visits(self, data: bytes) -> tuple[Any, Any]:
        """What ``langid.visit_counts`` counts in ``data``: the features (as ``intp``) in
        order of first occurrence, and how often each occurs (as ``float32``), which is
        how py3langid's ``_sparse_score`` reads its ``Counter``. Both empty for none."""
        features = self.output[self.states(data)]
        features = features[features >= 0]
        n = len(features)
        if not n:
            return features.astype(numpy.intp), features.astype(numpy.float32)
        order = features.argsort(kind="stable")
        ordered = features[order]
        new = numpy.empty(n, dtype=bool)
        new[0] = True
        numpy.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        starts = new.nonzero()[0]
        counts = numpy.empty(len(starts), dtype=numpy.float32)
        counts[:-1] = starts[1:] - starts[:-1]
        counts[-1] = n - starts[-1]
        first = order[starts].argsort()
        return ordered[starts][first].astype(numpy.intp), counts[first]


class FastIdentifier(langid.LanguageIdentifier):
    """py3langid's identifier whose feature counting is ``Walk``'s, when proved exact.

    With the walk, py3langid's own tokenizer (32-bit transitions and two lists of a
    Python int per state, ~45 MB) is never read again, so it is let go: what counting
    needs is the walk's compact copy."""

    __slots__ = ("_walk",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model: Any = self
        digest = model_digest(model.tk_nextmove, model.tk_row, model.tk_output)
        self._walk = (
            Walk(model.tk_nextmove, model.tk_row, model.tk_output)
            if (digest == MODEL_DIGEST)
            else None
        )
        if self._walk is not None:  # py3langid's own slots, which it leaves untyped
            model.tk_nextmove = array(model.tk_nextmove.typecode)
            model._rowbase = []
            model.tk_output = []

    def _raw_score(self, text: bytes) -> Any:
        walk = self._walk
        if walk is None:
            return super()._raw_score(text)
        features, counts = walk.visits(text)
        if not len(features):
            return super()._raw_score(b"")  # no feature: py3langid's own fill
        # ``_sparse_score`` on the same arrays it would make of the ``Counter``
        return numpy.log1p(counts) @ self.nb_ptc[features] + self.nb_pc
