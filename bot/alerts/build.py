"""From an analysed article to an Alert: headline, lead, key quotes, all cleaned and capped.

Everything here is a pure function of its arguments. How an alert's parts are then worded
for people (quote lines, why-lines, headers) is :mod:`bot.chat.wording`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from bot.models import Alert, Analysis, Article, Match, Quote
from bot.nlp.text import fold
from bot.text import ELLIPSIS, clean_line, prefix_end, sentences, shorten

TITLE_MAX = 200
"""Longer titles are cut: a headline past this length is a paragraph, not something read at a glance."""
LEAD_MAX = 300
QUOTE_MAX = 300
SPEAKER_MAX = 80
SOURCE_MAX = 80

NEAR = 200
"""Characters between a quote and a hit within which the quote counts as "about" the hit."""
FAR = 800


# --- building -----------------------------------------------------------------------------


def alert_id(article: Article) -> str:
    """A short hex id from the article's identity (source and guid), the same after a restart."""
    key = f"{article.source_id}\x1f{article.guid}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def build_alert(
    article: Article,
    analysis: Analysis,
    *,
    created_at: datetime | None = None,
    max_quotes: int = 3,
) -> Alert:
    """The alert a channel is shown for ``article``: headline, lead, matches and key quotes.

    Matches are kept as given (the matcher already thresholded and sorted them). Feed text
    is cleaned of control characters and capped in length here, once, for every renderer.
    """
    title = clean_line(article.title, TITLE_MAX)
    if not title:
        first = sentences(article.text[:2000], limit=1)
        title = clean_line(first[0], TITLE_MAX) if first else ""
    quotes = choose_quotes(analysis.quotes, analysis.matches, limit=max_quotes)
    return Alert(
        id=alert_id(article),
        title=title,
        source_name=clean_line(article.source_name, SOURCE_MAX),
        language=clean_line(analysis.language, 16),
        matches=analysis.matches,
        quotes=tuple(_display_quote(q) for q in quotes),
        url=clean_line(article.url) or None,
        location=clean_line(article.location or article.url) or None,
        published=article.published,
        created_at=created_at if created_at is not None else datetime.now(UTC),
        lead=lead_of(article),
    )


def lead_of(article: Article, max_len: int = LEAD_MAX) -> str:
    """The first one or two sentences of the body, without repeating the title.

    When the body opens with the title (a ``.txt`` whose title is its first sentence, or a
    feed that repeats the headline), the lead starts after it; if the title stopped
    mid-sentence, the lead says so with a leading "…".
    """
    text = article.text
    mid_sentence = False
    end = prefix_end(text, article.title) if article.title.strip() else None
    if end is not None and not (
        end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    ):
        rest = text[end:]
        stripped = rest.lstrip(" \t\u00a0\u202f")
        if stripped[:1] in (",", ";", ":", "–", "—", "-") or stripped[:1].islower():
            mid_sentence = True
        text = stripped.lstrip(".!?…,;:–—-”»\"' \t\u00a0\u202f")
    parts = sentences(text[: max_len * 8], limit=2)
    if not parts:
        return ""
    lead = clean_line(parts[0])
    if len(parts) > 1 and len(lead) < max_len // 2:
        second = clean_line(parts[1])
        if len(lead) + 1 + len(second) <= max_len:
            lead = f"{lead} {second}"
    if mid_sentence:
        lead = f"{ELLIPSIS} {lead}"
    return shorten(lead, max_len)


# --- choosing quotes -----------------------------------------------------------------------


def quote_distance(quote: Quote, matches: Iterable[Match]) -> int | None:
    """Characters between the quote and the nearest hit (0 if a hit is inside it).

    None when the quote has no offsets or no match has a span in the text (title-only hits).
    """
    if quote.end <= quote.start:
        return None
    best: int | None = None
    for match in matches:
        for start, end in match.spans:
            if start < quote.end and end > quote.start:
                return 0
            gap = start - quote.end if start >= quote.end else quote.start - end
            if best is None or gap < best:
                best = gap
    return best


def _closeness_tier(distance: int | None) -> int:
    """Coarse closeness: inside a hit, same passage, same part of the article, elsewhere."""
    if distance is None:
        return 4
    if distance == 0:
        return 0
    if distance <= NEAR:
        return 1
    if distance <= FAR:
        return 2
    return 3


def _quote_kind(text: str) -> int:
    """0 a statement, 1 a partial quote, 2 a fragment: how much a quote says on its own.

    A scare-quoted word or two (« victoire ») says little. A quote that opens in lower case
    (« ont été déployés dans la région de Koursk ») is a few of the speaker's words woven
    into the reporter's sentence; one that opens a sentence, or runs long, is the
    speaker's own statement. Scripts without case (Korean) go by length alone.
    """
    body = unquoted(text).lstrip(" .…(-–—")
    words = len(body.split())
    if words < 4 and len(body) < 25:
        return 2
    first = body[:1]
    if words >= 10 or (first.isupper() or (first.isalpha() and not first.islower())):
        return 0
    return 1


def choose_quotes(
    quotes: Sequence[Quote], matches: Sequence[Match], *, limit: int = 3
) -> tuple[Quote, ...]:
    """The ``limit`` quotes closest to what matched, returned in the order they appear.

    Ranking: statements before partial quotes before one- or two-word fragments
    (:func:`_quote_kind`); then closeness to the
    nearest hit in tiers (containing a hit, within ``NEAR`` characters, within ``FAR``,
    farther); within a tier a quote with a named speaker first, then the closer one, then
    the earlier one. Tiers are coarse on purpose: a quote attributed to someone 40
    characters from a hit is worth more than an anonymous one 30 characters from it.

    A fragment nobody is named for (« intelligente », a newspaper's title) is a scare
    quote, not a statement: it is never shown, however close it stands.
    """
    if limit <= 0:
        return ()
    seen: set[str] = set()
    candidates: list[tuple[tuple[int, int, bool, float, int, int], int, Quote]] = []
    for index, quote in enumerate(quotes):
        key_text = fold(quote.text, collapse_whitespace=True)
        if not key_text or key_text in seen:
            continue
        seen.add(key_text)
        kind = _quote_kind(clean_line(quote.text))
        named = bool(quote.speaker and quote.speaker.strip())
        if kind == 2 and not named:
            continue
        distance = quote_distance(quote, matches)
        rank = (
            kind,
            _closeness_tier(distance),
            not named,
            math.inf if distance is None else float(distance),
            quote.start,
            index,
        )
        candidates.append((rank, index, quote))
    chosen = sorted(candidates)[:limit]
    chosen.sort(key=lambda c: (c[2].start, c[1]) if c[2].end > c[2].start else (math.inf, c[1]))
    return tuple(c[2] for c in chosen)


def _display_quote(quote: Quote) -> Quote:
    """The quote as shown: one line, capped, surrounding quotation marks removed."""
    text = unquoted(clean_line(quote.text))
    speaker = clean_line(quote.speaker, SPEAKER_MAX) or None
    return Quote(text=shorten(text, QUOTE_MAX), speaker=speaker, start=quote.start, end=quote.end)


# --- quotation marks -----------------------------------------------------------------------

_PAIRS = {"«": "»", "“": "”", "„": "“”", '"': '"', "‹": "›", "「": "」", "『": "』"}
_MARK_CHARS = set('«»“”„"‹›「」『』')


def unquoted(text: str) -> str:
    """``text`` without one pair of quotation marks around all of it, if it has exactly that."""
    if len(text) < 2 or text[-1] not in _PAIRS.get(text[0], ""):
        return text
    inner = text[1:-1]
    if any(c in _MARK_CHARS for c in inner):
        return text  # "A" and "B": two quotes, not one wrapped quote
    return inner.strip(" \u00a0\u202f")
