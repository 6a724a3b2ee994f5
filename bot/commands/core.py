"""The vocabulary every command shares: who asked, what comes back, and the refusal.

Adapters build a :class:`Caller` from their platform's payload and render a :class:`Reply`;
a :class:`CommandError` is a refusal meant for the person who asked. Nothing here knows a
store or a chat platform, so the command modules and the adapters can all depend on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.nlp.watchlist import Watchlist
from bot.settings.sections import parse_duration
from bot.text import clean_line


class CommandError(ValueError):
    """A request that cannot be answered as asked; the message is meant for the user."""


@dataclass(frozen=True)
class Caller:
    """Who asked, and where: filled in by the adapter from its platform's payload.

    ``channel`` is the id deliveries go to; ``channel_name`` is what a person calls it
    (``#news``), used in replies so a subscription names the channel it serves.
    ``dm_channel`` is the target id the platform uses for a direct message to the caller.
    ``can_manage_channel``: the platform vouches that this person may change what
    ``channel`` receives (Discord: Manage Channels there; Slack: they created it; a
    one-to-one DM with the bot is theirs). False unless the adapter says so, so a caller
    built without asking the platform cannot change a channel.
    """

    platform: str
    channel: str
    user: str
    channel_name: str | None = None
    dm_channel: str | None = None
    can_manage_channel: bool = False

    @property
    def where(self) -> str:
        return self.channel_name or self.channel


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer: plain text lines, escaped and formatted by the adapter."""

    text: str
    ok: bool = True


def resolve_item(watchlist: Watchlist, name: str) -> str:
    """A watch item id from what a user typed (id or display name, any case)."""
    wanted = name.strip().casefold()
    for item in watchlist.items:
        if wanted in (item.id.casefold(), item.name.casefold()):
            return item.id
    choices = [i.id for i in watchlist.items]
    close = difflib.get_close_matches(wanted, choices, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise CommandError(f"Unknown watch item '{name}'.{hint} Known: {', '.join(choices)}.")


def parse_span(
    text: str | None,
    default: timedelta,
    most: timedelta,
    examples: str = "6h, 48h or 7d",
    *,
    what: str = "a time span",
    example: str = "24h",
) -> timedelta:
    """A time span a user typed (``48h``, ``7d``), at most ``most``; refused in words.

    One reader for ``/brief``, ``/mute`` and ``/search``, so a span means the same in all
    of them; ``what`` and ``examples`` name what else the caller accepts (``/search``: a
    date). What was typed is echoed cleaned and cut short: it may be a pasted page."""
    if not text:
        return default
    try:
        span = parse_duration(text)
    except ValueError as exc:
        raise CommandError(f"'{clean_line(text, 40)}' is not {what}; try {examples}.") from exc
    if span <= timedelta(0):
        raise CommandError(f"The time span must be positive, e.g. {example}.")
    return min(span, most)


def item_label(watchlist: Watchlist, item_id: str) -> str:
    """How a reply names a watch item: ``Kursk (kursk)``, or ``every watch item``."""
    if item_id == "all":
        return "every watch item"
    item = watchlist.get(item_id)
    return f"{item.name} ({item_id})" if item else item_id


PLATFORMS = ("slack", "discord", "console")
"""The prefixes an ``admins`` entry may name a platform with (``slack:U123``)."""


def is_admin(admins: Sequence[str], platform: str, user: str) -> bool:
    """Whether ``user`` on ``platform`` is listed: ``U123`` (any platform) or ``slack:U123``."""
    if not user:
        return False
    for entry in admins:
        entry = str(entry).strip()
        prefix, sep, rest = entry.partition(":")
        if sep and prefix.casefold() in PLATFORMS:
            if prefix.casefold() == platform and rest.strip() == user:
                return True
        elif entry == user:
            return True
    return False
