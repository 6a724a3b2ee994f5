"""Japanese and Chinese: written without spaces, so words are characters.

The matcher compares words, and an alias is a sequence of words. For Japanese and Chinese a
word is one ideograph or kana, both in aliases (``text.WORD_RE``) and in documents (the
tokenizer below), so ``北朝鮮`` matches wherever those three characters stand in a row,
``北朝鮮軍`` and ``北朝鮮が`` included, and never across a punctuation mark. What a run of
characters that is not the item looks like (``朝鲜族``, ``南北朝``) is an ``exclude`` of the
item, as for every other language.

Why not a dictionary segmenter (SudachiPy, jieba): its split of an article and of an alias
disagree often enough (``金正恩`` as one word or as ``金``+``正恩`` depending on the context)
that aliases would miss, and it costs tens of MB and a maximum input size; characters cost
nothing, need no download, and spaCy itself segments Chinese by characters by default.
Latin letters and digits inside the text (``HIMARS``, ``F-16``) stay whole words.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGES = frozenset({"ja", "zh"})
"""Languages tokenized here, one word per ideograph or kana."""

CJK_RANGES = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"  # katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\uff66-\uff9f"  # half-width katakana
)
"""Characters that are each a word of their own (inside a regex character class)."""

CJK_CHAR = re.compile(f"[{CJK_RANGES}]")
_TOKEN = re.compile(f"[{CJK_RANGES}]|[^\\W{CJK_RANGES}]+|[^\\w\\s]")
"""One ideograph or kana; a run of other letters and digits; one punctuation mark."""


def is_cjk(word: str) -> bool:
    """Whether ``word`` is one ideograph or kana (a word of its own)."""
    return len(word) == 1 and CJK_CHAR.match(word) is not None


class CharTokenizer:
    """A spaCy tokenizer: ideographs and kana one token each, other words whole.

    spaCy's own Chinese "char" segmenter splits Latin words into letters too (``H I M A R S``),
    and its Japanese class requires SudachiPy; this one needs nothing and keeps offsets.
    """

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Any:
        from spacy.tokens import Doc
        from spacy.util import get_words_and_spaces

        words = _TOKEN.findall(text)
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Any, batch_size: int = 1000) -> Any:
        for text in texts:
            yield self(text)

    # spaCy serialises a pipeline's tokenizer; this one has no state to save.
    def to_bytes(self, **_kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_kwargs: Any) -> CharTokenizer:
        return self

    def to_disk(self, _path: Any, **_kwargs: Any) -> None:
        return None

    def from_disk(self, _path: Any, **_kwargs: Any) -> CharTokenizer:
        return self


def blank(lang: str) -> Any:
    """A blank pipeline for ``lang`` (ja or zh) with ``CharTokenizer``.

    Built on spaCy's Chinese class for zh and on the multi-language one for ja (spaCy's
    Japanese class will not even start without SudachiPy)."""
    import spacy

    nlp = spacy.blank("zh" if lang == "zh" else "xx")
    nlp.tokenizer = CharTokenizer(nlp.vocab)
    return nlp
