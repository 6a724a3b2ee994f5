"""Which texts of an alert a channel gets translated, and into which language.

Translated: the headline, the lead shown and each quote shown. Never the speakers' names,
the links or the why-line (it shows the words that matched, as written). Each text is cut
to :data:`~bot.translate.base.MAX_TEXT_CHARS` before it is sent, and is known by the hash
of what was sent, so a stored translation is found again by any channel, after a restart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from bot.models import Alert, Target, Translation
from bot.settings.languages import base_language
from bot.settings.sections import RouteConfig
from bot.translate.base import cut_text


def text_key(text: str) -> str:
    """The identity of a text as sent (cut), for the store."""
    return hashlib.sha256(cut_text(text).encode("utf-8")).hexdigest()


def same_language(alert_language: str, target: str) -> bool:
    return base_language(alert_language or "") == base_language(target)


def alert_texts(alert: Alert) -> list[str]:
    """The texts of ``alert`` a translation covers, cut, empty ones left out."""
    texts = [alert.title, alert.lead, *(q.text for q in alert.quotes)]
    return list(dict.fromkeys(cut_text(t) for t in texts if t and t.strip()))


def translation_of(
    alert: Alert, target: str, found: Mapping[str, str], backend: str
) -> Translation:
    """The alert's Translation from ``found`` (text key -> translated text); pending when
    any text is still missing (what is there is shown meanwhile)."""

    def one(text: str) -> str | None:
        if not text or not text.strip():
            return None
        return found.get(text_key(text))

    title = one(alert.title)
    lead = one(alert.lead)
    quotes = tuple(one(q.text) for q in alert.quotes)
    wanted = alert_texts(alert)
    pending = any(text_key(t) not in found for t in wanted)
    return Translation(
        target=target, source=alert.language, title=title, lead=lead, quotes=quotes,
        backend=backend, pending=pending,
    )


def channel_language(
    target: Target,
    item_ids: Sequence[str],
    routes: Iterable[RouteConfig],
    default: str,
    subscribed: Mapping[str, str | None],
) -> str:
    """The language ``target`` gets this alert in: its subscription's ``lang:`` (for one of
    the alert's items, else for ``all``), else its route's ``lang``, else ``default``.
    ``subscribed``: the channel's subscriptions, item id -> language (None: unset)."""
    for item in (*item_ids, "all"):
        lang = subscribed.get(item)
        if lang:
            return lang
    items = set(item_ids)
    for route in routes:
        if (route.platform, route.channel) != (target.platform, target.channel) or not route.lang:
            continue
        if "all" in route.items or items & set(route.items):
            return route.lang
    return default


StoredLookup = Callable[[Sequence[str], str, str], dict[str, str]]
"""The store's ``cached(keys, source, target)``."""

BACKEND_NAMES = {"libretranslate": "LibreTranslate", "deepl": "DeepL"}


def with_stored_titles(
    alerts: Sequence[Alert], cached: StoredLookup, target: str, backend: str
) -> tuple[Alert, ...]:
    """``/brief``: each alert with its headline's stored translation, when there is one
    (a digest lists headlines; nothing is asked of the translator for it)."""
    out = []
    for alert in alerts:
        if same_language(alert.language, target) or not alert.title.strip():
            out.append(alert)
            continue
        key = text_key(alert.title)
        title = cached([key], alert.language, target).get(key)
        if title is None:
            out.append(alert)
            continue
        out.append(replace(alert, translation=Translation(
            target=target, source=alert.language, title=title,
            quotes=tuple(None for _ in alert.quotes), backend=backend,
        )))
    return tuple(out)
