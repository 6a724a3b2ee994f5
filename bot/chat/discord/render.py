"""Alerts, follow-ups and notices as the JSON of a Discord message (digests: :mod:`.digest`).

The dicts built here are exactly what the adapter posts (``newsbot preview --discord``
prints them), so the limits Discord enforces are applied here, once:
title <= 256, description <= 4096, <= 25 fields, field name <= 256, field value <= 1024,
footer <= 2048, <= 6000 characters in all embeds of a message, content <= 2000. Lengths
are counted in UTF-16 code units, which is never less than what Discord counts.

Feed text is untrusted: ``@everyone``, ``@here`` and ``<@id>`` / ``<@&id>`` get a zero-width
space after the ``@`` so that no client renders them as pings, on top of
``allowed_mentions: {"parse": []}`` on every message, and Markdown is escaped wherever
Discord renders it (descriptions, field values, content), so a headline cannot smuggle in
a masked link or a block quote.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import discord.utils

from bot.chat.wording import (
    followup_line,
    items_line,
    quote_body,
    shown_translation,
    source_line,
    translated_lead,
    translated_quote_body,
    translated_title,
    translation_mark,
    why_parts,
)
from bot.models import Alert, FollowUp
from bot.text import ELLIPSIS, clean_line, display_url, strip_controls

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000
FALLBACK_MAX = 300
"""The plain ``content`` of an alert: what a notification shows, so short."""
MAX_QUOTES = 3

NO_MENTIONS: dict[str, list[str]] = {"parse": []}

PALETTE = (
    0x3B82F6,  # blue
    0xEF4444,  # red
    0x10B981,  # green
    0xF59E0B,  # amber
    0x8B5CF6,  # violet
    0x06B6D4,  # cyan
    0xEC4899,  # pink
    0x84CC16,  # lime
    0xF97316,  # orange
    0x64748B,  # slate
)
NEUTRAL_COLOUR = 0x64748B

_ZWSP = "\u200b"
_MENTION = re.compile(r"@(?=(?:everyone|here)\b)|(?<=<)@(?=[!&]?\d)", re.IGNORECASE)


def units(text: str) -> int:
    """Length as Discord's limits count it, at worst (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` units with an ellipsis, never ending in a lone escape."""
    if units(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    while cut and units(cut) > limit - 1:
        cut = cut[:-1]
    cut = cut.rstrip()
    while cut.endswith("\\"):  # half of an escape would escape the ellipsis
        cut = cut[:-1]
    return cut + ELLIPSIS


def neutralize(text: str) -> str:
    """No ``@everyone``, ``@here``, user or role mention survives as one."""
    return _MENTION.sub("@" + _ZWSP, text)


def escape_markdown(text: str) -> str:
    """Markdown shown as typed: paired ``*_~`|``, masked links, line-start ``>``/``#``/``-``."""
    return discord.utils.escape_markdown(text)


def plain(text: str | None, limit: int) -> str:
    """One line of untrusted text for a place that renders no Markdown (titles, names)."""
    return cap(neutralize(clean_line(text)), limit)


def marked(text: str | None, limit: int) -> str:
    """One line of untrusted text for a place that renders Markdown."""
    return cap(escape_markdown(neutralize(clean_line(text))), limit)


def colour_for(item_id: str | None) -> int:
    """A colour per watch item, the same in every process (crc32, not ``hash``)."""
    if not item_id:
        return NEUTRAL_COLOUR
    return PALETTE[zlib.crc32(item_id.encode("utf-8")) % len(PALETTE)]


def is_web_url(url: str | None) -> bool:
    return bool(url) and re.match(r"^https?://[^\s/]+", url or "", re.IGNORECASE) is not None


def embed_length(embed: dict[str, Any]) -> int:
    """What Discord counts against the 6000-character total of a message."""
    total = units(embed.get("title", "")) + units(embed.get("description", ""))
    total += sum(units(f["name"]) + units(f["value"]) for f in embed.get("fields", []))
    total += units(embed.get("footer", {}).get("text", ""))
    total += units(embed.get("author", {}).get("name", ""))
    return total


def _lines_within(lines: list[str], limit: int) -> str:
    """Whole lines up to ``limit`` units, then ``+N more``; one line alone is cut."""
    out: list[str] = []
    for i, line in enumerate(lines):
        more = len(lines) - i
        tail = f"\n+{more} more" if more > 1 else ""
        candidate = "\n".join([*out, line])
        if units(candidate) + units(tail) <= limit or (not out and more == 1):
            out.append(line)
            continue
        if not out:
            out.append(cap(line, limit - units(tail)))
            more -= 1
        if more:
            out.append(f"+{more} more")
        break
    return cap("\n".join(out), limit)


def fit(embed: dict[str, Any]) -> dict[str, Any]:
    """Drop quotes from the end, then shorten the description, until the total fits."""
    while embed_length(embed) > EMBED_TOTAL_MAX and len(embed.get("fields", [])) > 1:
        embed["fields"].pop()
    excess = embed_length(embed) - EMBED_TOTAL_MAX
    if excess > 0 and embed.get("description"):
        keep = max(0, units(embed["description"]) - excess)
        embed["description"] = cap(embed["description"], keep) if keep > 1 else ""
        if not embed["description"]:
            del embed["description"]
    return embed


def alert_embed(alert: Alert) -> dict[str, Any]:
    """The alert as one rich embed: items, headline (linked), lead, why, quotes, source.

    Translated: the title is the translated headline, the description opens with the
    original one in italics, the translated lead comes with the original under it, each
    quote field holds the translation with the original on the next line, and the footer
    carries the machine-translation mark.
    """
    title = translated_title(alert)
    embed: dict[str, Any] = {
        "type": "rich",
        "title": plain(title or alert.title, TITLE_MAX) or "(untitled)",
        "color": colour_for(alert.matches[0].id if alert.matches else None),
    }
    if is_web_url(alert.url):
        embed["url"] = alert.url
    items = plain(items_line(alert), AUTHOR_MAX)
    if items:
        embed["author"] = {"name": items}
    lead = _description(alert) if title or translated_lead(alert) else marked(alert.lead, DESCRIPTION_MAX)
    if lead:
        embed["description"] = lead
    fields = []
    why = [marked(line, FIELD_VALUE_MAX) for line in why_parts(alert)]
    if why:
        fields.append({"name": "Why", "value": _lines_within(why, FIELD_VALUE_MAX), "inline": False})
    for i, quote in enumerate(alert.quotes[:MAX_QUOTES]):
        body = _quote_value(alert, i)
        if not body:
            continue
        name = plain(quote.speaker, FIELD_NAME_MAX) or "Quote"
        fields.append({"name": name, "value": body, "inline": False})
    if fields:
        embed["fields"] = fields[:FIELDS_MAX]
    # The date goes in ``timestamp`` (each reader sees it in their own time zone).
    footer = plain(source_line(replace(alert, published=None)), FOOTER_MAX)
    location = alert.location if alert.location and alert.location != alert.url else None
    if location:
        footer = plain(f"{footer} · {location}" if footer else location, FOOTER_MAX)
    tr = shown_translation(alert)
    if tr is not None:
        # Last on the line but never cut off: the place and the source give way first.
        mark = plain(translation_mark(tr), 200)
        footer = f"{cap(footer, FOOTER_MAX - units(mark) - 3)} · {mark}" if footer else mark
    if footer:
        embed["footer"] = {"text": footer}
    if alert.published is not None:
        embed["timestamp"] = _iso(alert.published)
    return fit(embed)


ORIGINAL_TITLE_MAX = 600
"""The original headline in a translated embed's description; the leads share the rest."""


def as_original(text: str) -> str:
    """Already-escaped text in italics (an original beside its translation); escaped
    ``*`` and ``_`` inside cannot close them."""
    return f"*{text}*" if text else ""


def _description(alert: Alert) -> str:
    """A translated alert's description: the original headline, then the translated lead
    with the original lead under it, each within its share of Discord's 4096."""
    parts = []
    if translated_title(alert):
        parts.append(as_original(marked(alert.title, ORIGINAL_TITLE_MAX)))
    lead = translated_lead(alert)
    room = DESCRIPTION_MAX - sum(units(p) + 2 for p in parts) - 4
    if lead:
        half = room // 2
        parts.append(marked(lead, half))
        parts.append(as_original(marked(alert.lead, half - 2)))
    elif alert.lead:
        parts.append(marked(alert.lead, room))
    joined = "\n\n".join(p for p in parts if p)
    return joined if units(joined) <= DESCRIPTION_MAX else cap(joined, DESCRIPTION_MAX)


def _quote_value(alert: Alert, index: int) -> str:
    """A quote field's value: the quote, or its translation with the original under it."""
    original = quote_body(alert.quotes[index], alert.language)
    translated = translated_quote_body(alert, index)
    if not translated:
        return marked(original, FIELD_VALUE_MAX)
    half = FIELD_VALUE_MAX // 2
    first = marked(translated, half)
    second = as_original(marked(original, FIELD_VALUE_MAX - units(first) - 3))
    return f"{first}\n{second}"


def _iso(when: datetime) -> str:
    """UTC ISO 8601, the form discord.py itself sends for an embed timestamp."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def alert_fallback(alert: Alert) -> str:
    """The plain line notifications and embed-less clients show."""
    items = items_line(alert)
    title = translated_title(alert) or clean_line(alert.title) or "(untitled)"
    return marked(f"{items}: {title}" if items else title, FALLBACK_MAX)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The exact JSON body the bot posts for ``alert`` (``nonce`` aside, which the adapter
    derives from the alert and the channel)."""
    return {
        "content": alert_fallback(alert),
        "embeds": [alert_embed(alert)],
        "allowed_mentions": dict(NO_MENTIONS),
    }


def masked_link(text: str, url: str | None) -> str:
    if not is_web_url(url):
        return text
    safe = (url or "").replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{text}]({safe})"


THREAD_NAME_MAX = 100
SUPPRESS_EMBEDS = 4
"""Message flag: no link preview under a reply (the alert above shows the story)."""


def thread_name(alert: Alert) -> str:
    """The name of the thread started on an alert: its headline, as plain text (a thread
    name renders no Markdown and pings nobody)."""
    return plain(alert.title, THREAD_NAME_MAX) or "Follow-ups"


def followup_payload(followup: FollowUp) -> dict[str, Any]:
    """A reply in an alert's thread: what is new in a line, and a masked link to it."""
    line = marked(followup_line(followup), 600)
    url = followup.url if is_web_url(followup.url) and not re.search(r"[\s<>]", followup.url or "") else None
    content = f"{line}: {masked_link(marked(display_url(url), 300), url)}" if url else line
    return {
        "content": cap(content, CONTENT_MAX),
        "allowed_mentions": dict(NO_MENTIONS),
        "flags": SUPPRESS_EMBEDS,
    }


def text_payload(text: str) -> dict[str, Any]:
    """A notice or a command reply: plain text, mentions neutralised, one message long.

    The bot writes these, but they quote feed titles and what users typed, so mentions
    and Markdown are neutralised like everywhere else (the bot's own wording has none).
    """
    body = escape_markdown(neutralize(strip_controls(text, keep_newlines=True)).strip())
    body = body or "(empty)"
    if units(body) <= CONTENT_MAX:
        return {"content": body, "allowed_mentions": dict(NO_MENTIONS)}
    # Too long for a message: the text becomes an embed description (4096).
    return {
        "content": "",
        "embeds": [{"type": "rich", "description": cap(body, DESCRIPTION_MAX)}],
        "allowed_mentions": dict(NO_MENTIONS),
    }


@dataclass
class Send:
    """A payload dict as discord.py keyword arguments."""

    content: str | None
    embeds: list[discord.Embed]

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> Send:
        return cls(
            content=payload.get("content") or None,
            embeds=[discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        )
