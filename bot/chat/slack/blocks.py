"""Alerts, digests and replies as Slack Block Kit payloads: pure functions, no SDK.

Every piece of article text is escaped (``&``, ``<``, ``>``) before it reaches Slack, so a
feed cannot produce ``<!channel>``, ``<!here>``, ``<@U123>`` or a link: Slack only parses
those from raw angle brackets. A plain ``@channel`` / ``@here`` / ``@everyone`` is broken
with a zero-width space, and every mrkdwn object is ``verbatim``, so neither Slack's
automatic parsing nor the fallback ``text`` can turn feed words into a broadcast.
Slack's limits are enforced here (a header <= 150 characters, a section's text <= 3000,
<= 50 blocks), cutting at a word and never inside an escape, so a huge title or quote
shortens the message instead of failing the post.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.chat.wording import (
    empty_digest_text,
    followup_line,
    items_line,
    quote_body,
    shown_quote_line,
    shown_translation,
    source_line,
    translated_quote_body,
    translated_title,
    translation_mark,
    why_parts,
)
from bot.models import Alert, Digest, FollowUp
from bot.text import ELLIPSIS, clean_line, display_url, shorten, strip_controls

HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 3000
TEXT_MAX = 3000
"""The notification fallback; Slack truncates far later, but nobody reads more."""
MAX_BLOCKS = 50
BUTTON_URL_MAX = 3000
DIGEST_QUOTE_MAX = 300

ALERT_EVENT = "newsbot_alert"
DIGEST_EVENT = "newsbot_digest"
FOLLOWUP_EVENT = "newsbot_followup"
"""``metadata.event_type`` of a collapsed burst; its payload names the batch and alerts."""
"""``metadata.event_type`` on every alert post, so a restart can find what it already posted."""
OPEN_ARTICLE_ACTION = "newsbot_open_article"

Block = dict[str, Any]

# A language is not a country; these are the flags readers of each language expect most.
LANGUAGE_FLAGS = {
    "ar": "🇸🇦",
    "de": "🇩🇪",
    "en": "🇬🇧",
    "es": "🇪🇸",
    "fa": "🇮🇷",
    "fr": "🇫🇷",
    "he": "🇮🇱",
    "it": "🇮🇹",
    "ja": "🇯🇵",
    "ko": "🇰🇷",
    "nl": "🇳🇱",
    "pl": "🇵🇱",
    "pt": "🇵🇹",
    "ru": "🇷🇺",
    "tr": "🇹🇷",
    "uk": "🇺🇦",
    "zh": "🇨🇳",
}


_ZWSP = "\u200b"
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)


def escape_url(url: str) -> str:
    """A URL inside ``<...|...>``: Slack's three control characters as entities, no more."""
    return url.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: str) -> str:
    """Text that shows as written and pings nobody, whatever Slack's parser does with it.

    Slack's three control characters become entities, so ``<!channel>`` and ``<@U123>``
    stay text; and a plain ``@channel``, ``@here`` or ``@everyone`` gets a zero-width space
    after the ``@`` (as on Discord), since a ``mrkdwn`` object without ``verbatim`` and
    the top-level fallback ``text`` may turn those words into broadcasts.
    """
    return _BROADCAST.sub("@" + _ZWSP, escape_url(text))


def fit(text: str, limit: int) -> str:
    """``text`` escaped and at most ``limit`` characters, cut at a word before escaping so an
    entity is never split (``&am`` would show as garbage)."""
    escaped = escape(text)
    n = len(text)
    while len(escaped) > limit and n > 1:
        # Shrink in proportion to the overshoot: entities make the escaped text longer.
        n = min(n - 1, n * limit // len(escaped))
        escaped = escape(shorten(text, max(1, n)))
    return escaped if len(escaped) <= limit else ""


def join_fitting(lines: list[str], limit: int, sep: str = "\n") -> str:
    """Already-escaped lines joined while they fit in ``limit``; the rest become ``…``."""
    out = ""
    for i, line in enumerate(lines):
        candidate = f"{out}{sep}{line}" if out else line
        if len(candidate) > limit:
            more = f"{sep}{ELLIPSIS} +{len(lines) - i} more"
            return out + more if len(out) + len(more) <= limit else out
        out = candidate
    return out


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a button or a link, or None: no ``javascript:``, no ``slack://``."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if len(url) > BUTTON_URL_MAX or any(c.isspace() or c in "<>|\"" for c in url):
        return None
    return url


def mrkdwn_link(url: str, label: str) -> str:
    """``<url|label>`` with the label escaped (and the URL's ``&`` too, as Slack expects)."""
    return f"<{escape_url(url)}|{label}>"


def _mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object with ``verbatim``: Slack links and pings only what the bot
    wrote as ``<...>`` (escaped away in feed text), never words it finds in the text."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text[:SECTION_MAX])}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text[:CONTEXT_MAX])]}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": fit(text, HEADER_MAX)}}


def language_label(language: str) -> str:
    flag = LANGUAGE_FLAGS.get(language.split("-")[0].lower())
    return f"{flag} " if flag else ""


def context_line(alert: Alert) -> str:
    """``🇫🇷 fr · seed file · 2024-11-01 09:30``: language flag, source, date."""
    return language_label(alert.language) + fit(source_line(alert), CONTEXT_MAX - 8)


def quote_block(alert: Alert, index: int) -> Block:
    """One quote as a Slack block quote, with its speaker under it (translated when the
    alert carries its translation; the original then follows in :func:`quote_blocks`)."""
    quote = alert.quotes[index]
    body = translated_quote_body(alert, index) or quote_body(quote, alert.language)
    lines = [f">{fit(body, SECTION_MAX - 200)}"]
    speaker = clean_line(quote.speaker)
    if speaker:
        lines.append(f">— _{fit(speaker, 150)}_")
    return _section("\n".join(lines))


def quote_blocks(alert: Alert, index: int) -> list[Block]:
    """A quote, and under a translated one a context line with the original words."""
    blocks = [quote_block(alert, index)]
    if translated_quote_body(alert, index):
        original = quote_body(alert.quotes[index], alert.language)
        blocks.append(_context(fit(original, CONTEXT_MAX)))
    return blocks


def alert_text(alert: Alert) -> str:
    """The plain-text fallback a notification shows: items and headline (translated, when
    the alert carries a translation)."""
    title = translated_title(alert) or alert.title or "(untitled)"
    return fit(f"{items_line(alert)}: {title}", TEXT_MAX)


def _head(alert: Alert) -> list[Block]:
    """The headline and the context line under it.

    Translated: the translation in the header, the original in a context block right under
    it, and the machine-translation mark beside the source, so the reader always knows a
    machine wrote the headline and can quote what the outlet wrote.
    """
    context = _context(context_line(alert))
    tr = shown_translation(alert)
    if tr is None:
        return [_header(clean_line(alert.title) or "(untitled)"), context]
    context["elements"].append(_mrkdwn(f"_{fit(translation_mark(tr), 200)}_"))
    title = translated_title(alert)
    if not title:
        return [_header(clean_line(alert.title) or "(untitled)"), context]
    original = _context(fit(clean_line(alert.title) or "(untitled)", CONTEXT_MAX))
    return [_header(title), original, context]


def alert_blocks(alert: Alert) -> list[Block]:
    """Header, context, why it matched, up to three quotes, and a link (or where it lies)."""
    blocks: list[Block] = _head(alert)
    why = [f"• {fit(part, SECTION_MAX)}" for part in why_parts(alert)]
    heading = f"*{fit(items_line(alert), 500)}*"
    blocks.append(_section(join_fitting([heading, *why], SECTION_MAX)))
    for i in range(min(3, len(alert.quotes))):
        blocks += quote_blocks(alert, i)
    url = safe_url(alert.url)
    if url:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Read the article"},
            "url": url,
            "action_id": OPEN_ARTICLE_ACTION,
        }
        blocks.append({"type": "actions", "elements": [button]})
    elif alert.location:
        blocks.append(_context(fit(clean_line(alert.location), CONTEXT_MAX)))
    return blocks[:MAX_BLOCKS]


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The ``chat.postMessage`` arguments (without the channel) for one alert.

    ``metadata`` carries the alert id, so the bot can later recognise its own post; link
    unfurling is off because the link button already says where the article is.
    """
    return {
        "text": alert_text(alert),
        "blocks": alert_blocks(alert),
        "metadata": {"event_type": ALERT_EVENT, "event_payload": {"alert_id": alert.id}},
        "unfurl_links": False,
        "unfurl_media": False,
    }


def digest_entry(alert: Alert) -> str:
    """One alert in a digest: linked headline, items and source, its first quote.

    Translated: the translated headline is the link, the original follows on its own line,
    the mark ends the source line, and the first quote is shown translated (the alert's own
    post has every original)."""
    translation = translated_title(alert)
    title = fit(translation or clean_line(alert.title) or "(untitled)", 300)
    url = safe_url(alert.url)
    lines = [f"*{mrkdwn_link(url, title) if url else title}*"]
    if translation:
        lines.append(fit(clean_line(alert.title) or "(untitled)", 300))
    meta = f"{items_line(alert)} · {source_line(alert)}"
    tr = shown_translation(alert)
    if tr is not None:
        meta += f" · {translation_mark(tr)}"
    lines.append(fit(meta, 600))
    if alert.quotes:
        lines.append(f">{fit(shown_quote_line(alert, 0), DIGEST_QUOTE_MAX)}")
    return "\n".join(lines)


def digest_payload(digest: Digest, key: str | None = None) -> dict[str, Any]:
    """A digest (a ``/brief`` answer or a collapsed burst) in at most 50 blocks.

    ``key`` (a collapsed burst's batch) goes into ``metadata`` with the alert ids, so the
    bot can recognise the message after a crash.
    """
    title = clean_line(digest.title) or "Brief"
    n = len(digest.alerts)
    blocks: list[Block] = [_header(title)]
    notes = [fit(clean_line(note), 500) for note in digest.notes]
    if notes:
        blocks.append(_context(join_fitting(notes, CONTEXT_MAX)))
    if not digest.alerts:
        blocks.append(_section(fit(empty_digest_text(digest), SECTION_MAX)))
    for i, alert in enumerate(digest.alerts):
        if len(blocks) + 2 > MAX_BLOCKS - 1:
            blocks.append(_context(f"{ELLIPSIS} and {n - i} more not shown."))
            break
        blocks.append({"type": "divider"})
        blocks.append(_section(digest_entry(alert)))
    count = f" ({n} alert{'s' if n != 1 else ''})" if n else ""
    payload: dict[str, Any] = {"text": fit(f"{title}{count}", TEXT_MAX), "blocks": blocks}
    if key is not None:
        payload["metadata"] = {
            "event_type": DIGEST_EVENT,
            "event_payload": {"batch": key, "alert_ids": [a.id for a in digest.alerts]},
        }
        payload["unfurl_links"] = payload["unfurl_media"] = False
    return payload


def followup_payload(followup: FollowUp) -> dict[str, Any]:
    """A reply in an alert's thread: what is new in a line, and the link to it.

    ``metadata`` names the follow-up, so the bot can find its reply after a crash.
    """
    line = fit(followup_line(followup), 600)
    url = safe_url(followup.url)
    body = f"{line}: {mrkdwn_link(url, fit(display_url(url), 300))}" if url else line
    return {
        "text": fit(followup_line(followup), TEXT_MAX),
        "blocks": [_section(body)],
        "metadata": {
            "event_type": FOLLOWUP_EVENT,
            "event_payload": {"alert_id": followup.alert_id, "followup": followup.key},
        },
        "unfurl_links": False,
        "unfurl_media": False,
    }


def notice_payload(text: str) -> dict[str, Any]:
    """An operational notice; it quotes alert titles, so it is escaped like article text."""
    body = fit(strip_controls(text, keep_newlines=True).strip(), SECTION_MAX - 20)
    return {"text": fit(clean_line(text), TEXT_MAX), "blocks": [_section(f":warning: {body}")]}


def reply_text(text: str, ok: bool = True) -> str:
    """A command's answer: it may repeat what the user typed, so it is escaped too."""
    body = fit(strip_controls(text, keep_newlines=True).strip(), TEXT_MAX - 20)
    return body if ok else f":warning: {body}"
