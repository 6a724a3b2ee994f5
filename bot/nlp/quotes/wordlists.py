"""The per-language word lists the rules read, loaded from ``bot/nlp/lexicons/*.json``:
the only place a language's words live, so adding a language is adding a file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

LEXICONS = Path(__file__).parent.parent / "lexicons"
"""One JSON file per language (``en.json``): the word lists the rules read (see the README,
"Quotes and speakers"). Adding a language is adding a file."""


class LexiconError(ValueError):
    """A lexicon file that is not an object of lists of strings."""


@lru_cache(maxsize=64)
def lexicon(lang: str) -> Mapping[str, tuple[str, ...]]:
    """The word lists of ``lang`` (empty for a language with no file)."""
    path = LEXICONS / f"{lang}.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(w, str) for w in v) for v in data.values()
    ):
        raise LexiconError(f"{path}: expected an object of lists of strings")
    return {k: tuple(v) for k, v in data.items()}


@lru_cache(maxsize=64)
def lexicon_languages() -> tuple[str, ...]:
    """The languages that have a lexicon file, sorted: the order ``union`` reads them in."""
    return tuple(sorted(p.stem for p in LEXICONS.glob("*.json")))


@lru_cache(maxsize=256)
def lexicon_words(key: str, lang: str) -> frozenset[str]:
    """List ``key`` of ``lang``'s lexicon, casefolded; every language's for one with no file."""
    langs = (lang,) if lang in lexicon_languages() else lexicon_languages()
    return frozenset(w.casefold() for code in langs for w in lexicon(code).get(key, ()))


@lru_cache(maxsize=1)
def all_words(key: str) -> frozenset[str]:
    """List ``key`` of every language's lexicon, casefolded (a rule for any language)."""
    return frozenset(
        w.casefold() for code in lexicon_languages() for w in lexicon(code).get(key, ())
    )


def union(key: str) -> tuple[str, ...]:
    """List ``key`` of every language's lexicon, in file order, each entry once."""
    seen: dict[str, None] = {}
    for code in lexicon_languages():
        seen.update(dict.fromkeys(lexicon(code).get(key, ())))
    return tuple(seen)


def alternation(entries: tuple[str, ...]) -> str:
    """Lexicon entries as one regular-expression alternation (entries are fragments)."""
    return "|".join(entries)
