"""spaCy without its command line until something asks for it.

``import spacy`` imports ``spacy.cli`` for one name (``spacy.info``), and with it every
command's module and their dependencies (weasel, requests, httpx, jinja2...): ~17 MB
resident and ~300 modules the bot never runs. ``DeferredCli`` (a ``sys.meta_path``
finder, installed by ``bot.nlp``) gives ``import spacy`` a stand-in package instead: its
submodules still import as usual (the stand-in has the real package's path), and the
first use of anything else in it (``spacy.info()``, ``spacy.cli.app``) imports the real
package, as if it had been there all along.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from types import ModuleType
from typing import Any

_PACKAGE = "spacy.cli"
_INFO = "spacy.cli.info"
_lock = threading.RLock()


def real_cli() -> ModuleType:
    """The real ``spacy.cli``, imported now if only the stand-in was."""
    with _lock:
        module = sys.modules.get(_PACKAGE)
        if module is not None and not getattr(module, "__deferred__", False):
            return module
        DeferredCli.done = True  # from now on, imports find the real modules
        for name in (_INFO, _PACKAGE):
            if getattr(sys.modules.get(name), "__deferred__", False):
                del sys.modules[name]
        return importlib.import_module(_PACKAGE)


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: the real one, imported on first call."""
    return real_cli().info(*args, **kwargs)


def _package_getattr(name: str) -> Any:
    """A name of the real ``spacy.cli`` (PEP 562): imports the real package."""
    return getattr(real_cli(), name)


class DeferredCli(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``spacy.cli`` and ``spacy.cli.info`` as stand-ins while spaCy itself is being
    imported for the first time (``sys.meta_path``); never after the real one was asked for."""

    done = False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if DeferredCli.done or fullname not in (_PACKAGE, _INFO):
            return None
        if fullname == _PACKAGE:
            real = importlib.machinery.PathFinder.find_spec(fullname, path)
            if real is None or not real.submodule_search_locations:
                return None
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = list(real.submodule_search_locations)
            return spec
        if not getattr(sys.modules.get(_PACKAGE), "__deferred__", False):
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__deferred__"] = True
        if module.__name__ == _PACKAGE:
            module.__dict__["__getattr__"] = _package_getattr
        else:
            module.__dict__["info"] = _info


def install() -> None:
    """Put ``DeferredCli`` first in ``sys.meta_path`` (once), unless spaCy is imported."""
    with _lock:
        if "spacy" in sys.modules or any(isinstance(f, DeferredCli) for f in sys.meta_path):
            return
        sys.meta_path.insert(0, DeferredCli())
