"""Discord: alerts as embeds, application commands, subscriptions (discord.py 2.x).

Two modes, chosen by the environment:

- **Bot** (``DISCORD_BOT_TOKEN``): a :class:`discord.Client` on the bot's own event loop,
  connected to the gateway for application commands (``/brief``, ``/subscribe``, ...),
  posting alerts to channel ids and ``dm:<user id>`` targets over REST.
- **Post-only** (``DISCORD_WEBHOOK_URL`` alone): every alert goes to the webhook's channel;
  no commands, no DMs.

The gateway client and discord.py's endpoints are :mod:`.client`, the commands
:mod:`.commands`, the error wording :mod:`.errors`; this module posts, edits and finds
posts, and runs the connection's life cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.chat.base import ChatAdapter, DeliveryError, ThreadReply
from bot.chat.discord.channels import (
    CHANNEL_PACE,
    DM_PREFIX,
    HISTORY_LIMIT,
    Pacer,
    alert_nonce,
    carries,
    link_to,
    messageable,
    nonce_for,
)
from bot.chat.discord.client import DEFAULT_API_URL, DEFAULT_GATEWAY_URL, Endpoints, GatewayClient
from bot.chat.discord.digest import digest_payload
from bot.chat.discord.errors import (
    UNKNOWN_MESSAGE,
    delivery_error,
    start_failure,
)
from bot.chat.discord.feedback import alert_message, message_view
from bot.chat.discord.render import (
    Send,
    text_payload,
)
from bot.chat.discord.threads import Threads
from bot.chat.inflight import DRAIN_TIMEOUT, InFlight
from bot.commands.dispatch import Commands
from bot.models import Alert, Digest, FollowUp, Target
from bot.settings.sections import DiscordConfig

__all__ = ["DiscordAdapter"]

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
"""How long ``start()`` waits for login, command sync and the gateway's READY."""
MAX_RATELIMIT_WAIT = 30.0
"""A longer rate limit goes back to the outbox (``retry_after``) instead of blocking."""

_WEBHOOK_URL = re.compile(
    r"^https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d{17,20}/"
    r"[\w.-]{60,}/?$"
)


def check_env(
    token: str | None, webhook: str | None, api_url: str, gateway: str, settings: DiscordConfig
) -> None:
    """Refuse (ValueError, saying what to fix) an environment the adapter cannot work from."""
    if token is not None and (token.lower().startswith("bot ") or any(c.isspace() for c in token)):
        raise ValueError(
            "DISCORD_BOT_TOKEN must be the bare bot token from the Developer Portal "
            "(Bot -> Reset Token), without 'Bot ' and without spaces"
        )
    if token is None and webhook is not None and not _WEBHOOK_URL.match(webhook):
        raise ValueError(
            "DISCORD_WEBHOOK_URL must look like https://discord.com/api/webhooks/<id>/<token> "
            "(channel settings -> Integrations -> Webhooks -> Copy Webhook URL)"
        )
    if not re.match(r"^https?://[^\s/]+", api_url):
        raise ValueError(f"NEWSBOT_DISCORD_API_URL must be an http(s) URL, got {api_url!r}")
    if not re.match(r"^wss?://[^\s/]+", gateway):
        raise ValueError(f"NEWSBOT_DISCORD_GATEWAY_URL must be a ws(s) URL, got {gateway!r}")
    if any(g <= 0 for g in settings.guild_ids):
        raise ValueError("discord.guild_ids must be server ids (positive numbers)")


class DiscordAdapter(ChatAdapter):
    """Posts alerts to Discord and answers its application commands."""

    platform = "discord"
    digest_limit = 8  # an embed description (4096) lists eight alerts in full, links and all

    def __init__(
        self,
        commands: Commands,
        settings: DiscordConfig | None = None,
        *,
        token: str | None = None,
        webhook_url: str | None = None,
        api_url: str = DEFAULT_API_URL,
        gateway_url: str = DEFAULT_GATEWAY_URL,
        ready_timeout: float = READY_TIMEOUT,
        channel_pace: float = CHANNEL_PACE,
        guild_ready_timeout: float = 2.0,
        drain_timeout: float = DRAIN_TIMEOUT,
    ) -> None:
        if not token and not webhook_url:
            raise ValueError("Discord needs DISCORD_BOT_TOKEN (bot) or DISCORD_WEBHOOK_URL (post-only)")
        self.commands = commands
        self.settings = settings or DiscordConfig()
        self.endpoints = Endpoints(api_url, gateway_url)
        self.ready_timeout = ready_timeout
        self.guild_ready_timeout = guild_ready_timeout
        self.pacer = Pacer(channel_pace)
        self.threads = Threads(self.pacer, lambda: self.client)
        self._token = token
        self._webhook_url = None if token else webhook_url
        self.client: GatewayClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook: discord.Webhook | None = None
        self.answering = InFlight("discord")
        """Commands being answered: ``stop()`` lets them finish before it disconnects."""
        self.drain_timeout = drain_timeout

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], settings: DiscordConfig, commands: Commands
    ) -> DiscordAdapter:
        """The adapter the environment describes; ValueError says what is wrong with it."""
        token = (env.get("DISCORD_BOT_TOKEN") or "").strip() or None
        webhook = (env.get("DISCORD_WEBHOOK_URL") or "").strip() or None
        api_url = (env.get("NEWSBOT_DISCORD_API_URL") or "").strip() or DEFAULT_API_URL
        gateway = (env.get("NEWSBOT_DISCORD_GATEWAY_URL") or "").strip() or DEFAULT_GATEWAY_URL
        check_env(token, webhook, api_url, gateway, settings)
        if token and webhook:
            log.info("discord: DISCORD_BOT_TOKEN is set, so DISCORD_WEBHOOK_URL is not used")
        return cls(
            commands, settings, token=token, webhook_url=webhook, api_url=api_url, gateway_url=gateway
        )

    @property
    def post_only(self) -> bool:
        return self._token is None

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Log in and wait for the gateway's READY (bot), or open the webhook (post-only).

        Returns once connected; the client keeps running as a background task. A refused
        token or an unreachable gateway is a ChatStartError saying so, within ``ready_timeout``.
        """
        self.endpoints.apply()
        if self.post_only:
            assert self._webhook_url is not None
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
            self._webhook = discord.Webhook.from_url(self._webhook_url, session=self._session)
            log.info("discord: post-only mode through a webhook")
            return
        assert self._token is not None
        # The bot never joins voice: no warnings about voice libraries it does not need.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        client = GatewayClient(
            self.settings,
            self.commands,
            self.answering,
            edit=self.update_alert,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            guild_ready_timeout=self.guild_ready_timeout,
        )
        self.client = client
        self._runner = asyncio.create_task(client.start(self._token), name="discord-client")
        ready = asyncio.create_task(client.ready.wait())
        try:
            done, _ = await asyncio.wait(
                {self._runner, ready}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            ready.cancel()
        if ready in done and not self._runner.done():
            self._runner.add_done_callback(_log_end)
            user = client.user
            log.info("discord: connected as %s (%d servers)", user, len(client.guilds))
            return
        where = f"gateway {self.endpoints.gateway_url}, API {self.endpoints.api_url}"
        error = start_failure(self._runner if self._runner in done else None, self.ready_timeout, where)
        await self.stop()
        raise error

    @property
    def connected(self) -> bool:
        """The gateway is up (bot), or the webhook is open (post-only)."""
        if self.post_only:
            return self._webhook is not None
        client = self.client
        ws = client.ws if client is not None else None
        return bool(client and client.is_ready() and not client.is_closed() and ws and ws.open)

    async def stop(self) -> None:
        """Finish the answers to commands already received (within ``drain_timeout``),
        then close the gateway and HTTP sessions and restore discord.py's endpoints."""
        try:
            await self.answering.drain(self.drain_timeout)
            if self.client is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.client.close(), timeout=10)
            if self._runner is not None:
                self._runner.cancel()
                with contextlib.suppress(BaseException):
                    await asyncio.wait({self._runner}, timeout=5)
            if self._session is not None:
                await self._session.close()
        finally:
            self.client = None
            self._runner = None
            self._session = None
            self._webhook = None
            self.endpoints.restore()

    # -- sending -----------------------------------------------------------------------

    def _message(self, alert: Alert) -> dict[str, Any]:
        """The alert as posted: with the feedback buttons where clicks reach the bot (not
        through a webhook)."""
        return alert_message(alert, with_buttons=not self.post_only)

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        message = self._message(alert)
        return await self._post(
            target, message, nonce=alert_nonce(alert, target.channel), view=message_view(message)
        )

    async def send_digest(
        self, target: Target, digest: Digest, key: str | None = None
    ) -> str | None:
        nonce = nonce_for(key, target.channel) if key is not None else None
        return await self._post(target, digest_payload(digest), nonce=nonce)

    async def find_posted(
        self, target: Target, key: str, since: datetime, alerts: Sequence[Alert] = ()
    ) -> str | None:
        """Read the channel back from ``since`` for a post of ours carrying ``key``.

        Within Discord's nonce window a repeated post is answered with the first one
        anyway; this covers longer outages. Without history access (a webhook, a
        missing Read Message History permission) the answer is None.
        """
        if self._webhook is not None or self.client is None or self.client.user is None:
            return None
        me = self.client.user.id
        nonce = nonce_for(key, target.channel)
        after = discord.Object(id=discord.utils.time_snowflake(since - timedelta(seconds=30)))
        try:
            channel = await messageable(self.client, target)
            async for message in channel.history(limit=HISTORY_LIMIT, after=after):
                if message.author.id == me and carries(message, nonce, alerts):
                    return str(message.id)
        except discord.Forbidden:
            log.warning(
                "cannot read the history of channel %s to check for a post made before a "
                "restart; relying on Discord's nonce. Grant Read Message History.",
                target.channel,
            )
            return None
        except DeliveryError:
            raise
        except Exception as exc:
            raise delivery_error(exc, f"channel {target.channel}") from exc
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        return await self._post(target, text_payload(text))

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        """Edit the posted embed; a message that is gone is posted anew."""
        if not message_id.isdigit():
            return await self.send_alert(target, alert)
        mid = int(message_id)
        message = self._message(alert)
        send = Send.of(message)
        where = f"channel {target.channel}"
        try:
            await self.pacer.wait(target.channel)
            if self._webhook is not None:
                await self._webhook.edit_message(
                    mid, content=send.content, embeds=send.embeds,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            else:
                channel = await messageable(self.client, target)
                view = message_view(message)
                await channel.get_partial_message(mid).edit(
                    content=send.content, embeds=send.embeds,
                    allowed_mentions=discord.AllowedMentions.none(),
                    view=view if view is not None else discord.utils.MISSING,
                )
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                # Deleted: post it anew, under a nonce of its own (the first post's nonce
                # would be answered with the deleted message).
                again = nonce_for(f"{alert.id}\x1frepost\x1f{message_id}", target.channel)
                return await self._post(target, message, nonce=again, view=message_view(message))
            raise delivery_error(exc, where) from exc
        except Exception as exc:
            raise delivery_error(exc, where) from exc
        return message_id

    # -- follow-ups in threads: see bot.chat.discord.threads --------------------------------

    async def send_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        """In the thread started on the alert's message (a reply to it in a DM)."""
        if self._webhook is not None or not message_id.isdigit():
            return None  # a webhook's channel has no thread the bot could start
        return await self.threads.send(target, message_id, thread_id, followup, alert)

    async def find_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        since: datetime,
    ) -> ThreadReply | None:
        """Our reply in the alert's thread (or the DM) since ``since``, if there is one."""
        if self._webhook is not None or not message_id.isdigit():
            return None
        return await self.threads.find(target, message_id, thread_id, followup, since)

    def message_link(self, target: Target, external_id: str | None) -> str | None:
        """``https://discord.com/channels/<guild>/<channel>/<message>`` (see
        :func:`~bot.chat.discord.channels.link_to`)."""
        return link_to(self.client, self.settings.guild_ids, target, external_id)

    async def _post(
        self,
        target: Target,
        payload: Mapping[str, Any],
        nonce: str | None = None,
        view: discord.ui.View | None = None,
    ) -> str:
        send = Send.of(payload)
        where = f"channel {target.channel}"
        none = discord.AllowedMentions.none()
        try:
            await self.pacer.wait(target.channel)
            if self._webhook is not None:
                if target.channel.startswith(DM_PREFIX):
                    raise DeliveryError(
                        "post-only (webhook) mode cannot send direct messages; set "
                        "DISCORD_BOT_TOKEN for DMs",
                        channel_gone=True,
                    )
                wm = await self._webhook.send(
                    content=send.content or discord.utils.MISSING,
                    embeds=send.embeds,
                    allowed_mentions=none,
                    wait=True,
                )
                return str(wm.id)
            channel = await messageable(self.client, target)
            # discord.py puts a nonce with enforce_nonce on every post (random unless given).
            extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
            if view is not None:
                extra["view"] = view
            message = await channel.send(
                content=send.content, embeds=send.embeds, allowed_mentions=none, **extra
            )
            return str(message.id)
        except Exception as exc:
            raise delivery_error(exc, where) from exc


def _log_end(task: asyncio.Task[None]) -> None:
    """The gateway connection ended on its own (token revoked, intents refused)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("discord: the gateway connection ended: %r", exc)
