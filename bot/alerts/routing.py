"""Who gets an alert: the channels an admin routed its items to in ``config/newsbot.yaml``,
plus the channels that subscribed to them in chat."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.models import Alert, Target
from bot.settings.sections import FollowupMode, RouteConfig


class Subscribers(Protocol):
    """Where the chat subscriptions are kept (the store's subscriptions repository)."""

    def subscribed_targets(self, item_ids: Iterable[str]) -> list[Target]: ...


def route_targets(
    alert: Alert, routes: Sequence[RouteConfig], subscriptions: Subscribers
) -> list[Target]:
    """Every channel that should get this alert: configured routes plus chat subscriptions.

    Queued whether or not this process runs that platform's adapter right now (a
    ``scan --once --json``, a token missing for an hour): the outbox keeps the row until
    an adapter for it delivers it.
    """
    return targets_for(alert.item_ids, routes, subscriptions)


def targets_for(
    item_ids: Iterable[str], routes: Sequence[RouteConfig], subscriptions: Subscribers
) -> list[Target]:
    """Every channel that wants alerts naming any of ``item_ids``."""
    items = set(item_ids)
    targets = [
        Target(route.platform, route.channel)
        for route in routes
        if "all" in route.items or items & set(route.items)
    ]
    targets += subscriptions.subscribed_targets(items)
    return list(dict.fromkeys(targets))


def followup_mode(
    target: Target, routes: Sequence[RouteConfig], default: FollowupMode = "edit"
) -> FollowupMode:
    """How ``target`` hears that a posted alert's story moved on: the ``followups`` of the
    first route to that channel that sets one, else ``default`` (the config's own, which
    channels subscribed in chat follow)."""
    for route in routes:
        if route.followups and (route.platform, route.channel) == (target.platform, target.channel):
            return route.followups
    return default
