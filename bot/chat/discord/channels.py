"""Discord channels as the bot addresses them, how often it posts to one, and how it
recognises a post of its own there.

A target is a channel id or ``dm:<user id>``. A post carries a nonce derived from the alert
(or digest key) and the channel, so a repeat within Discord's nonce window is answered with
the first message; after a longer outage, the channel's history is compared instead.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence

import discord

from bot.chat.base import DeliveryError
from bot.chat.discord.render import alert_payload
from bot.chat.links import message_link
from bot.models import Alert, Target

DM_PREFIX = "dm:"

HISTORY_LIMIT = 200
"""Messages read back when looking for a post made before a restart."""
CHANNEL_PACE = 1.0
"""Seconds between two posts to one channel: Discord allows 5 per 5 s, a burst waits."""


def nonce_for(key: str, channel: str) -> str:
    """The same 25 characters for the same alert (or digest key) in the same channel.

    Posted with ``enforce_nonce``, it makes Discord answer a repeated post (a crash
    between posting and marking the delivery sent) with the message it already has.
    """
    return hashlib.sha256(f"{key}\x1f{channel}".encode()).hexdigest()[:25]


def alert_nonce(alert: Alert, channel: str) -> str:
    return nonce_for(alert.id, channel)


def carries(message: discord.Message, nonce: str, alerts: Sequence[Alert]) -> bool:
    """Is ``message`` the post a repeated send would duplicate?

    Discord's enforce_nonce only covers a few minutes, so after a longer outage the
    message itself is compared: the nonce where Discord returns it, else the links: an
    alert's embed links its article under its headline, a digest lists every article it
    carries.
    """
    if message.nonce is not None and str(message.nonce) == nonce:
        return True
    urls = [a.url for a in alerts if a.url]
    if not urls or len(urls) != len(alerts):
        return False
    if len(alerts) == 1:  # the same link and headline: a live blog reuses its link
        title = alert_payload(alerts[0])["embeds"][0].get("title")
        return any(e.url == urls[0] and e.title == title for e in message.embeds)
    text = "\n".join(e.description or "" for e in message.embeds)
    return all(u in text for u in urls)


def snowflake(text: str, where: str) -> int:
    """A channel or user id as Discord's number; anything else is refused for good."""
    if not text.isdigit():
        raise DeliveryError(
            f"'{where}' is not a Discord channel id: use the numeric id (Developer Mode -> "
            "right-click the channel -> Copy Channel ID), or dm:<user id>",
            channel_gone=True,
        )
    return int(text)


def link_to(
    client: discord.Client | None, guild_ids: Sequence[int], target: Target, message_id: str | None
) -> str | None:
    """A link to a message the bot posted in ``target``: the server is the one the
    gateway's channel cache puts the channel in, or the only one in ``guild_ids``; a DM
    target names a user, not the DM channel, so it has none."""
    if target.channel.startswith(DM_PREFIX) or not target.channel.isdigit():
        return None
    guild: int | None = None
    channel = client.get_channel(int(target.channel)) if client is not None else None
    found = getattr(channel, "guild", None)
    if found is not None:
        guild = found.id
    elif len(guild_ids) == 1:
        guild = guild_ids[0]
    return message_link("discord", target.channel, message_id, guild_id=guild)


def connected(client: discord.Client | None) -> discord.Client:
    """The gateway client, which posts and reads must have; DeliveryError without it."""
    if client is None or client.is_closed():
        raise DeliveryError("the Discord client is not connected")
    return client


async def messageable(
    client: discord.Client | None, target: Target
) -> discord.PartialMessageable | discord.DMChannel:
    """Where a post to ``target`` goes: the channel, or the DM with ``dm:<user id>``."""
    client = connected(client)
    channel = target.channel
    if channel.startswith(DM_PREFIX):
        user_id = snowflake(channel[len(DM_PREFIX) :], channel)
        return await client.create_dm(discord.Object(id=user_id))
    return client.get_partial_messageable(snowflake(channel, channel))


class Pacer:
    """At most one post per ``interval`` seconds per channel; later ones wait their turn."""

    def __init__(
        self,
        interval: float = CHANNEL_PACE,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        """Seconds, monotonic; None: the event loop's clock. Tests pass a virtual one
        (with ``sleep``) to check the pacing without timing it."""
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, channel: str) -> None:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            now = self.clock or asyncio.get_running_loop().time
            delay = self._next.get(channel, 0.0) - now()
            if delay > 0:
                await self.sleep(delay)
            self._next[channel] = now() + self.interval
