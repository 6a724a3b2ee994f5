"""The spaCy step: tokens and sentences of the text (only around the prefilter's hits when
rules work within a sentence), turned into words with folded forms and lemmas."""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.attrs import IDX, IS_PUNCT, ORTH

from bot.nlp.matcher.words import NEWLINES, words_join
from bot.nlp.phrases import Word
from bot.nlp.pipelines import get_pipeline
from bot.nlp.text import WORD_RE, fold, same_length_clean


@dataclass(frozen=True)
class Doc:
    text: str
    words: tuple[Word, ...]
    sent_starts: tuple[int, ...]


def _tokenise(nlp: Any, text: str) -> Any:
    """Tokens and sentences, without spaCy's lemmatizer: ``analyse`` reads the same
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
    orths = arr[:, 0]
    # membership by binary search: ``numpy.isin`` and ``union1d`` sort and unique their
    # inputs on every call, more than the rest of this function on a news article
    if len(punct_orths):
        at = numpy.minimum(numpy.searchsorted(punct_orths, orths), len(punct_orths) - 1)
        final = punct_orths[at] == orths
    else:
        final = numpy.zeros(len(orths), dtype=bool)
    plain = numpy.flatnonzero(~final & (arr[:, 1] == 0))
    after = numpy.searchsorted(plain, numpy.flatnonzero(final), side="right")
    picked = plain[after[after < len(plain)]]  # non-decreasing, repeats where finals follow
    if len(picked):
        picked = picked[numpy.concatenate(([True], picked[1:] != picked[:-1]))]
    if not len(picked) or picked[0] != 0:
        picked = numpy.concatenate(([0], picked))
    return arr[picked, 2].tolist()


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


def analyse(
    lang: str,
    text: str,
    lemma_of: Callable[[str], str],
    hits: Sequence[int] | None = None,
    folded: str | None = None,
) -> Doc:
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
    starts = {0, *sents, *(m.end() for m in NEWLINES.finditer(text))}
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
            joins = words_join(text[end : raw[i + 1][0]], norm)
        while sent + 1 < n_sents and sent_starts[sent + 1] <= start:
            sent += 1
        words.append(Word(start, end, norm, lemma, sent, joins))
    return Doc(text, tuple(words), sent_starts)
