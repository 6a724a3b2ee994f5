"""Subscriptions: who receives what, per platform and channel: the routes of the config
(read-only here: they are edited in ``config/newsbot.yaml``) and the subscriptions made in
chat, which an admin can remove through the same command ``/unsubscribe`` runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.commands.core import Caller, CommandError, item_label
from bot.commands.subscriptions import unsubscribe
from bot.models import Target
from bot.nlp.watchlist import Watchlist
from bot.settings.model import Settings
from bot.store.subscriptions import SubscriptionRepository
from bot.text import clean_line
from bot.web.app import Offload, Page, flash, redirect, render

CONSOLE_USER = "web-console"
"""Who a removal is recorded as: the console's admin, who may change any channel."""


@dataclass(frozen=True)
class Place:
    """A channel and what it receives."""

    platform: str
    channel: str
    items: list[tuple[str, str]]
    """``(item id, label)`` pairs."""
    paused: str | None = None
    """Why delivery there is paused (the bot could not post), if it is."""


def _paused(when: datetime, why: str) -> str:
    return f"paused since {when:%Y-%m-%d %H:%M} UTC: {clean_line(why, 200)}"


def routes(
    subscriptions: SubscriptionRepository,
    watchlist: Callable[[], Watchlist],
    settings: Callable[[], Settings],
    run: Offload,
) -> Page:
    """The Subscriptions page over the subscriptions repository and the running config."""
    table = web.RouteTableDef()

    def places() -> tuple[list[Place], list[Place]]:
        wl = watchlist()
        configured = [
            Place(r.platform, r.channel, [(i, item_label(wl, i)) for i in r.items])
            for r in settings().routes
        ]
        by_place: dict[Target, list[str]] = {}
        for target, item_id in subscriptions.subscriptions():
            by_place.setdefault(target, []).append(item_id)
        paused = subscriptions.paused_targets()
        labels: dict[str, str] = {}
        subscribed = []
        for target in sorted(by_place, key=lambda t: (t.platform, t.channel)):
            why = paused.get(target)
            subscribed.append(Place(
                target.platform, target.channel,
                [(i, labels.get(i) or labels.setdefault(i, item_label(wl, i))) for i in by_place[target]],
                _paused(*why) if why else None,
            ))
        return configured, subscribed

    @table.get("/subscriptions")
    async def show(request: web.Request) -> web.StreamResponse:
        configured, subscribed = await run(places)
        return render(request, "subscriptions.html", routes=configured, subscribed=subscribed)

    @table.post("/subscriptions/remove")
    async def remove(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        platform, channel = str(form.get("platform", "")), str(form.get("channel", ""))
        item = str(form.get("item", ""))
        if not (platform and channel and item):
            raise web.HTTPBadRequest(text="Say which subscription to remove.")
        caller = Caller(platform, channel, CONSOLE_USER, can_manage_channel=True)
        wl = watchlist()
        try:
            if item != "all" and wl.get(item) is None:
                # The item left the watchlist, so /unsubscribe cannot name it any more;
                # its subscription is still removable here.
                n = await run(subscriptions.unsubscribe, Target(platform, channel), item)
                text = f"Unsubscribed {channel} from {item}." if n else f"{channel} was not subscribed to {item}."
            else:
                reply = await run(unsubscribe, subscriptions, wl, caller, item)
                text = reply.text
        except CommandError as exc:
            text = str(exc)
        flash(request, text)
        raise redirect("/subscriptions")

    return Page("Subscriptions", "/subscriptions", table)
