"""The quote extractor's work grows with the document, not with its square.

No timing here (speed lives in ``newsbot bench``): the proxy for work is the number of
characters the extractor hands to the regular-expression engine, where all of its scanning
happens. Every regex call of ``bot.nlp.quotes`` (each module of the package) is counted
through a shim for its ``re`` module and its compiled patterns; a linear extractor reads each character a bounded number
of times, a quadratic one (searching the whole text again for every quote, or copying all
the text before each quote into a helper) reads it once per quote.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import types
from collections.abc import Iterator
from typing import Any

import pytest

import bot.nlp.quotes as quotes
from bot.quality.benchmarks.stream import quoted_document

READS_PER_CHAR = 100
"""Generous: the extractor reads a character about 20 times across all its patterns; the
quadratic one read it 500-1,000 times on this 200 KB document (more the longer it is)."""


class _Count:
    chars = 0


class _CountingPattern:
    """A compiled pattern that adds the length of every string it is asked to scan."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._p = pattern

    def __getattr__(self, name: str) -> Any:
        return getattr(self._p, name)

    def _read(self, string: str, pos: int = 0, endpos: int | None = None) -> None:
        end = len(string) if endpos is None else min(endpos, len(string))
        _Count.chars += max(0, end - pos)

    def search(self, string: str, *args: Any) -> Any:
        self._read(string, *args)
        return self._p.search(string, *args)

    def match(self, string: str, *args: Any) -> Any:
        self._read(string, *args)
        return self._p.match(string, *args)

    def fullmatch(self, string: str, *args: Any) -> Any:
        self._read(string, *args)
        return self._p.fullmatch(string, *args)

    def finditer(self, string: str, *args: Any) -> Any:
        self._read(string, *args)
        return self._p.finditer(string, *args)

    def findall(self, string: str, *args: Any) -> Any:
        self._read(string, *args)
        return self._p.findall(string, *args)

    def split(self, string: str, *args: Any) -> Any:
        self._read(string)
        return self._p.split(string, *args)

    def sub(self, repl: Any, string: str, *args: Any) -> Any:
        self._read(string)
        return self._p.sub(repl, string, *args)


def _shim() -> types.SimpleNamespace:
    """``re`` as the extractor uses it, every call counted."""

    def compile_(pattern: Any, flags: int = 0) -> _CountingPattern:
        return _CountingPattern(re.compile(pattern, flags))

    def call(method: str) -> Any:
        def run(pattern: Any, *args: Any, flags: int = 0, **kw: Any) -> Any:
            return getattr(compile_(pattern, flags), method)(*args, **kw)

        return run

    names = {n: getattr(re, n) for n in dir(re) if not n.startswith("_")}
    names.update(
        compile=compile_,
        **{
            m: call(m)
            for m in ("search", "match", "fullmatch", "finditer", "findall", "split", "sub")
        },
    )
    return types.SimpleNamespace(**names)


def _modules() -> list[types.ModuleType]:
    """The extractor's modules: its patterns and caches live in them."""
    return [
        importlib.import_module(f"{quotes.__name__}.{m.name}")
        for m in pkgutil.iter_modules(quotes.__path__)
    ]


def _clear_caches() -> None:
    for module in _modules():
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Count]]:
    for module in _modules():
        if hasattr(module, "re"):
            monkeypatch.setattr(module, "re", _shim())
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _CountingPattern(value))
    _clear_caches()  # patterns built before the shim was in place
    _Count.chars = 0
    yield _Count
    _clear_caches()  # patterns built through the shim


@pytest.mark.parametrize("lang", ["en", "fr", "ko"])
def test_a_document_of_quotes_is_read_a_bounded_number_of_times(
    counted: type[_Count], lang: str
) -> None:
    text = quoted_document(200_000)
    found = quotes.extract_quotes(text, lang)
    assert len(found) > 3_000  # the document is nearly all quotation
    assert counted.chars <= READS_PER_CHAR * len(text), counted.chars / len(text)
