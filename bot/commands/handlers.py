"""What team members can ask, independent of the chat platform that carried the question.

Adapters parse their platform's command payload into these calls and render what comes
back; the CLI's ``newsbot brief`` calls the same function, so chat and terminal agree.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.alerts.build import window_text
from bot.models import Digest, Target
from bot.nlp.watchlist import Watchlist
from bot.settings.model import FeedConfig, parse_duration
from bot.store.store import Store, utcnow
from bot.text import clean_line, display_url, plural

if TYPE_CHECKING:
    from bot.settings.watchedit import AddRequest, WatchHost

log = logging.getLogger(__name__)

DEFAULT_SINCE = timedelta(hours=24)
MAX_SINCE = timedelta(days=31)


class CommandError(ValueError):
    """A request that cannot be answered as asked; the message is meant for the user."""


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


def parse_since(text: str | None) -> timedelta:
    if not text:
        return DEFAULT_SINCE
    try:
        since = parse_duration(text)
    except ValueError as exc:
        raise CommandError(f"'{text}' is not a time span; try 6h, 48h or 7d.") from exc
    if since <= timedelta(0):
        raise CommandError("The time span must be positive, e.g. 24h.")
    return min(since, MAX_SINCE)


def brief(
    store: Store,
    watchlist: Watchlist,
    item: str | None = None,
    since: str | None = None,
    limit: int = 10,
) -> Digest:
    """Recent alerts, newest first, for one watch item or all of them."""
    item_id = resolve_item(watchlist, item) if item else None
    window = parse_since(since)
    start = utcnow() - window
    alerts = store.recent_alerts(start, item_id=item_id, limit=limit)
    chosen = watchlist.get(item_id) if item_id else None
    what = chosen.name if chosen else "all watch items"
    return Digest(
        title=f"Brief: {what}, last {window_text(start)}",
        alerts=tuple(alerts),
        since=start,
        item_id=item_id,
    )


# -- subscriptions and the watchlist, as chat asks for them -----------------------------


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


def _target(caller: Caller, dm: bool) -> tuple[Target, str]:
    if dm:
        if caller.dm_channel is None or not caller.dm_channel.strip():
            raise CommandError("Direct messages are not available here; subscribe a channel.")
        return Target(caller.platform, caller.dm_channel), "your direct messages"
    if not caller.channel.strip():
        # A payload without a channel: a subscription to "" would only ever fail to post.
        raise CommandError("This command needs a channel; run it in one, or add dm.")
    return Target(caller.platform, caller.channel), caller.where


MANAGE_RULE = {
    "discord": "the Manage Channels permission in this channel",
    "slack": "to have created this channel, or to be one of the bot's admins",
}
"""What a person needs to change a channel's subscriptions, in each platform's words."""


def may_change(caller: Caller, dm: bool, admins: Sequence[str] = ()) -> None:
    """Refuse (CommandError, meant for the caller alone) a change to a channel the caller
    may not manage. Their own DMs are theirs; the bot's admins may change any channel."""
    from bot.settings.watchedit import is_admin

    if dm or caller.can_manage_channel or is_admin(admins, caller.platform, caller.user):
        return
    need = MANAGE_RULE.get(caller.platform, "permission to manage this channel")
    raise CommandError(
        f"Only people who can manage {caller.where} may change what it receives: you need "
        f"{need}. You can still /subscribe <item> dm for your own direct messages."
    )


def _item_label(watchlist: Watchlist, item_id: str) -> str:
    if item_id == "all":
        return "every watch item"
    item = watchlist.get(item_id)
    return f"{item.name} ({item_id})" if item else item_id


def subscribe(
    store: Store,
    watchlist: Watchlist,
    caller: Caller,
    item: str,
    dm: bool = False,
    admins: Sequence[str] = (),
) -> Reply:
    """Alerts for ``item`` (or ``all``) go to the caller's channel, or their DMs."""
    if not item.strip():
        raise CommandError("Say what to subscribe to, e.g. /subscribe kursk (or all).")
    item_id = "all" if item.strip().casefold() == "all" else resolve_item(watchlist, item)
    target, where = _target(caller, dm)
    may_change(caller, dm, admins)
    label = _item_label(watchlist, item_id)
    new = store.subscribe(target, item_id, user=caller.user)
    # Subscribing anew is how a person says "the bot can post here again".
    resumed = store.resume(target)
    again = f" Resumed {plural(resumed, 'paused subscription')} here." if resumed else ""
    if new:
        return Reply(f"Subscribed {where} to {label}. New alerts will be posted there.{again}")
    return Reply(f"{where} is already subscribed to {label}.{again}")


def unsubscribe(
    store: Store,
    watchlist: Watchlist,
    caller: Caller,
    item: str | None = None,
    dm: bool = False,
    admins: Sequence[str] = (),
) -> Reply:
    """Stop one subscription, or every subscription of the channel when no item is given."""
    target, where = _target(caller, dm)
    may_change(caller, dm, admins)
    if not item or not item.strip():
        n = store.unsubscribe(target)
        if not n:
            return Reply(f"{where} has no subscriptions.")
        return Reply(f"Unsubscribed {where} from {plural(n, 'watch item')}.")
    wanted = item.strip()
    item_id = "all" if wanted.casefold() == "all" else resolve_item(watchlist, wanted)
    if store.unsubscribe(target, item_id):
        return Reply(f"Unsubscribed {where} from {_item_label(watchlist, item_id)}.")
    return Reply(f"{where} was not subscribed to {_item_label(watchlist, item_id)}.", ok=False)


def subscriptions(store: Store, watchlist: Watchlist, caller: Caller) -> Reply:
    """What this channel (and the caller's DMs) receive."""
    lines = []
    places = [(Target(caller.platform, caller.channel), caller.where)]
    if caller.dm_channel:
        places.append((Target(caller.platform, caller.dm_channel), "Your direct messages"))
    for target, where in places:
        items = [item_id for _t, item_id in store.subscriptions(target)]
        if items:
            labels = ", ".join(_item_label(watchlist, i) for i in items)
            lines.append(f"{where}: {labels}")
            paused = store.paused(target)
            if paused is not None:
                lines.append(
                    f"  paused since {paused[0]:%Y-%m-%d %H:%M} UTC, the bot could not post "
                    f"there: {paused[1]}. /subscribe <item> there again to resume."
                )
    if not lines:
        return Reply(f"{caller.where} has no subscriptions. Try /subscribe <item> or /watchlist.")
    return Reply("\n".join(lines))


def watchlist_overview(watchlist: Watchlist) -> Reply:
    """What can be watched: id, name, kind and the languages it has aliases in."""
    lines = []
    for item in watchlist.items:
        langs = sorted(lang for lang in item.aliases if lang != "any")
        where = f" [{', '.join(langs)}]" if langs else ""
        lines.append(f"{item.id}: {item.name} ({item.kind}){where}")
    lines.append("Subscribe with /subscribe <id>, or /subscribe all.")
    return Reply("\n".join(lines))


def feeds_overview(
    store: Store, now: datetime | None = None, configured: Sequence[FeedConfig] = ()
) -> Reply:
    """Feed health as ``/feeds`` and ``newsbot feeds`` show it: one line per feed.

    ``configured`` feeds the store has never heard of are listed too, as not polled yet.
    """
    states = store.feed_states()
    known = {st.url for st in states}
    never = [f for f in configured if f.url not in known]
    if not states and not never:
        return Reply("No feeds polled yet.")
    now = now or utcnow()
    lines = []
    for st in states:
        label = clean_line(st.name or display_url(st.url), 80)
        if st.consecutive_failures:
            since = f" since {window_text(st.last_success_at, now)} ago" if st.last_success_at else ""
            error = clean_line(st.last_error, 160)
            retry = (
                f", next try in {window_text(now - (st.next_poll_at - now), now)}"
                if st.next_poll_at and st.next_poll_at > now
                else ""
            )
            lines.append(
                f"DOWN {label}: {plural(st.consecutive_failures, 'failed poll')}{since}"
                f" ({error}){retry}"
            )
        elif st.last_success_at:
            lines.append(
                f"ok   {label}: polled {window_text(st.last_success_at, now)} ago, "
                f"{plural(st.items_seen, 'item')} seen"
            )
        else:
            lines.append(f"new  {label}: not polled yet")
    for feed in never:
        lines.append(f"new  {clean_line(feed.label, 80)}: not polled yet")
    return Reply("\n".join(lines))


def parse_brief_args(text: str) -> tuple[str | None, str | None]:
    """``/brief kursk 48h``, ``/brief 48h``, ``/brief north korea``: item and time span.

    A last word that reads as a duration is the span; the rest is the item, so multi-word
    names work without quoting.
    """
    words = text.split()
    since = None
    if words:
        try:
            parse_duration(words[-1])
            since = words.pop()
        except ValueError:
            pass
    return (" ".join(words) or None), since


def parse_subscribe_args(text: str) -> tuple[str, bool]:
    """``/subscribe kursk dm``: the item and whether it is for the caller's DMs."""
    words = text.split()
    dm = bool(words) and words[-1].casefold() == "dm"
    if dm:
        words.pop()
    return " ".join(words), dm


def item_choices(watchlist: Watchlist, prefix: str = "", limit: int = 25) -> list[tuple[str, str]]:
    """(id, name) pairs for autocomplete, best first: prefix matches, then substring."""
    wanted = prefix.strip().casefold()
    items = [(i.id, i.name) for i in watchlist.items] + [("all", "Every watch item")]
    if not wanted:
        return items[:limit]
    starts = [p for p in items if p[0].startswith(wanted) or p[1].casefold().startswith(wanted)]
    inside = [p for p in items if p not in starts and (wanted in p[0] or wanted in p[1].casefold())]
    return (starts + inside)[:limit]


class Commands:
    """The commands bound to a running bot's store and its current watchlist.

    Adapters hold one of these; the watchlist is read through a callable, so an edit the
    bot reloads is what the next command sees. Store calls block, so they run in a thread.
    """

    def __init__(
        self,
        store: Store,
        watchlist: Callable[[], Watchlist],
        feeds: Callable[[], Sequence[FeedConfig]] = tuple,
        host: WatchHost | None = None,
    ) -> None:
        self.store = store
        self._watchlist = watchlist
        self._feeds = feeds
        self.host = host
        """The running bot, for ``/watch`` (its admins, its watchlist file, its reload)."""
        self._edit_lock = asyncio.Lock()

    @property
    def watchlist(self) -> Watchlist:
        return self._watchlist()

    async def brief(self, item: str | None = None, since: str | None = None) -> Digest:
        return await asyncio.to_thread(brief, self.store, self.watchlist, item, since)

    @property
    def admins(self) -> Sequence[str]:
        """The bot's admins as the running config says them (none without a bot)."""
        return () if self.host is None else self.host.settings.admins

    async def subscribe(self, caller: Caller, item: str, dm: bool = False) -> Reply:
        return await asyncio.to_thread(
            subscribe, self.store, self.watchlist, caller, item, dm, self.admins
        )

    async def unsubscribe(
        self, caller: Caller, item: str | None = None, dm: bool = False
    ) -> Reply:
        return await asyncio.to_thread(
            unsubscribe, self.store, self.watchlist, caller, item, dm, self.admins
        )

    async def subscriptions(self, caller: Caller) -> Reply:
        return await asyncio.to_thread(subscriptions, self.store, self.watchlist, caller)

    async def watchlist_overview(self) -> Reply:
        return watchlist_overview(self.watchlist)

    async def feeds(self) -> Reply:
        return await asyncio.to_thread(feeds_overview, self.store, None, self._feeds())

    # -- /watch: admins edit the watchlist from chat -------------------------------------

    def _refusal(self, caller: Caller) -> Reply | None:
        from bot.settings.watchedit import is_admin

        if self.host is None:
            return Reply("The watchlist cannot be changed from here.", ok=False)
        if not is_admin(self.host.settings.admins, caller.platform, caller.user):
            return Reply(
                "Sorry, only the bot's admins can change the watchlist. Ask one of them, or "
                f"ask to be added to admins in config/newsbot.yaml (your user id is {caller.user}).",
                ok=False,
            )
        return None

    async def watch_add(self, caller: Caller, request: AddRequest) -> Reply:
        """Append an entity to the watchlist file (admins only); the bot reloads it."""
        from bot.settings.watchedit import WatchEditError, plan_add, write

        refused = self._refusal(caller)
        if refused is not None:
            return refused
        assert self.host is not None
        host, path = self.host, self.host.watchlist_path
        async with self._edit_lock:
            try:
                edit = await asyncio.to_thread(plan_add, path, request)
                host.expect_watchlist_edit(edit.after, f"{caller.platform}:{caller.user}")
                await asyncio.to_thread(write, path, edit)
            except WatchEditError as exc:
                return Reply(str(exc), ok=False)
            await host.watchlist_edited()
        item = edit.item
        log.info("/watch add %s by %s:%s", item.id, caller.platform, caller.user)
        langs = "; ".join(f"{lang}: {', '.join(p)}" for lang, p in item.aliases.items())
        return Reply(
            f"Added {item.name} ({item.id}) to the watchlist, aliases {langs}. "
            f"Channels can /subscribe {item.id} now."
        )

    async def watch_remove(self, caller: Caller, item_id: str) -> Reply:
        """Remove an item from the watchlist file (admins only); says who still used it."""
        from bot.settings.watchedit import WatchEditError, plan_remove, write

        refused = self._refusal(caller)
        if refused is not None:
            return refused
        assert self.host is not None
        if not item_id.strip():
            return Reply("Say which item to remove, e.g. /watch remove kursk.", ok=False)
        host, path = self.host, self.host.watchlist_path
        async with self._edit_lock:
            try:
                edit = await asyncio.to_thread(plan_remove, path, item_id.strip())
                host.expect_watchlist_edit(edit.after, f"{caller.platform}:{caller.user}")
                await asyncio.to_thread(write, path, edit)
            except WatchEditError as exc:
                return Reply(str(exc), ok=False)
            await host.watchlist_edited()
        item = edit.item
        log.info("/watch remove %s by %s:%s", item.id, caller.platform, caller.user)
        users = await asyncio.to_thread(self._users_of, item.id)
        text = f"Removed {item.name} ({item.id}) from the watchlist."
        if users:
            text += (
                f" Note: {item.id} is still named by {' and '.join(users)}, which get nothing "
                "for it until it is added back (edit the routes, or /unsubscribe there)."
            )
        return Reply(text)

    def _users_of(self, item_id: str) -> list[str]:
        subs = [t for t, i in self.store.subscriptions() if i == item_id]
        routes = [] if self.host is None else [
            r for r in self.host.settings.routes if item_id in r.items
        ]
        out = []
        if subs:
            where = ", ".join(f"{t.platform} {t.channel}" for t in subs[:5])
            more = f" and {len(subs) - 5} more" if len(subs) > 5 else ""
            out.append(f"{plural(len(subs), 'subscription')} ({where}{more})")
        if routes:
            where = ", ".join(f"{r.platform} {r.channel}" for r in routes)
            out.append(f"{plural(len(routes), 'route')} in config/newsbot.yaml ({where})")
        return out

    async def watch(self, caller: Caller, text: str) -> Reply:
        """``/watch add <id> "<name>" <aliases...>`` or ``/watch remove <id>``, as typed."""
        from bot.settings.watchedit import USAGE, WatchEditError, parse_add

        action, _, rest = text.strip().partition(" ")
        action = action.casefold()
        if action in ("add", "remove", "rm", "delete"):
            refused = self._refusal(caller)
            if refused is not None:
                return refused
        if action == "add":
            try:
                request = parse_add(rest)
            except WatchEditError as exc:
                return Reply(str(exc), ok=False)
            return await self.watch_add(caller, request)
        if action in ("remove", "rm", "delete"):
            return await self.watch_remove(caller, rest)
        return Reply(USAGE, ok=action in ("", "help"))

    async def run_text(self, name: str, text: str, caller: Caller) -> Reply | Digest:
        """A command as typed (``/subscribe kursk dm``), for platforms that pass raw text.

        Errors meant for the user come back as a Reply with ``ok=False``.
        """
        command = name.lstrip("/").casefold()
        try:
            if command == "brief":
                return await self.brief(*parse_brief_args(text))
            if command == "subscribe":
                item, dm = parse_subscribe_args(text)
                return await self.subscribe(caller, item, dm)
            if command == "unsubscribe":
                item, dm = parse_subscribe_args(text)
                return await self.unsubscribe(caller, item or None, dm)
            if command == "subscriptions":
                return await self.subscriptions(caller)
            if command == "watchlist":
                return await self.watchlist_overview()
            if command == "feeds":
                return await self.feeds()
            if command == "watch":
                return await self.watch(caller, text)
        except CommandError as exc:
            return Reply(str(exc), ok=False)
        return Reply(f"Unknown command /{command}.", ok=False)
