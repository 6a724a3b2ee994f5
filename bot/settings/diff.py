"""What changed between two versions of the admin-edited files, in words for the admin channel.

Pure functions of two validated models: the bot reloads a file, diffs the old and new
version here, and posts the lines. Kept apart from the reload machinery so every wording
is unit-tested without a running bot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from bot.nlp.watchlist import Terms, WatchItem, Watchlist
from bot.settings.model import Settings
from bot.settings.sections import FeedConfig, RouteConfig

# -- the watchlist ------------------------------------------------------------------------

_ITEM_FIELDS = ("name", "kind", "exclude", "rule", "min_score")
"""Fields of an item reported "in a word" when they change (aliases are itemised)."""


@dataclass(frozen=True)
class ItemChange:
    """One item present before and after, with what changed in it."""

    id: str
    aliases_added: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases_removed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    other: tuple[str, ...] = ()
    """Names of other fields that changed (``name``, ``exclude``, ``min_score``, ...)."""


@dataclass(frozen=True)
class WatchlistDiff:
    added: tuple[WatchItem, ...] = ()
    removed: tuple[WatchItem, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    reordered: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.reordered)


def _terms_delta(old: Terms, new: Terms) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Phrases added and removed per language, in the order they are written."""
    added: dict[str, tuple[str, ...]] = {}
    removed: dict[str, tuple[str, ...]] = {}
    for lang in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(lang, []), new.get(lang, [])
        plus = tuple(p for p in after if p not in before)
        minus = tuple(p for p in before if p not in after)
        if plus:
            added[lang] = plus
        if minus:
            removed[lang] = minus
    return added, removed


def watchlist_diff(old: Watchlist, new: Watchlist) -> WatchlistDiff:
    """Items added, removed, and per kept item the aliases added/removed per language."""
    before = {i.id: i for i in old.items}
    after = {i.id: i for i in new.items}
    changed = []
    for item in new.items:
        prev = before.get(item.id)
        if prev is None or prev == item:
            continue
        plus, minus = _terms_delta(prev.aliases, item.aliases)
        other = tuple(f for f in _ITEM_FIELDS if getattr(prev, f) != getattr(item, f))
        if not (plus or minus or other):
            other = ("aliases order",)
        changed.append(ItemChange(item.id, plus, minus, other))
    kept_old = [i for i in old.ids() if i in after]
    kept_new = [i for i in new.ids() if i in before]
    return WatchlistDiff(
        added=tuple(i for i in new.items if i.id not in before),
        removed=tuple(i for i in old.items if i.id not in after),
        changed=tuple(changed),
        reordered=kept_old != kept_new,
    )


def _terms_text(terms: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{lang}: {', '.join(phrases)}" for lang, phrases in terms.items())


def describe_watchlist_diff(diff: WatchlistDiff) -> list[str]:
    """One line per change, e.g. ``added kursk (Kursk)`` or ``north-korea: aliases added
    fr: Choe Son Hui``."""
    lines = [f"added {i.id} ({i.name})" for i in diff.added]
    lines += [f"removed {i.id} ({i.name})" for i in diff.removed]
    for change in diff.changed:
        parts = []
        if change.aliases_added:
            parts.append(f"aliases added {_terms_text(change.aliases_added)}")
        if change.aliases_removed:
            parts.append(f"aliases removed {_terms_text(change.aliases_removed)}")
        if change.other:
            parts.append(f"{', '.join(change.other)} changed")
        lines.append(f"{change.id}: {' · '.join(parts)}")
    if diff.reordered:
        lines.append("items reordered")
    return lines


# -- config/newsbot.yaml -------------------------------------------------------------------

RESTART_ONLY = (
    "watchlist",
    "slack.http_port",
    "slack.http_path",
    "discord.guild_ids",
    "discord.leave_other_guilds",
    "websub",
    "ops",
    "console",
    "cluster",
)
"""Settings read once at start (a listening socket, registered commands, the watched file).
A change to one of them is announced as needing a restart and the running value is kept.
Chat tokens and the database come from the environment, which a running process cannot
re-read."""

_ITEMISED = ("feeds", "routes", "admins")
_ENV_ONLY = ("database_url", "base_dir")


def _get(settings: BaseModel, dotted: str) -> Any:
    value: Any = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _replace(settings: BaseModel, dotted: str, value: Any) -> Any:
    head, _, rest = dotted.partition(".")
    if not rest:
        return settings.model_copy(update={head: value})
    return settings.model_copy(update={head: _replace(getattr(settings, head), rest, value)})


def _leaves(model: BaseModel, prefix: str = "") -> Iterable[str]:
    """Dotted names of the fields, nested models opened up (``slack.admin_channel``)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        dotted = f"{prefix}{name}"
        if isinstance(value, BaseModel) and dotted not in RESTART_ONLY:
            yield from _leaves(value, dotted + ".")
        else:
            yield dotted


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds >= size and seconds % size == 0:
                return f"{seconds / size:g}{unit}"
        return f"{seconds:g}s"
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, BaseModel):
        return "(edited)"
    return str(value)


def _feed_label(feed: FeedConfig) -> str:
    return f"{feed.name} ({feed.url})" if feed.name else feed.url


def _route_label(route: RouteConfig) -> str:
    mode = f" followups: {route.followups}" if route.followups else ""
    return f"{route.platform} {route.channel} [{', '.join(route.items)}]{mode}"


@dataclass(frozen=True)
class SettingsDiff:
    feeds_added: tuple[FeedConfig, ...] = ()
    feeds_removed: tuple[FeedConfig, ...] = ()
    feeds_changed: tuple[tuple[FeedConfig, tuple[str, ...]], ...] = ()
    """(new config, names of the fields that changed)."""
    routes_added: tuple[RouteConfig, ...] = ()
    routes_removed: tuple[RouteConfig, ...] = ()
    admins_added: tuple[str, ...] = ()
    admins_removed: tuple[str, ...] = ()
    values: tuple[tuple[str, Any, Any], ...] = ()
    """Other settings that changed and apply live: (dotted name, old, new)."""
    restart: tuple[tuple[str, Any, Any], ...] = ()
    """Changed settings that need a restart: (dotted name, running value, file value)."""

    def __bool__(self) -> bool:
        return any(
            (self.feeds_added, self.feeds_removed, self.feeds_changed, self.routes_added,
             self.routes_removed, self.admins_added, self.admins_removed, self.values,
             self.restart)
        )

    def changed(self, name: str) -> bool:
        """Whether the live setting ``name`` (dotted) changed."""
        return any(n == name for n, _, _ in self.values)


def _added_removed(old: Sequence[Any], new: Sequence[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return tuple(x for x in new if x not in old), tuple(x for x in old if x not in new)


def settings_diff(old: Settings, new: Settings) -> SettingsDiff:
    """What an edit of ``config/newsbot.yaml`` changed; the environment-only fields never do."""
    before = {f.url: f for f in old.feeds}
    after = {f.url: f for f in new.feeds}
    feeds_changed = []
    for feed in new.feeds:
        prev = before.get(feed.url)
        if prev is not None and prev != feed:
            fields = tuple(n for n in FeedConfig.model_fields if getattr(prev, n) != getattr(feed, n))
            feeds_changed.append((feed, fields))
    routes_added, routes_removed = _added_removed(old.routes, new.routes)
    admins_added, admins_removed = _added_removed(old.admins, new.admins)
    values: list[tuple[str, Any, Any]] = []
    restart: list[tuple[str, Any, Any]] = []
    for name in _leaves(new):
        if name in _ITEMISED or name in _ENV_ONLY:
            continue
        a, b = _get(old, name), _get(new, name)
        if a != b:
            (restart if name in RESTART_ONLY else values).append((name, a, b))
    return SettingsDiff(
        feeds_added=tuple(f for f in new.feeds if f.url not in before),
        feeds_removed=tuple(f for f in old.feeds if f.url not in after),
        feeds_changed=tuple(feeds_changed),
        routes_added=routes_added,
        routes_removed=routes_removed,
        admins_added=admins_added,
        admins_removed=admins_removed,
        values=tuple(values),
        restart=tuple(restart),
    )


def keep_running(running: Settings, new: Settings) -> Settings:
    """``new`` with the restart-only values (and the environment's) of the running settings."""
    out = new
    for name in (*RESTART_ONLY, *_ENV_ONLY):
        out = _replace(out, name, _get(running, name))
    return out


def describe_settings_diff(diff: SettingsDiff) -> list[str]:
    """One line per kind of change, in words an admin reads at a glance."""
    lines = []
    if diff.feeds_added:
        lines.append("feeds added: " + ", ".join(_feed_label(f) for f in diff.feeds_added))
    if diff.feeds_removed:
        lines.append("feeds removed: " + ", ".join(_feed_label(f) for f in diff.feeds_removed))
    for feed, fields in diff.feeds_changed:
        lines.append(f"feed {_feed_label(feed)}: {', '.join(fields)} changed")
    if diff.routes_added or diff.routes_removed:
        parts = [f"+ {_route_label(r)}" for r in diff.routes_added]
        parts += [f"- {_route_label(r)}" for r in diff.routes_removed]
        lines.append("routes changed: " + "; ".join(parts))
    if diff.admins_added:
        lines.append("admins added: " + ", ".join(diff.admins_added))
    if diff.admins_removed:
        lines.append("admins removed: " + ", ".join(diff.admins_removed))
    for name, a, b in diff.values:
        lines.append(f"{name}: {_show(a)} → {_show(b)}")
    for name, a, b in diff.restart:
        lines.append(
            f"{name}: {_show(a)} → {_show(b)} needs a restart; the running value is kept until then"
        )
    return lines
