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
    """The tokenizer as numpy arrays (views of py3langid's own, except the outputs)."""

    def __init__(self, nextmove: Any, row: Any, output: Any) -> None:
        self.nextmove = numpy.frombuffer(nextmove, dtype=_DTYPES[nextmove.typecode])
        rows = numpy.frombuffer(row, dtype=_DTYPES[row.typecode]).astype(numpy.int64)
        self.rowbase = rows << 8
        self.output = numpy.asarray(output, dtype=numpy.int32)

    def states(self, data: bytes) -> Any:
        """The state after each byte of ``data`` (at least ``SYNC_BYTES`` long)."""
        n = len(data)
        x = numpy.frombuffer(data, dtype=numpy.uint8)
        head = []
        state = 0
        for byte in data[: SYNC_BYTES - 1]:  # fewer bytes than the sync length behind
            state = int(self.nextmove[self.rowbase[state] + byte])
            head.append(state)
        m = n - SYNC_BYTES + 1
        at = numpy.zeros(m, dtype=numpy.int64)
        for k in range(SYNC_BYTES):
            at = self.nextmove[self.rowbase[at] + x[k : k + m]]
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
    """py3langid's identifier whose feature counting is ``Walk``'s, when proved exact."""

    __slots__ = ("_walk",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        digest = model_digest(self.tk_nextmove, self.tk_row, self.tk_output)
        self._walk = (
            Walk(self.tk_nextmove, self.tk_row, self.tk_output)
            if (digest == MODEL_DIGEST)
            else None
        )

    def _raw_score(self, text: bytes) -> Any:
        walk = self._walk
        if walk is None or len(text) < SYNC_BYTES:
            return super()._raw_score(text)
        features, counts = walk.visits(text)
        if not len(features):
            return super()._raw_score(text)  # no feature: py3langid's own fill
        # ``_sparse_score`` on the same arrays it would make of the ``Counter``
        return numpy.log1p(counts) @ self.nb_ptc[features] + self.nb_pc
