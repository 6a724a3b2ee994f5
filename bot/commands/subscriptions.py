"""``/subscribe``, ``/unsubscribe`` and ``/subscriptions``: what a channel receives.

Changing a channel needs the platform's word that the caller may manage it (or the caller
being one of the bot's admins); a person's own direct messages are always theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.core import Caller, CommandError, Reply, is_admin, item_label, resolve_item
from bot.models import Target
from bot.nlp.watchlist import Watchlist
from bot.settings.languages import language_name, parse_language
from bot.store.subscriptions import SubscriptionRepository
from bot.text import plural

MANAGE_RULE = {
    "discord": "the Manage Channels permission in this channel",
    "slack": "to have created this channel, or to be one of the bot's admins",
}
"""What a person needs to change a channel's subscriptions, in each platform's words."""


def _target(caller: Caller, dm: bool) -> tuple[Target, str]:
    if dm:
        if caller.dm_channel is None or not caller.dm_channel.strip():
            raise CommandError("Direct messages are not available here; subscribe a channel.")
        return Target(caller.platform, caller.dm_channel), "your direct messages"
    if not caller.channel.strip():
        # A payload without a channel: a subscription to "" would only ever fail to post.
        raise CommandError("This command needs a channel; run it in one, or add dm.")
    return Target(caller.platform, caller.channel), caller.where


def may_change(caller: Caller, dm: bool, admins: Sequence[str] = ()) -> None:
    """Refuse (CommandError, meant for the caller alone) a change to a channel the caller
    may not manage. Their own DMs are theirs; the bot's admins may change any channel."""
    if dm or caller.can_manage_channel or is_admin(admins, caller.platform, caller.user):
        return
    need = MANAGE_RULE.get(caller.platform, "permission to manage this channel")
    raise CommandError(
        f"Only people who can manage {caller.where} may change what it receives: you need "
        f"{need}. You can still /subscribe <item> dm for your own direct messages."
    )


def subscribe(
    subs: SubscriptionRepository,
    watchlist: Watchlist,
    caller: Caller,
    item: str,
    dm: bool = False,
    admins: Sequence[str] = (),
    lang: str | None = None,
) -> Reply:
    """Alerts for ``item`` (or ``all``) go to the caller's channel, or their DMs;
    ``lang``: translated into that language (``/subscribe kursk lang:fr``)."""
    if not item.strip():
        raise CommandError("Say what to subscribe to, e.g. /subscribe kursk (or all).")
    item_id = "all" if item.strip().casefold() == "all" else resolve_item(watchlist, item)
    code = _language(lang)
    target, where = _target(caller, dm)
    may_change(caller, dm, admins)
    label = item_label(watchlist, item_id)
    new = subs.subscribe(target, item_id, user=caller.user, lang=code)
    # Subscribing anew is how a person says "the bot can post here again".
    resumed = subs.resume(target)
    again = f" Resumed {plural(resumed, 'paused subscription')} here." if resumed else ""
    into = f", translated into {language_name(code)}" if code else ""
    if new:
        return Reply(f"Subscribed {where} to {label}{into}. New alerts will be posted there.{again}")
    if code:
        return Reply(f"{where} is already subscribed to {label}; its alerts are now translated "
                     f"into {language_name(code)}.{again}")
    return Reply(f"{where} is already subscribed to {label}.{again}")


def _language(lang: str | None) -> str | None:
    """``lang:fr`` checked; a CommandError says which codes there are."""
    if lang is None or not lang.strip():
        return None
    try:
        return parse_language(lang)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def unsubscribe(
    subs: SubscriptionRepository,
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
        n = subs.unsubscribe(target)
        if not n:
            return Reply(f"{where} has no subscriptions.")
        return Reply(f"Unsubscribed {where} from {plural(n, 'watch item')}.")
    wanted = item.strip()
    item_id = "all" if wanted.casefold() == "all" else resolve_item(watchlist, wanted)
    if subs.unsubscribe(target, item_id):
        return Reply(f"Unsubscribed {where} from {item_label(watchlist, item_id)}.")
    return Reply(f"{where} was not subscribed to {item_label(watchlist, item_id)}.", ok=False)


def subscriptions(subs: SubscriptionRepository, watchlist: Watchlist, caller: Caller) -> Reply:
    """What this channel (and the caller's DMs) receive."""
    lines = []
    places = [(Target(caller.platform, caller.channel), caller.where)]
    if caller.dm_channel:
        places.append((Target(caller.platform, caller.dm_channel), "Your direct messages"))
    for target, where in places:
        langs = subs.languages(target)
        items = [item_id for _t, item_id in subs.subscriptions(target)]
        if items:
            labels = ", ".join(
                item_label(watchlist, i) + (f" (in {language_name(lang)})" if (lang := langs.get(i)) else "")
                for i in items
            )
            lines.append(f"{where}: {labels}")
            paused = subs.paused(target)
            if paused is not None:
                lines.append(
                    f"  paused since {paused[0]:%Y-%m-%d %H:%M} UTC, the bot could not post "
                    f"there: {paused[1]}. /subscribe <item> there again to resume."
                )
    if not lines:
        return Reply(f"{caller.where} has no subscriptions. Try /subscribe <item> or /watchlist.")
    return Reply("\n".join(lines))


def parse_subscribe_args(text: str) -> tuple[str, bool]:
    """``/subscribe kursk dm``: the item and whether it is for the caller's DMs."""
    item, dm, _lang = parse_subscribe_options(text)
    return item, dm


def parse_subscribe_options(text: str) -> tuple[str, bool, str | None]:
    """``/subscribe kursk lang:fr dm``: the item, whether it is for the caller's DMs, and
    the language asked for (``lang:fr`` or ``lang=fr``, anywhere after the item)."""
    words = text.split()
    lang: str | None = None
    kept = []
    for word in words:
        low = word.casefold()
        if low.startswith(("lang:", "lang=")):
            lang = word[5:]
        else:
            kept.append(word)
    dm = bool(kept) and kept[-1].casefold() == "dm"
    if dm:
        kept.pop()
    return " ".join(kept), dm, lang
