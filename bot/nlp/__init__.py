"""The NLP layer: pure functions of text + watchlist (no I/O beyond cached spaCy pipelines).

``analyze`` is what the rest of the bot calls; ``match`` and ``extract_quotes`` are its parts.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bot.models import Analysis
from bot.nlp import spacy_cli

spacy_cli.install()  # before anything here imports spaCy: its CLI only when asked for

if TYPE_CHECKING:
    from bot.nlp.matcher import could_match, haystack_of, match
    from bot.nlp.pipelines import clean_hint, configure, detect_language, get_pipeline
    from bot.nlp.quotes import extract_quotes
    from bot.nlp.watchlist import WatchItem, Watchlist, load_watchlist, parse_watchlist

_LAZY = {
    "could_match": "bot.nlp.matcher",
    "haystack_of": "bot.nlp.matcher",
    "clean_hint": "bot.nlp.pipelines",
    "match": "bot.nlp.matcher",
    "configure": "bot.nlp.pipelines",
    "detect_language": "bot.nlp.pipelines",
    "get_pipeline": "bot.nlp.pipelines",
    "extract_quotes": "bot.nlp.quotes",
    "WatchItem": "bot.nlp.watchlist",
    "Watchlist": "bot.nlp.watchlist",
    "load_watchlist": "bot.nlp.watchlist",
    "parse_watchlist": "bot.nlp.watchlist",
}
"""Names imported on first use: ``bot.text`` (and so every command, even ``--help``)
imports ``bot.nlp.text``, which must not pull in spaCy and numpy (a second of start-up)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.nlp' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "WatchItem",
    "Watchlist",
    "analyze",
    "clean_hint",
    "configure",
    "could_alert",
    "could_match",
    "detect_language",
    "extract_quotes",
    "get_pipeline",
    "haystack_of",
    "load_watchlist",
    "match",
    "parse_watchlist",
]

MAX_TITLE_CHARS = 1_000
MAX_TEXT_CHARS = 200_000
"""What is analysed of one document: several times the longest news article, and far below
spaCy's ``max_length``, so a hostile or broken source cannot stall or crash the matcher."""

QUICK_SAMPLE = 200
"""Characters that name the language of a document the prefilter ruled out (cheap)."""


class _Unmatched(Analysis):
    """The analysis of a document the screen ruled out (no match, no quotes), whose
    language is guessed from ``sample`` when first read: three quarters of a stream are
    such documents, and the guess cost a sixth of their time for a value that only
    ``newsbot match``, ``eval`` and ``scan --json`` show. Equal to, and pickled as, the
    plain ``Analysis`` it stands for."""

    _sample: str

    def __init__(self, sample: str) -> None:
        object.__setattr__(self, "_sample", sample)
        object.__setattr__(self, "matches", ())
        object.__setattr__(self, "quotes", ())

    @property
    def language(self) -> str:
        named: str | None = self.__dict__.get("_language")
        if named is None:
            from bot.nlp.pipelines import detect_language

            named = detect_language(self._sample)
            object.__setattr__(self, "_language", named)
        return named

    def plain(self) -> Analysis:
        return Analysis(language=self.language, matches=self.matches, quotes=self.quotes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Unmatched):
            other = other.plain()
        return self.plain() == other

    def __hash__(self) -> int:
        return hash(self.plain())

    def __repr__(self) -> str:
        return repr(self.plain())

    def __reduce__(self) -> tuple[type[Analysis], tuple[str, tuple[()], tuple[()]]]:
        return (Analysis, (self.language, (), ()))


def could_alert(title: str, text: str, watchlist: Watchlist) -> bool:
    """The screen ``analyze`` runs first: False means no item of ``watchlist`` can match
    this document in any language (one automaton pass, no language detection, no spaCy).
    The backtest asks it of a week of articles with only the edited items."""
    from bot.nlp.matcher import could_match, haystack_of

    return could_match(watchlist, haystack_of(title[:MAX_TITLE_CHARS], text[:MAX_TEXT_CHARS]))


def analyze(
    title: str,
    text: str,
    watchlist: Watchlist,
    language: str | None = None,
    *,
    quotes: bool | None = None,
) -> Analysis:
    """Match and extract quotes for one document.

    ``language`` is what the source declares (``Article.language``); it is checked against
    the text, because feeds often declare one language for everything they publish. A
    plausible declaration wins; None means detect. Call ``match`` directly to force one.
    Text past ``MAX_TEXT_CHARS`` is not analysed.

    ``quotes``: None (default) extracts quotes only when something matched, since most
    documents match nothing and their quotes are never shown; True always extracts them
    (``newsbot match`` reports quotes for every document); False never does.
    """
    # from the modules, not the packages: ``from package import name`` runs Python code
    # (importlib's ``_handle_fromlist``) on every call, a few % of a skipped document
    from bot.nlp.matcher.plans import could_match, haystack_of
    from bot.nlp.matcher.results import match
    from bot.nlp.pipelines import clean_hint, detect_language
    from bot.nlp.quotes.extract import extract_quotes

    title, text = title[:MAX_TITLE_CHARS], text[:MAX_TEXT_CHARS]
    sample = text if text.startswith(title.strip()) else f"{title}\n{text[:QUICK_SAMPLE]}"
    haystack = haystack_of(title, text)
    if quotes is not True and not could_match(watchlist, haystack):
        # Most of a stream: nothing can match, so skip full detection and spaCy. The
        # language is still reported: the declared one, or a guess from the opening,
        # made only if someone reads it (the ingest path never does).
        hint = clean_hint(language)
        if hint:
            return Analysis(language=hint, matches=(), quotes=())
        return _Unmatched(sample[:QUICK_SAMPLE])
    if sample is not text:
        sample = f"{title}\n{text}"
    lang = detect_language(sample, hint=language)
    matches = match(title, text, watchlist, lang, haystack=haystack)
    want_quotes = bool(matches) if quotes is None else quotes
    return Analysis(
        language=lang,
        matches=matches,
        quotes=extract_quotes(text, lang) if want_quotes else (),
    )
