"""The platform-neutral wording of an alert's parts: what every renderer says, in the same words.

The terminal, Slack Block Kit and Discord embeds call these so that every platform says the
same thing: which items matched and why, who said what, where it was published. Building the
alert (which quotes, how long) is :mod:`bot.alerts.build`; only the phrasing is here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from bot.alerts.build import QUOTE_MAX, SOURCE_MAX, SPEAKER_MAX, unquoted
from bot.models import Alert, Digest, FollowUp, Match, Quote, Translation
from bot.nlp.text import fold
from bot.settings.languages import LANGUAGE_NAMES, base_language
from bot.text import ELLIPSIS, clean_line, window_text

FORM_MAX = 60
MAX_FORMS = 3
"""Evidence forms shown per match: enough to audit the match, few enough to read."""

_MARKS = {
    "fr": ("«\u00a0", "\u00a0»"),
    "de": ("„", "“"),
    "ru": ("«", "»"),
    "uk": ("«", "»"),
    "be": ("«", "»"),
    "ja": ("「", "」"),
}
_DEFAULT_MARKS = ("“", "”")


def quote_marks(language: str) -> tuple[str, str]:
    """Opening and closing quotation marks a reader of ``language`` expects."""
    return _MARKS.get(language.split("-")[0].lower(), _DEFAULT_MARKS)


def quote_body(quote: Quote, language: str, max_len: int = QUOTE_MAX) -> str:
    """The quoted words in the language's quotation marks, without the speaker."""
    text = clean_line(quote.text, max_len)
    if unquoted(text) != text:
        return text
    opening, closing = quote_marks(language)
    return f"{opening}{text}{closing}"


def quote_line(quote: Quote, language: str) -> str:
    """``“Nous réaffirmons …” — Choe Son Hui``: the quote and who said it, when known."""
    speaker = clean_line(quote.speaker, SPEAKER_MAX)
    body = quote_body(quote, language)
    return f"{body} — {speaker}" if speaker else body


def evidence_forms(match: Match, max_forms: int = MAX_FORMS) -> tuple[list[str], int]:
    """Forms worth showing (first found first, no repeats, not just the item's name) and how
    many more there are."""
    forms: list[str] = []
    seen = {fold(match.name, collapse_whitespace=True)}
    for raw in match.evidence:
        form = clean_line(raw, FORM_MAX)
        key = fold(form, collapse_whitespace=True)
        if not key or key in seen:
            continue
        seen.add(key)
        forms.append(form)
    return forms[:max_forms], max(0, len(forms) - max_forms)


def mentioned_in(text: str, evidence: Iterable[str]) -> bool:
    """Whether any evidence form occurs in ``text`` as whole words (each part of a
    "fournir … obus" form, in any case or accent)."""
    haystack = fold(text, collapse_whitespace=True)
    if not haystack:
        return False
    for form in evidence:
        parts = [fold(p, collapse_whitespace=True) for p in form.split(ELLIPSIS)]
        parts = [p for p in parts if p]
        if parts and all(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", haystack) for p in parts):
            return True
    return False


def why_line(match: Match, *, in_lead: bool = False, max_forms: int = MAX_FORMS) -> str:
    """``North Korea ×14 in title and lead ("Corée du Nord", "nord-coréens")``.

    Says what matched, how often, whether prominently, and the words that made it match,
    so an analyst can trust the alert or tune the watchlist.
    """
    name = clean_line(match.name, FORM_MAX)
    line = f"{name} ×{match.count}"
    where = [w for w, on in (("title", match.in_title), ("lead", in_lead)) if on]
    if where:
        line += " in " + " and ".join(where)
    forms, more = evidence_forms(match, max_forms)
    if forms:
        shown = ", ".join(f'"{f}"' for f in forms)
        if more:
            shown += f", +{more} more"
        line += f" ({shown})"
    return line


def why_parts(alert: Alert) -> tuple[str, ...]:
    """One :func:`why_line` per match, in the alert's order."""
    return tuple(why_line(m, in_lead=mentioned_in(alert.lead, m.evidence)) for m in alert.matches)


def items_line(alert: Alert) -> str:
    """``North Korea · Kursk · Arms transfers``: the watch items, strongest first."""
    return " · ".join(clean_line(m.name, FORM_MAX) for m in alert.matches)


def source_line(alert: Alert) -> str:
    """``fr · seed file`` (plus the publication time when the source gave one)."""
    source = clean_line(alert.source_name, SOURCE_MAX)
    if alert.also_in:
        others = ", ".join(clean_line(o, SOURCE_MAX) for o in alert.also_in[:3])
        more = len(alert.also_in) - 3
        source += f" (also {others}{f' +{more}' if more > 0 else ''})"
    parts = [alert.language, source]
    if alert.published is not None:
        parts.append(alert.published.strftime("%Y-%m-%d %H:%M"))
    return " · ".join(p for p in parts if p)


def empty_digest_text(digest: Digest, now: datetime | None = None) -> str:
    """``No alerts for kursk in the last 24 h.``: an empty brief that says what was asked."""
    what = f" for {clean_line(digest.item_id, FORM_MAX)}" if digest.item_id else ""
    if digest.since is None:
        return f"No alerts{what} yet."
    return f"No alerts{what} in the last {window_text(digest.since, now)}."


# -- machine translation (issue 17) ------------------------------------------------------

TRANSLATED_TITLE_MAX = 400
TRANSLATED_LEAD_MAX = 900
TRANSLATED_QUOTE_MAX = 900
"""Room for translations, which run longer than their originals (Korean to English often
doubles); each platform still cuts to its own limits."""
BACKEND_MAX = 40


def language_name(code: str) -> str:
    """``Korean`` for ``ko`` (or ``ko-KR``); an unknown code as itself, never empty."""
    base = base_language(code.strip())
    return LANGUAGE_NAMES.get(base) or clean_line(code, 16) or "an unknown language"


def shown_translation(alert: Alert) -> Translation | None:
    """The alert's translation if a reader should see one (or its pending mark), else None.

    A translation with nothing translated in it changes nothing: the alert renders as
    it would without one.
    """
    tr = alert.translation
    if tr is None:
        return None
    if tr.pending:
        return tr
    texts = (tr.title, tr.lead, *tr.quotes[: len(alert.quotes)])
    return tr if any(clean_line(t) for t in texts) else None


def translation_mark(tr: Translation) -> str:
    """``machine translation from Korean (LibreTranslate)``, or, before it has arrived,
    ``original in Korean · translation pending``: the alert never hides that a machine
    wrote what the reader sees, nor that a translation is still coming."""
    source = language_name(tr.source)
    if tr.pending:
        return f"original in {source} · translation pending"
    backend = clean_line(tr.backend, BACKEND_MAX)
    return f"machine translation from {source}" + (f" ({backend})" if backend else "")


def _done(alert: Alert) -> Translation | None:
    tr = alert.translation
    return None if tr is None or tr.pending else tr


def translated_title(alert: Alert) -> str:
    """The headline in the channel's language, or "" when there is none to show."""
    tr = _done(alert)
    return clean_line(tr.title, TRANSLATED_TITLE_MAX) if tr is not None else ""


def translated_lead(alert: Alert) -> str:
    """The lead in the channel's language, or "" when there is none to show."""
    tr = _done(alert)
    return clean_line(tr.lead, TRANSLATED_LEAD_MAX) if tr is not None and alert.lead else ""


def translated_quote_body(alert: Alert, index: int) -> str:
    """Quote ``index`` translated, in the target language's quotation marks, or "" when
    that quote has no translation (then it is shown as the original alone)."""
    tr = _done(alert)
    if tr is None or index >= len(tr.quotes) or index >= len(alert.quotes):
        return ""
    text = tr.quotes[index]
    if not clean_line(text):
        return ""
    return quote_body(Quote(text or "", None), tr.target, TRANSLATED_QUOTE_MAX)


def shown_quote_line(alert: Alert, index: int) -> str:
    """Quote ``index`` with its speaker, translated when it has a translation: the one line
    a digest shows of an alert."""
    quote = alert.quotes[index]
    body = translated_quote_body(alert, index)
    if not body:
        return quote_line(quote, alert.language)
    speaker = clean_line(quote.speaker, SPEAKER_MAX)
    return f"{body} — {speaker}" if speaker else body


def followup_line(followup: FollowUp) -> str:
    """A follow-up in a few words, unescaped (each renderer escapes it): the outlet that
    carried the story too, or the translated headline that arrived late."""
    if followup.kind == "translation":
        lang = f" ({clean_line(followup.language)})" if followup.language else ""
        text = clean_line(followup.text, 300) or "(no headline)"
        return f"Translation{lang}: {text}"
    return f"Also carried by {clean_line(followup.source_name, SOURCE_MAX) or 'another outlet'}"
