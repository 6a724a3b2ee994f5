"""The NLP layer: pure functions of text + watchlist (no I/O beyond cached spaCy pipelines).

``analyze`` is what the rest of the bot calls; ``match`` and ``extract_quotes`` are its parts.
"""

from __future__ import annotations

from bot.models import Analysis
from bot.nlp.matcher import match
from bot.nlp.pipelines import configure, detect_language, get_pipeline
from bot.nlp.quotes import extract_quotes
from bot.nlp.watchlist import WatchItem, Watchlist, load_watchlist, parse_watchlist

__all__ = [
    "WatchItem",
    "Watchlist",
    "analyze",
    "configure",
    "detect_language",
    "extract_quotes",
    "get_pipeline",
    "load_watchlist",
    "match",
    "parse_watchlist",
]


def analyze(title: str, text: str, watchlist: Watchlist, language: str | None = None) -> Analysis:
    """Match and extract quotes for one document.

    ``language`` is what the source declares (``Article.language``); it is checked against
    the text, because feeds often declare one language for everything they publish. A
    plausible declaration wins; None means detect. Call ``match`` directly to force one.
    """
    sample = text if text.startswith(title.strip()) else f"{title}\n{text}"
    lang = detect_language(sample, hint=language)
    return Analysis(
        language=lang,
        matches=match(title, text, watchlist, lang),
        quotes=extract_quotes(text, lang),
    )
