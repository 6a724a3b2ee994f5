"""Whatever a feed writes, the matcher's memory stays bounded: the phrase index memoises
short words only, spaCy never sees a token longer than ``MAX_TOKEN_CHARS``, and a pipeline
whose vocabulary grew too large is built afresh (found by the feed fuzzer,
``tests/sources/test_feed_fuzz.py``, whose 1,000 polls took the process past 3 GB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp import analyze, pipelines
from bot.nlp.phrases import MEMO_WORD_CHARS, PhraseIndex, Word, compile_phrase
from bot.nlp.text import MAX_TOKEN_CHARS, same_length_clean
from bot.nlp.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[2]


def word(text: str, i: int = 0) -> Word:
    return Word(i, i + len(text), text, text, 0)


def test_a_huge_word_is_matched_but_not_kept() -> None:
    index = PhraseIndex()
    index.add(compile_phrase("Kursk*"), "kursk")
    huge = "kursk" + "a" * 200_000
    hits = index.find([word(huge), word("kursk", 1)])
    assert [h.tag for h in hits] == ["kursk", "kursk"]  # a prefix still matches a long word
    assert all(len(norm) <= MEMO_WORD_CHARS for norm, _ in index._memo)
    assert ("kursk", "kursk") in index._memo  # the short one is remembered


def test_spacy_input_keeps_offsets_but_no_run_longer_than_the_token_cap() -> None:
    text = "Kursk " + "a" * 1000 + " https://news.example/a/b?c=d said"
    cleaned = same_length_clean(text)
    assert len(cleaned) == len(text)
    assert max(len(w) for w in cleaned.split()) <= MAX_TOKEN_CHARS
    assert cleaned.startswith("Kursk ") and cleaned.endswith(" https://news.example/a/b?c=d said")


def test_huge_unique_words_do_not_pile_up_in_spacys_strings() -> None:
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    nlp = pipelines.get_pipeline("en")
    before = sum(len(s) for s in nlp.vocab.strings)
    for n in range(20):
        analyze("Kursk", f"The governor of Kursk said {'a' * (50_000 + n)} today.", watchlist, "en")
    after = sum(len(s) for s in pipelines.get_pipeline("en").vocab.strings)
    assert after - before < 20 * MAX_TOKEN_CHARS * 2


def test_a_pipeline_with_too_many_strings_is_built_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    first = pipelines.get_pipeline("en")
    monkeypatch.setattr(pipelines, "MAX_VOCAB_STRINGS", len(first.vocab.strings) + 10)
    first.make_doc(" ".join(f"w{i}" for i in range(50)))
    fresh = pipelines.get_pipeline("en")
    assert fresh is not first
    assert pipelines.get_pipeline("en") is fresh
