"""Loading ahead what matching loads on first need, for a process that can spend the
seconds before anyone waits on them (the web console's first Try).

The language identifier, the folding tables, spaCy, the quote rules, and per language of
the watchlist its pipeline and its compiled phrases (with their dictionary forms) are
each loaded by the first document that needs them, a second or more apiece. Korean's
analyser (MeCab-ko) still waits for a Korean document: it loads in milliseconds (its
dictionary is mapped, not read), and a bot that never sees Korean need not map it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.nlp.watchlist import ANY_LANGUAGE, Watchlist

HEAVY_LEMMAS = frozenset({"mecab"})
"""Dictionary-form sources not loaded ahead (``lemmas.lemma_source``)."""
_SAMPLE = (
    "« Nous serons là », a dit le ministre. \"We will be there,\" the minister said. "
    "«Мы будем там», — сказал министр."
)
"""Quotes, and more than one script: every path of detection and folding runs once."""


def watchlist_languages(watchlist: Watchlist) -> list[str]:
    """The languages the watchlist has phrases in, in the order they first appear."""
    from bot.nlp.matcher.slots import item_slots

    found: dict[str, None] = {}
    for item in watchlist.items:
        for _, terms in item_slots(item):
            found.update(dict.fromkeys(lang for lang in terms if lang != ANY_LANGUAGE))
    return list(found)


def warm_up(watchlist: Watchlist, stop: threading.Event | None = None) -> list[str]:
    """Load what matching a document of any of the watchlist's languages needs; returns
    the languages made ready. Blocking, seconds of CPU: run it on a thread. ``stop``
    set: returns after the step under way (a bot stopping soon after it started)."""
    from bot.nlp.languages import detect_language
    from bot.nlp.lemmas import lemma_source
    from bot.nlp.matcher import match
    from bot.nlp.matcher.plans import compiled_for, haystack_of
    from bot.nlp.pipelines import get_pipeline
    from bot.nlp.quotes import extract_quotes

    stopped: Callable[[], bool] = stop.is_set if stop is not None else lambda: False
    compiled = compiled_for(watchlist)
    steps: list[Callable[[], object]] = [
        lambda: detect_language(_SAMPLE),
        lambda: haystack_of("", _SAMPLE),
        lambda: compiled.language_free(watchlist),
    ]
    for step in steps:
        if stopped():
            return []
        step()
    ready = []
    for lang in watchlist_languages(watchlist):
        if stopped():
            break
        if lemma_source(lang) in HEAVY_LEMMAS:
            continue
        phrase = next((p for item in watchlist.items for p in item.aliases.get(lang, ())), None)
        if phrase is not None:  # the whole path: plan, pipeline, the reading of a hit
            match("", f"{phrase}. {_SAMPLE}", watchlist, lang)
        compiled.plan(watchlist, lang)
        get_pipeline(lang)
        extract_quotes(_SAMPLE, lang)
        ready.append(lang)
    return ready
