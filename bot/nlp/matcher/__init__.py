"""Find watchlist items in one document: ``match(title, text, watchlist, language)``.

A pure function of its inputs (the only state is caches). Each watchlist is compiled once
per language: its phrases into a word index, and their folded stems into one Aho-Corasick
automaton, the prefilter that lets most documents skip spaCy entirely.

Scoring, so an admin can tune ``min_score``: each hit weighs 3 in the title, 2 in the lead
(the first two sentences after it), 1 elsewhere. A topic counts once per sentence (or word
window) where its rule holds.

The package holds the steps in order of use: ``slots`` (what an item looks for), ``plans``
(a watchlist compiled per language, the key automata), ``lemmatize`` (dictionary forms),
``words`` (the word-level reading before spaCy), ``analysis`` (the spaCy step) and
``results`` (``match`` and the scoring).
"""

from __future__ import annotations

from bot.nlp.matcher.plans import could_match, haystack_of
from bot.nlp.matcher.results import (
    BODY_WEIGHT,
    LEAD_MAX_CHARS,
    LEAD_SENTENCES,
    LEAD_WEIGHT,
    TITLE_WEIGHT,
    match,
)
from bot.nlp.matcher.slots import ALIAS, EXCLUDE

__all__ = [
    "ALIAS",
    "BODY_WEIGHT",
    "EXCLUDE",
    "LEAD_MAX_CHARS",
    "LEAD_SENTENCES",
    "LEAD_WEIGHT",
    "TITLE_WEIGHT",
    "could_match",
    "haystack_of",
    "match",
]
