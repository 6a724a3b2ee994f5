"""The phrase index memoises the words it has looked up: short ones only, whatever a
feed writes (found by the feed fuzzer, ``tests/test_feed_fuzz.py``)."""

from __future__ import annotations

from bot.nlp.phrases import MEMO_WORD_CHARS, PhraseIndex, Word, compile_phrase


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
