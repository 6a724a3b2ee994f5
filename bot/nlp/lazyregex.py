"""An import hook that runs one module with its ``re.compile`` deferred to first use: spaCy's
French exceptions compile an expression the bot never uses, which costs seconds at start."""

from __future__ import annotations

import builtins
import importlib.machinery
import re
import threading
import zlib
from typing import Any

PACK_CHARS = 1 << 16
"""Patterns longer than this wait compressed for their first use."""


class _DeferredRegex:
    """A regular expression compiled the first time it is used, not when it is made."""

    def __init__(self, pattern: Any, flags: int = 0) -> None:
        # A long pattern waits compressed: spaCy's French one is 2.8 MB of text (a few KB
        # compressed) that most processes never compile.
        self._packed = isinstance(pattern, str) and len(pattern) > PACK_CHARS
        if self._packed:
            pattern = zlib.compress(pattern.encode("utf-8", "surrogatepass"))
        self._args = (pattern, flags)
        self._pattern: re.Pattern[Any] | None = None
        self._lock = threading.Lock()

    def compiled(self) -> re.Pattern[Any]:
        with self._lock:
            if self._pattern is None:
                pattern, flags = self._args
                if self._packed:
                    pattern = zlib.decompress(pattern).decode("utf-8", "surrogatepass")
                self._pattern = re.compile(pattern, flags)
            return self._pattern

    def match(self, string: Any, *args: Any) -> Any:
        return self.compiled().match(string, *args)

    def search(self, string: Any, *args: Any) -> Any:
        return self.compiled().search(string, *args)

    def fullmatch(self, string: Any, *args: Any) -> Any:
        return self.compiled().fullmatch(string, *args)

    def finditer(self, string: Any, *args: Any) -> Any:
        return self.compiled().finditer(string, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)


class _ReCompilingLater:
    """The ``re`` module, except that ``compile`` returns a ``_DeferredRegex``."""

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> _DeferredRegex:
        return _DeferredRegex(pattern, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


_RE_LATER = _ReCompilingLater()


def _import_re_later(
    name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
) -> Any:
    if name == "re" and level == 0 and not fromlist:
        return _RE_LATER
    return builtins.__import__(name, globals, locals, fromlist, level)


class _RegexLaterLoader(importlib.machinery.SourceFileLoader):
    """Runs a module whose ``import re`` gets ``_ReCompilingLater``; nothing else changes."""

    def exec_module(self, module: Any) -> None:
        own = dict(vars(builtins))
        own["__import__"] = _import_re_later
        module.__dict__["__builtins__"] = own
        super().exec_module(module)


class RegexLaterFinder:
    """Imports the modules in ``names`` through ``_RegexLaterLoader`` (a ``sys.meta_path``
    finder); a module it cannot find as a plain source file is left to the usual finders."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return None
        spec.loader = _RegexLaterLoader(fullname, spec.loader.path)
        return spec
