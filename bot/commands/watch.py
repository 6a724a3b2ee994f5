"""``/watch add`` and ``/watch remove``: the bot's admins edit the watchlist from chat.

The edit itself (the file, its comments, the atomic write) is :mod:`bot.settings.watchedit`;
here are who may ask, one edit at a time, and the reply. The running bot is reached only
through :class:`WatchHost`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.commands.core import Caller, CommandError, Reply, is_admin
from bot.settings.watchedit import plan_add, plan_remove, write
from bot.settings.watchrequest import USAGE, AddRequest, WatchEditError, parse_add, parse_aliases
from bot.store.subscriptions import SubscriptionRepository
from bot.text import plural

if TYPE_CHECKING:
    from bot.settings.model import Settings

log = logging.getLogger(__name__)


class WatchHost(Protocol):
    """What ``/watch`` needs from the running bot (``NewsBot`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def watchlist_path(self) -> Path: ...

    def writing_watchlist(self, text: str, by: str) -> AbstractContextManager[None]:
        """Around the write that makes the file say ``text``: the reload that sees it names
        ``by``, unless the write raised."""

    async def watchlist_edited(self) -> None:
        """Reload the file now (announcing the change once)."""


def add_request(item_id: str, name: str, aliases: str) -> AddRequest:
    """An ``add`` from separate fields (Discord's options); a bad alias is a CommandError."""
    try:
        return AddRequest(item_id.strip(), name.strip(), parse_aliases(aliases))
    except WatchEditError as exc:
        raise CommandError(str(exc)) from exc


class WatchCommand:
    """``/watch`` for one running bot: admins only, one edit of the file at a time."""

    def __init__(self, subs: SubscriptionRepository, host: WatchHost | None) -> None:
        self.subs = subs
        self.host = host
        self._edit_lock = asyncio.Lock()

    def refusal(self, caller: Caller) -> Reply | None:
        """Why ``caller`` may not edit the watchlist, or None when they may."""
        if self.host is None:
            return Reply("The watchlist cannot be changed from here.", ok=False)
        if not is_admin(self.host.settings.admins, caller.platform, caller.user):
            return Reply(
                "Sorry, only the bot's admins can change the watchlist. Ask one of them, or "
                f"ask to be added to admins in config/newsbot.yaml (your user id is {caller.user}).",
                ok=False,
            )
        return None

    async def add(self, caller: Caller, request: AddRequest) -> Reply:
        """Append an entity to the watchlist file (admins only); the bot reloads it."""
        refused = self.refusal(caller)
        if refused is not None:
            return refused
        assert self.host is not None
        host, path = self.host, self.host.watchlist_path
        async with self._edit_lock:
            try:
                edit = await asyncio.to_thread(plan_add, path, request)
                with host.writing_watchlist(edit.after, f"{caller.platform}:{caller.user}"):
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

    async def remove(self, caller: Caller, item_id: str) -> Reply:
        """Remove an item from the watchlist file (admins only); says who still used it."""
        refused = self.refusal(caller)
        if refused is not None:
            return refused
        assert self.host is not None
        if not item_id.strip():
            return Reply("Say which item to remove, e.g. /watch remove kursk.", ok=False)
        host, path = self.host, self.host.watchlist_path
        async with self._edit_lock:
            try:
                edit = await asyncio.to_thread(plan_remove, path, item_id.strip())
                with host.writing_watchlist(edit.after, f"{caller.platform}:{caller.user}"):
                    await asyncio.to_thread(write, path, edit)
            except WatchEditError as exc:
                return Reply(str(exc), ok=False)
            await host.watchlist_edited()
        item = edit.item
        log.info("/watch remove %s by %s:%s", item.id, caller.platform, caller.user)
        users = await asyncio.to_thread(self.users_of, item.id)
        text = f"Removed {item.name} ({item.id}) from the watchlist."
        if users:
            text += (
                f" Note: {item.id} is still named by {' and '.join(users)}, which get nothing "
                "for it until it is added back (edit the routes, or /unsubscribe there)."
            )
        return Reply(text)

    def users_of(self, item_id: str) -> list[str]:
        """The subscriptions and routes that still name ``item_id``, in a few words each."""
        subs = [t for t, i in self.subs.subscriptions() if i == item_id]
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

    async def run(self, caller: Caller, text: str) -> Reply:
        """``/watch add <id> "<name>" <aliases...>`` or ``/watch remove <id>``, as typed."""
        action, _, rest = text.strip().partition(" ")
        action = action.casefold()
        if action in ("add", "remove", "rm", "delete"):
            refused = self.refusal(caller)
            if refused is not None:
                return refused
        if action == "add":
            try:
                request = parse_add(rest)
            except WatchEditError as exc:
                return Reply(str(exc), ok=False)
            return await self.add(caller, request)
        if action in ("remove", "rm", "delete"):
            return await self.remove(caller, rest)
        return Reply(USAGE, ok=action in ("", "help"))

    @property
    def admins(self) -> Sequence[str]:
        """The bot's admins as the running config says them (none without a bot)."""
        return () if self.host is None else self.host.settings.admins

