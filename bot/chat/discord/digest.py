"""Digests (a ``/brief`` answer, a collapsed burst) as the JSON of a Discord message.

One embed listing the alerts, within the limits :mod:`bot.chat.discord.render` applies to
every message; an alert posted on its own is rendered there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.chat.discord.render import (
    DESCRIPTION_MAX,
    FALLBACK_MAX,
    NO_MENTIONS,
    TITLE_MAX,
    as_original,
    cap,
    colour_for,
    fit,
    marked,
    masked_link,
    plain,
    units,
)
from bot.chat.wording import (
    empty_digest_text,
    items_line,
    quote_body,
    shown_quote_line,
    shown_translation,
    source_line,
    translated_quote_body,
    translated_title,
    translation_mark,
)
from bot.models import Alert, Digest
from bot.text import ELLIPSIS, clean_line


def digest_entry(alert: Alert, *, compact: bool = False) -> str:
    """One alert inside a digest: linked headline, items and source, its first quote.

    ``compact`` (a long digest): a shorter headline and no quote, so that every alert of a
    collapsed burst fits in the one message rather than "and 4 more".
    """
    translation = translated_title(alert)
    title = marked(translation or alert.title, 140 if compact else 240) or "(untitled)"
    lines = [f"**{masked_link(title, alert.url)}**"]
    if translation:
        lines.append(as_original(marked(alert.title, 100 if compact else 240)))
    meta = " · ".join(p for p in (items_line(alert), source_line(alert)) if p)
    room = 160 if compact else 300
    tr = shown_translation(alert)
    if tr is not None:
        # The mark is never the part that is cut: items and source give way first.
        mark = marked(translation_mark(tr), 100)
        lines.append(f"{marked(meta, room - units(mark) - 3)} · {mark}" if meta else mark)
    elif meta:
        lines.append(marked(meta, room))
    if alert.quotes and not compact:
        if translated_quote_body(alert, 0):
            lines.append(marked(shown_quote_line(alert, 0), 400))
        else:
            quote = alert.quotes[0]
            body = quote_body(quote, alert.language)
            speaker = clean_line(quote.speaker)
            lines.append(marked(f"{body} — {speaker}" if speaker else body, 400))
    return "\n".join(lines)


def digest_payload(digest: Digest, now: datetime | None = None) -> dict[str, Any]:
    """A ``/brief`` answer (or a collapsed burst) as one embed listing the alerts."""
    title = clean_line(digest.title) or "Brief"
    if digest.alerts:
        n = len(digest.alerts)
        title += f" · {n} alert{'s' if n != 1 else ''}"
    parts = [f"*{marked(note, 300)}*" for note in digest.notes if clean_line(note)]
    if not digest.alerts:
        parts.append(marked(empty_digest_text(digest, now), 300))
    entries = [digest_entry(a) for a in digest.alerts]
    room = DESCRIPTION_MAX - sum(units(p) + 2 for p in parts)
    if sum(units(e) + 2 for e in entries) > room:
        entries = [digest_entry(a, compact=True) for a in digest.alerts]
    description = "\n\n".join(parts)
    for i, entry in enumerate(entries):
        rest = len(entries) - i - 1
        tail = f"\n\n{ELLIPSIS} and {rest} more" if rest else ""
        candidate = f"{description}\n\n{entry}" if description else entry
        if units(candidate) + units(tail) > DESCRIPTION_MAX:
            description += f"\n\n{ELLIPSIS} and {len(entries) - i} more"
            break
        description = candidate
    first = next(iter(digest.alerts), None)
    embed: dict[str, Any] = {
        "type": "rich",
        "title": plain(title, TITLE_MAX),
        "color": colour_for(digest.item_id or (first.matches[0].id if first and first.matches else None)),
    }
    if description:
        embed["description"] = cap(description, DESCRIPTION_MAX)
    return {
        "content": plain(title, FALLBACK_MAX),
        "embeds": [fit(embed)],
        "allowed_mentions": dict(NO_MENTIONS),
    }
