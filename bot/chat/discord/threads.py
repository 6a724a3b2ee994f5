"""Follow-ups on Discord: replies in the thread started on an alert's message.

The adapter decides whether a follow-up can go out at all (not through a webhook, not
without a posted message); :class:`Threads` starts the thread, posts the reply in it (in a
DM, which has no threads, as a reply to the alert's message) and finds one made before a
restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.chat.base import DeliveryError, ThreadReply
from bot.chat.discord.channels import (
    DM_PREFIX,
    HISTORY_LIMIT,
    Pacer,
    connected,
    messageable,
    nonce_for,
    snowflake,
)
from bot.chat.discord.errors import (
    THREAD_ALREADY_CREATED,
    UNKNOWN_CHANNEL,
    delivery_error,
    thread_error,
)
from bot.chat.discord.render import followup_payload, thread_name
from bot.models import Alert, FollowUp, Target

log = logging.getLogger(__name__)


class Threads:
    """Posts and finds an alert's follow-ups, paced like every other post."""

    def __init__(self, pacer: Pacer, client: Callable[[], discord.Client | None]) -> None:
        self.pacer = pacer
        self.client = client
        """The gateway client as of now (None before ``start`` and after ``stop``)."""

    async def send(
        self, target: Target, message_id: str, thread_id: str | None, followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        """Post ``followup`` in the thread started on the alert's message (starting it the
        first time); in a DM, which has no threads, as a reply to the alert's message.

        The reply carries a nonce of its own, so a repeat within Discord's window returns
        it; :meth:`find` covers longer gaps.
        """
        payload = followup_payload(followup)
        nonce = nonce_for(followup.key, target.channel)
        none = discord.AllowedMentions.none()
        if target.channel.startswith(DM_PREFIX):
            try:
                await self.pacer.wait(target.channel)
                channel = await messageable(self.client(), target)
                reference = discord.MessageReference(
                    message_id=int(message_id), channel_id=channel.id, fail_if_not_exists=False
                )
                sent = await channel.send(
                    content=payload["content"], allowed_mentions=none, nonce=nonce,
                    reference=reference, suppress_embeds=True,
                )
            except Exception as exc:
                raise delivery_error(exc, f"channel {target.channel}") from exc
            return ThreadReply(str(sent.id))
        thread = thread_id or await self._start_thread(target, message_id, alert)
        try:
            await self.pacer.wait(thread)
            channel = connected(self.client()).get_partial_messageable(int(thread))
            sent = await channel.send(
                content=payload["content"], allowed_mentions=none, nonce=nonce,
                suppress_embeds=True,
            )
        except Exception as exc:
            raise thread_error(exc, f"the thread {thread} of channel {target.channel}") from exc
        return ThreadReply(str(sent.id), thread)

    async def _start_thread(self, target: Target, message_id: str, alert: Alert | None) -> str:
        """``POST /channels/{channel}/messages/{message}/threads``; the thread's id.

        One thread per message: if an earlier attempt started it (and the bot died before
        keeping its id), Discord says so (160004), and a thread started on a message has
        that message's id.
        """
        channel = snowflake(target.channel, target.channel)
        name = thread_name(alert) if alert is not None else "Follow-ups"
        try:
            await self.pacer.wait(target.channel)
            data = await connected(self.client()).http.start_thread_with_message(
                channel, int(message_id), name=name, auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return message_id
            raise thread_error(exc, f"a thread on message {message_id} in channel {target.channel}") from exc
        except Exception as exc:
            raise delivery_error(exc, f"channel {target.channel}") from exc
        return str(data["id"])

    async def find(
        self, target: Target, message_id: str, thread_id: str | None, followup: FollowUp,
        since: datetime,
    ) -> ThreadReply | None:
        """Read the alert's thread (or the DM) back from ``since`` for our reply.

        Recognised by its nonce where Discord returns it, else by its text. A thread that
        does not exist yet holds no reply.
        """
        client = self.client()
        if client is None or client.user is None:
            return None
        me = client.user.id
        nonce = nonce_for(followup.key, target.channel)
        content = followup_payload(followup)["content"]
        after = discord.Object(id=discord.utils.time_snowflake(since - timedelta(seconds=30)))
        dm = target.channel.startswith(DM_PREFIX)
        thread = None if dm else (thread_id or message_id)
        try:
            channel: Any = (
                await messageable(client, target) if dm
                else client.get_partial_messageable(int(thread or 0))
            )
            async for message in channel.history(limit=HISTORY_LIMIT, after=after):
                if message.author.id != me:
                    continue
                if (message.nonce is not None and str(message.nonce) == nonce) or message.content == content:
                    return ThreadReply(str(message.id), thread)
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_CHANNEL:
                return None  # no thread yet: nothing was replied
            raise thread_error(exc, f"channel {target.channel}") from exc
        except discord.Forbidden:
            log.warning(
                "cannot read the thread of message %s in %s to check for a reply made before "
                "a restart; relying on Discord's nonce. Grant Read Message History.",
                message_id, target.channel,
            )
            return None
        except DeliveryError:
            raise
        except Exception as exc:
            raise thread_error(exc, f"channel {target.channel}") from exc
        return None
