"""Discord: alerts as embeds, application commands, subscriptions (discord.py 2.x).

Two modes, chosen by the environment:

- **Bot** (``DISCORD_BOT_TOKEN``): a :class:`discord.Client` on the bot's own event loop,
  connected to the gateway for application commands (``/brief``, ``/subscribe``, ...),
  posting alerts to channel ids and ``dm:<user id>`` targets over REST.
- **Post-only** (``DISCORD_WEBHOOK_URL`` alone): every alert goes to the webhook's channel;
  no commands, no DMs.

discord.py keeps its endpoints in two class attributes, ``discord.http.Route.BASE`` (REST)
and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; a plain client never asks the API
for its gateway. :class:`Endpoints` sets both from ``NEWSBOT_DISCORD_API_URL`` and
``NEWSBOT_DISCORD_GATEWAY_URL`` while the adapter runs and puts the previous values back on
``stop()``. They are process-wide: every discord.py client in the process uses them, so one
process talks to one Discord (which is all the bot needs).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.base import ChatAdapter, ChatStartError, DeliveryError
from bot.chat.discord.render import alert_payload, digest_payload, text_payload
from bot.chat.inflight import DRAIN_TIMEOUT, InFlight
from bot.commands.core import Caller, CommandError, Reply
from bot.commands.dispatch import Commands
from bot.commands.queries import item_choices
from bot.models import Alert, Digest, Target
from bot.settings.model import DiscordConfig

__all__ = ["DiscordAdapter", "Endpoints", "alert_payload", "alert_nonce"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"
READY_TIMEOUT = 60.0
"""How long ``start()`` waits for login, command sync and the gateway's READY."""
CHANNEL_PACE = 1.0
"""Seconds between two posts to one channel: Discord allows 5 per 5 s, a burst waits."""
MAX_RATELIMIT_WAIT = 30.0
"""A longer rate limit goes back to the outbox (``retry_after``) instead of blocking."""

_WEBHOOK_URL = re.compile(
    r"^https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d{17,20}/"
    r"[\w.-]{60,}/?$"
)

# Discord JSON error codes worth a sentence of their own.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013

DM_PREFIX = "dm:"

NOT_SERVED = (
    "Sorry, this bot only answers in the servers it was set up for. "
    "If you run it, add this server's id to discord.guild_ids in config/newsbot.yaml."
)


def nonce_for(key: str, channel: str) -> str:
    """The same 25 characters for the same alert (or digest key) in the same channel.

    Posted with ``enforce_nonce``, it makes Discord answer a repeated post (a crash
    between posting and marking the delivery sent) with the message it already has.
    """
    return hashlib.sha256(f"{key}\x1f{channel}".encode()).hexdigest()[:25]


def alert_nonce(alert: Alert, channel: str) -> str:
    return nonce_for(alert.id, channel)


HISTORY_LIMIT = 200
"""Messages read back when looking for a post made before a restart."""


def _carries(message: discord.Message, nonce: str, alerts: Sequence[Alert]) -> bool:
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


class Endpoints:
    """Where discord.py sends REST calls and opens the gateway, scoped to one adapter's life.

    Both are class attributes of discord.py (process-wide); :meth:`apply` remembers what was
    there and :meth:`restore` puts it back.
    """

    def __init__(self, api_url: str = DEFAULT_API_URL, gateway_url: str = DEFAULT_GATEWAY_URL):
        self.api_url = api_url.rstrip("/")
        self.gateway_url = gateway_url
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if self._saved is None:
            self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.api_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore(self) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None


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


def delivery_error(exc: BaseException, where: str) -> DeliveryError:
    """What went wrong, in words that say what to fix, and whether retrying can help."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(f"Discord rate limit on {where}", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        code, status = exc.code, exc.status
        if status == 429:
            return DeliveryError(f"Discord rate limit on {where}", retry_after=_retry_after(exc))
        if code == MISSING_ACCESS:
            return DeliveryError(
                f"Missing Access (50001) to {where}: the bot cannot see that channel; add the "
                "bot to the server and give it View Channel there",
                channel_gone=True,
            )
        if code == UNKNOWN_CHANNEL:
            return DeliveryError(
                f"Unknown Channel (10003) {where}: no such channel; check the channel id in "
                "config/newsbot.yaml or remove the subscription",
                channel_gone=True,
            )
        if code == MISSING_PERMISSIONS:
            return DeliveryError(
                f"Missing Permissions (50013) in {where}: give the bot Send Messages and "
                "Embed Links in that channel",
                channel_gone=True,
            )
        if code == CANNOT_DM:
            return DeliveryError(
                f"cannot send a direct message to {where}: the user does not accept DMs from "
                "the bot (or shares no server with it)",
                channel_gone=True,
            )
        if status == 401:
            return DeliveryError(
                "Discord rejected the bot token (401): set DISCORD_BOT_TOKEN (or "
                "DISCORD_WEBHOOK_URL) to a valid one",
                permanent=True,
            )
        if status >= 500:
            return DeliveryError(f"Discord server error {status} posting to {where}")
        detail = f" ({code})" if code else ""
        return DeliveryError(
            f"Discord refused the post to {where}: {status} {exc.text}{detail}".strip(),
            permanent=True,
        )
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError(f"cannot reach Discord posting to {where}: {exc!r}")
    return DeliveryError(f"posting to {where} failed: {exc!r}")


def _retry_after(exc: discord.HTTPException) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        with contextlib.suppress(TypeError, ValueError):
            return max(0.0, float(headers.get(name, "")))
    return 60.0


@dataclass
class _Send:
    """A payload dict as discord.py keyword arguments."""

    content: str | None
    embeds: list[discord.Embed]

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> _Send:
        return cls(
            content=payload.get("content") or None,
            embeds=[discord.Embed.from_dict(e) for e in payload.get("embeds", [])],
        )


def _guard_parser(client: discord.Client, event: str) -> None:
    """Drop one gateway event discord.py cannot read instead of losing the connection.

    discord.py parses a dispatch inside its gateway read loop, and an exception there
    (an interaction without ``data``, an option of the wrong shape) ends ``Client.start``:
    one malformed slash command would silence every command and alert after it. The
    parsers live in a dict the gateway looks up per event; the wrapped one logs and moves
    on. Only user-triggered events are wrapped: a broken READY should still stop the bot.
    """
    parsers: dict[str, Any] = client._connection.parsers
    parse = parsers[event]

    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as exc:
            log.warning("discord: dropped a malformed %s event (%r)", event, exc)

    parsers[event] = guarded


def _clean(text: object) -> str:
    """A server's name for the log: one line, short (anyone can name a server)."""
    return " ".join(str(text).split())[:80]


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]


def _command_name(interaction: discord.Interaction[Any]) -> str:
    data: Mapping[str, Any] = interaction.data if isinstance(interaction.data, dict) else {}
    return " ".join(str(data.get("name") or "?").split())[:40]


class _Tree(app_commands.CommandTree[Any]):
    """The command tree, minus one way to lose an exception.

    discord.py runs each interaction in a task of its own and hands only its own
    ``AppCommandError``s to the error handler; a payload it cannot read (an option
    without a name, a string where its type says integer) raises something else, which
    ends the task as "Task exception was never retrieved". Such an interaction is
    answered as not understood and logged in one line.
    """

    def _from_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py's own dispatch, with the answering task kept where ``stop()`` can
        wait for it (discord.py keeps no reference to it at all)."""

        async def answer() -> None:
            try:
                await self._call(interaction)
            except app_commands.AppCommandError as e:
                await self._dispatch_error(interaction, e)

        task = self.client.loop.create_task(answer(), name="CommandTree-invoker")
        self.client.adapter.answering.track(task)

    async def _call(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.autocomplete and not self._completes(
            interaction
        ):
            # discord.py would raise inside and log the traceback as an error.
            log.warning("discord: dropped an autocomplete for /%s naming no option it "
                        "completes", _command_name(interaction))
            with contextlib.suppress(Exception):
                await interaction.response.autocomplete([])
            return
        try:
            await super()._call(interaction)
        except app_commands.AppCommandError:
            raise
        except Exception as exc:
            log.warning(
                "discord: dropped a malformed /%s interaction (%r)", _command_name(interaction), exc
            )
            with contextlib.suppress(Exception):  # best effort: the payload is broken
                await self.client.adapter.reply(
                    interaction, Reply("That command arrived garbled; please try again.", ok=False)
                )


    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only the servers in ``discord.guild_ids`` are served; elsewhere a private refusal.

        discord.py runs this before any command or autocomplete; False ends the interaction.
        """
        adapter: DiscordAdapter = self.client.adapter
        if adapter.serves(interaction.guild_id):
            return True
        log.warning(
            "discord: refused /%s from %s (not in discord.guild_ids)",
            _command_name(interaction),
            f"server {interaction.guild_id}" if interaction.guild_id else "a direct message",
        )
        with contextlib.suppress(Exception):
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await adapter.reply(interaction, Reply(NOT_SERVED, ok=False))
        return False

    def _completes(self, interaction: discord.Interaction[Any]) -> bool:
        """Does the focused option of this autocomplete name a parameter we complete?

        Anything else unreadable is left to the usual path, which refuses it in words.
        """
        try:
            command, options = self._get_app_command_options(interaction.data)  # type: ignore[arg-type]
        except Exception:
            return True
        focused = next(
            (o.get("name") for o in options if isinstance(o, dict) and o.get("focused")), None
        )
        if focused is None:
            return True
        param = getattr(command, "_params", {}).get(focused)
        return param is not None and getattr(param, "autocomplete", None) is not None


class _Client(discord.Client):
    """The gateway client: syncs the command tree at login and signals readiness."""

    def __init__(self, adapter: DiscordAdapter, **options: Any) -> None:
        super().__init__(**options)
        self.adapter = adapter
        self.ready = asyncio.Event()
        self.tree = _Tree(self)
        _add_commands(self.tree, adapter)
        _guard_parser(self, "INTERACTION_CREATE")

    async def setup_hook(self) -> None:
        await self.adapter._sync_commands(self.tree)

    async def on_ready(self) -> None:
        self.ready.set()
        for guild in list(self.guilds):
            await self.adapter._leave_if_stranger(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter._leave_if_stranger(guild)


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
        self._token = token
        self._webhook_url = None if token else webhook_url
        self.client: _Client | None = None
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
        if token and webhook:
            log.info("discord: DISCORD_BOT_TOKEN is set, so DISCORD_WEBHOOK_URL is not used")
        return cls(
            commands, settings, token=token, webhook_url=webhook, api_url=api_url, gateway_url=gateway
        )

    @property
    def post_only(self) -> bool:
        return self._token is None

    def serves(self, guild_id: int | None) -> bool:
        """Whether commands from this server (None: a DM) are answered: every one when
        ``discord.guild_ids`` is empty, else only those servers (DMs included out)."""
        ids = self.settings.guild_ids
        return not ids or (guild_id is not None and guild_id in ids)

    async def _leave_if_stranger(self, guild: discord.Guild) -> None:
        """With ``discord.leave_other_guilds``, leave a server the bot does not serve."""
        if not self.settings.leave_other_guilds or self.serves(guild.id):
            return
        try:
            await guild.leave()
        except discord.HTTPException as exc:
            log.warning("discord: could not leave server %s (%s %s)", guild.id, exc.status, exc.text)
        else:
            log.warning(
                "discord: left server %s (%s): it is not in discord.guild_ids",
                guild.id, _clean(guild.name),
            )

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
        client = _Client(
            self,
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
        error = self._start_failure(self._runner if self._runner in done else None)
        await self.stop()
        raise error

    def _start_failure(self, finished: asyncio.Task[None] | None) -> ChatStartError:
        where = f"gateway {self.endpoints.gateway_url}, API {self.endpoints.api_url}"
        if finished is None:
            return ChatStartError(
                f"Discord did not get ready within {self.ready_timeout:.0f}s ({where}); "
                "check the network and NEWSBOT_DISCORD_GATEWAY_URL"
            )
        exc = None if finished.cancelled() else finished.exception()
        if isinstance(exc, discord.LoginFailure):
            return ChatStartError(
                "Discord rejected DISCORD_BOT_TOKEN (401 Unauthorized): copy a new token from "
                "the Developer Portal (your application -> Bot -> Reset Token)"
            )
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return ChatStartError("Discord refused the gateway intents the bot asked for")
        return ChatStartError(f"could not connect to Discord ({where}): {exc!r}")

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

    async def _sync_commands(self, tree: app_commands.CommandTree[Any]) -> None:
        """Register the commands: in each configured server (instant), else globally
        (Discord may take a while to show new global commands)."""
        try:
            if self.settings.guild_ids:
                for gid in self.settings.guild_ids:
                    guild = discord.Object(id=gid)
                    tree.copy_global_to(guild=guild)
                    await tree.sync(guild=guild)
                log.info("discord: commands registered in %d servers", len(self.settings.guild_ids))
            else:
                await tree.sync()
                log.info("discord: commands registered globally")
        except discord.HTTPException as exc:
            # Alerts still flow; only the commands are missing.
            log.error(
                "discord: could not register commands (%s %s): invite the bot with the "
                "applications.commands scope, and check discord.guild_ids",
                exc.status,
                exc.text,
            )

    # -- sending -----------------------------------------------------------------------

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        return await self._post(target, alert_payload(alert), nonce=alert_nonce(alert, target.channel))

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
            channel = await self._messageable(target)
            async for message in channel.history(limit=HISTORY_LIMIT, after=after):
                if message.author.id == me and _carries(message, nonce, alerts):
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
        send = _Send.of(alert_payload(alert))
        where = f"channel {target.channel}"
        try:
            await self.pacer.wait(target.channel)
            if self._webhook is not None:
                await self._webhook.edit_message(
                    mid, content=send.content, embeds=send.embeds,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            else:
                channel = await self._messageable(target)
                await channel.get_partial_message(mid).edit(
                    content=send.content, embeds=send.embeds,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                # Deleted: post it anew, under a nonce of its own (the first post's nonce
                # would be answered with the deleted message).
                again = nonce_for(f"{alert.id}\x1frepost\x1f{message_id}", target.channel)
                return await self._post(target, alert_payload(alert), nonce=again)
            raise delivery_error(exc, where) from exc
        except Exception as exc:
            raise delivery_error(exc, where) from exc
        return message_id

    async def _post(self, target: Target, payload: Mapping[str, Any], nonce: str | None = None) -> str:
        send = _Send.of(payload)
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
            channel = await self._messageable(target)
            # discord.py puts a nonce with enforce_nonce on every post (random unless given).
            extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
            message = await channel.send(
                content=send.content, embeds=send.embeds, allowed_mentions=none, **extra
            )
            return str(message.id)
        except Exception as exc:
            raise delivery_error(exc, where) from exc

    async def _messageable(self, target: Target) -> discord.PartialMessageable | discord.DMChannel:
        client = self.client
        if client is None or client.is_closed():
            raise DeliveryError("the Discord client is not connected")
        channel = target.channel
        if channel.startswith(DM_PREFIX):
            user_id = _snowflake(channel[len(DM_PREFIX) :], channel)
            return await client.create_dm(discord.Object(id=user_id))
        return client.get_partial_messageable(_snowflake(channel, channel))

    # -- commands ----------------------------------------------------------------------

    async def reply(self, interaction: discord.Interaction[Any], answer: Reply | Digest) -> None:
        """Answer the caller only (ephemeral), whether or not the interaction was deferred."""
        payload = digest_payload(answer) if isinstance(answer, Digest) else text_payload(answer.text)
        send = _Send.of(payload)
        none = discord.AllowedMentions.none()
        if interaction.response.is_done():
            await interaction.followup.send(
                content=send.content or discord.utils.MISSING,
                embeds=send.embeds,
                ephemeral=True,
                allowed_mentions=none,
            )
        else:
            await interaction.response.send_message(
                content=send.content, embeds=send.embeds, ephemeral=True, allowed_mentions=none
            )


def _snowflake(text: str, where: str) -> int:
    if not text.isdigit():
        raise DeliveryError(
            f"'{where}' is not a Discord channel id: use the numeric id (Developer Mode -> "
            "right-click the channel -> Copy Channel ID), or dm:<user id>",
            channel_gone=True,
        )
    return int(text)


def _log_end(task: asyncio.Task[None]) -> None:
    """The gateway connection ended on its own (token revoked, intents refused)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("discord: the gateway connection ended: %r", exc)


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """Who asked, where: channel id and ``#name``, user id, and their DM target.

    An interaction that names no user (a malformed event) is refused in words.
    """
    channel = interaction.channel
    name = getattr(channel, "name", None)
    user = getattr(interaction.user, "id", None)
    if not isinstance(user, int):
        raise CommandError("Discord did not say who asked; please try again.")
    return Caller(
        platform="discord",
        channel=str(interaction.channel_id or ""),  # none: commands.py refuses to subscribe
        user=str(user),
        channel_name=f"#{name}" if name else (
            "this conversation" if isinstance(channel, discord.DMChannel) else None
        ),
        dm_channel=f"{DM_PREFIX}{user}",
        can_manage_channel=_manages_channel(interaction),
    )


def _manages_channel(interaction: discord.Interaction[Any]) -> bool:
    """May the caller change what this channel receives?

    In a server: Manage Channels (or Administrator) in the member's resolved permissions
    for this channel, as Discord sends them with the interaction. Outside a server: only
    the caller's own DM with the bot (context BOT_DM), never a group DM.
    """
    if interaction.guild_id is None:
        return bool(interaction.context.dm_channel)
    perms = interaction.permissions
    return bool(perms.manage_channels or perms.administrator)


def _text(value: Any) -> str | None:
    """An option as text: a malformed interaction can carry a number where text belongs."""
    return value if value is None or isinstance(value, str) else str(value)


def _add_commands(tree: app_commands.CommandTree[Any], adapter: DiscordAdapter) -> None:
    """``/brief``, ``/subscribe``, ``/unsubscribe``, ``/subscriptions``, ``/watchlist``,
    ``/feeds``, ``/watch add|remove``: each a thin call of :mod:`bot.commands.handlers`, answered to
    the caller alone."""
    commands = adapter.commands

    async def items(_: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{name} ({item_id})"[:100], value=item_id)
            for item_id, name in item_choices(commands.watchlist, current)
        ]

    async def answer(interaction: discord.Interaction[Any], call: Any) -> None:
        """``call``: the command's coroutine, or a function making it (so that reading the
        caller happens inside, and a malformed caller is answered like any refusal)."""
        try:
            result = await (call() if callable(call) else call)
        except CommandError as exc:
            result = Reply(str(exc), ok=False)
        await adapter.reply(interaction, result)

    @tree.command(name="brief", description="Recent alerts with their key quotes")
    @app_commands.describe(item="Watch item (all if empty)", since="How far back: 6h, 48h, 7d")
    @app_commands.autocomplete(item=items)
    async def brief(
        interaction: discord.Interaction[Any], item: str | None = None, since: str | None = None
    ) -> None:
        # Reading and ranking many alerts can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await answer(interaction, commands.brief(_text(item), _text(since)))

    @tree.command(name="subscribe", description="Post alerts for a watch item in this channel")
    @app_commands.describe(item="Watch item id, or all", dm="To your direct messages instead")
    @app_commands.autocomplete(item=items)
    async def subscribe(interaction: discord.Interaction[Any], item: str, dm: bool = False) -> None:
        await answer(
            interaction,
            lambda: commands.subscribe(caller_of(interaction), _text(item) or "", bool(dm)),
        )

    @tree.command(name="unsubscribe", description="Stop alerts for a watch item (all if empty)")
    @app_commands.describe(item="Watch item id (every one if empty)", dm="Your direct messages")
    @app_commands.autocomplete(item=items)
    async def unsubscribe(
        interaction: discord.Interaction[Any], item: str | None = None, dm: bool = False
    ) -> None:
        await answer(
            interaction,
            lambda: commands.unsubscribe(caller_of(interaction), _text(item), bool(dm)),
        )

    @tree.command(name="subscriptions", description="What this channel and your DMs receive")
    async def subscriptions(interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, lambda: commands.subscriptions(caller_of(interaction)))

    @tree.command(name="watchlist", description="What can be watched")
    async def watchlist(interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, commands.watchlist_overview())

    @tree.command(name="feeds", description="Feed health: which feeds answer, which are down")
    async def feeds(interaction: discord.Interaction[Any]) -> None:
        await answer(interaction, commands.feeds())

    watch = app_commands.Group(name="watch", description="Change the watchlist (admins only)")

    @watch.command(name="add", description="Watch a new entity (admins only)")
    @app_commands.rename(item="id")
    @app_commands.describe(
        item="Short id channels subscribe to, e.g. choe-son-hui",
        name="The name alerts show",
        aliases='Comma-separated; "fr:Choe Son-hui" for one language (default: the name)',
    )
    async def watch_add(
        interaction: discord.Interaction[Any], item: str, name: str, aliases: str | None = None
    ) -> None:
        from bot.settings.watchrequest import AddRequest, parse_aliases

        # Writing the file and announcing it may take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def add() -> Reply:
            request = AddRequest(
                (_text(item) or "").strip(), (_text(name) or "").strip(),
                parse_aliases(_text(aliases) or ""),
            )
            return await commands.watch_add(caller_of(interaction), request)

        await answer(interaction, add())

    @watch.command(name="remove", description="Stop watching an item (admins only)")
    @app_commands.rename(item="id")
    @app_commands.describe(item="The watch item's id")
    @app_commands.autocomplete(item=items)
    async def watch_remove(interaction: discord.Interaction[Any], item: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await answer(
            interaction, lambda: commands.watch_remove(caller_of(interaction), _text(item) or "")
        )

    tree.add_command(watch)

    @tree.error
    async def on_error(
        interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        name = getattr(interaction.command, "name", None) or _command_name(interaction)
        if isinstance(error, app_commands.CommandInvokeError):
            # Our own code raised: a bug worth its traceback.
            log.error("discord: /%s failed", name, exc_info=error)
            answer = Reply("Something went wrong; the admins can see the log.", ok=False)
        else:
            # discord.py could not match the interaction to a command as this bot
            # registered it (unknown name, stale signature, an option of the wrong type):
            # the user is told, the log gets one line.
            log.warning("discord: /%s could not be run: %s", name, _one_line(error))
            answer = Reply(f"/{name} could not be run as sent; try /watchlist.", ok=False)
        with contextlib.suppress(discord.HTTPException):
            await adapter.reply(interaction, answer)
