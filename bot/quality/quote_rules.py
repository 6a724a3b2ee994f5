"""The rules that say whether the bot found a labelled quote and named its speaker.

Written out in the README ("Measuring the matcher") so that a number can be checked by hand.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.quality.labels import LabelledQuote

QUOTE_COVERAGE = 0.60
"""A predicted quote inside a labelled one must cover at least this share of it."""


def normalize_quote(text: str) -> str:
    """NFKC, casefold, punctuation and quotation marks gone, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        " " if unicodedata.category(c)[0] in "PSZC" else c for c in folded
    )
    return " ".join(kept.split())


def quote_overlap(labelled: str, predicted: str) -> float:
    """How well ``predicted`` covers ``labelled`` (both normalised): 1.0 when it contains
    it, the covered share when it lies inside it, 0.0 otherwise."""
    if not labelled or not predicted:
        return 0.0
    if labelled in predicted:
        return 1.0
    if predicted in labelled:
        return len(predicted) / len(labelled)
    return 0.0


def best_quote(labelled: str, predicted: Sequence[LabelledQuote]) -> LabelledQuote | None:
    """The predicted quote that finds ``labelled`` best (None when none does): containing
    it beats lying inside it; among those, the tightest."""
    target = normalize_quote(labelled)
    best: tuple[float, int] | None = None
    chosen: LabelledQuote | None = None
    for quote in predicted:
        norm = normalize_quote(quote.text)
        cover = quote_overlap(target, norm)
        if cover < QUOTE_COVERAGE:
            continue
        rank = (cover, -len(norm))
        if best is None or rank > best:
            best, chosen = rank, quote
    return chosen


_TITLE_WORDS = """
mr mrs ms dr sir president vice prime minister secretary general spokesman spokeswoman
spokesperson m mme président présidente ministre porte parole herr frau präsident
präsidentin kanzler kanzlerin minister ministerin sprecher sprecherin señor señora presidente
ministro ministra portavoz господин президент премьер министр глава пан пані прем єр міністр
речник 대통령 위원장 국무위원장 총비서 장관 총리 부의장 의장 대변인 외무상 국방상 씨
"""
TITLE_WORDS = frozenset(_TITLE_WORDS.split())
"""Titles dropped from a speaker's name before comparing ("Putin" = "President Putin");
a name that is nothing but titles keeps them."""


def speaker_tokens(name: str | None) -> frozenset[str]:
    if not name:
        return frozenset()
    words = frozenset(normalize_quote(name).split())
    return (words - TITLE_WORDS) or words


def speaker_matches(labelled: str | None, predicted: str | None) -> bool:
    """Same speaker when one name's words are a subset of the other's ("Blinken" =
    "Antony Blinken"); no predicted speaker is never right."""
    gold, guess = speaker_tokens(labelled), speaker_tokens(predicted)
    if not gold or not guess:
        return False
    return gold <= guess or guess <= gold
