"""The gateway side of Discord: where discord.py connects, and the client that stays connected.

discord.py keeps its endpoints in two class attributes, ``discord.http.Route.BASE`` (REST)
and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; a plain client never asks the API
for its gateway. :class:`Endpoints` sets both while the adapter runs and puts the previous
values back on ``stop()``. They are process-wide: every discord.py client in the process
uses them, so one process talks to one Discord (which is all the bot needs).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.discord.commands import CommandTree, add_commands
from bot.chat.discord.feedback import Edit, on_component
from bot.chat.inflight import InFlight
from bot.commands.dispatch import Commands
from bot.settings.sections import DiscordConfig

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


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


def serves_guild(settings: DiscordConfig, guild_id: int | None) -> bool:
    """Whether commands from this server (None: a DM) are answered: every one when
    ``discord.guild_ids`` is empty, else only those servers (DMs included out)."""
    ids = settings.guild_ids
    return not ids or (guild_id is not None and guild_id in ids)


def guard_parser(client: discord.Client, event: str) -> None:
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


class GatewayClient(discord.Client):
    """The gateway client: syncs the command tree at login and signals readiness."""

    def __init__(
        self,
        settings: DiscordConfig,
        commands: Commands,
        answering: InFlight,
        edit: Edit | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.settings = settings
        self.commands = commands
        self.answering = answering
        self.edit = edit
        """Edits an alert's message (the adapter's ``update_alert``), for the counts."""
        self.ready = asyncio.Event()
        self.tree = CommandTree(self, answering, self.serves)
        add_commands(self.tree, commands)
        guard_parser(self, "INTERACTION_CREATE")

    def serves(self, guild_id: int | None) -> bool:
        return serves_guild(self.settings, guild_id)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A button under an alert (type 3): recorded and answered, in servers served."""
        if interaction.type is not discord.InteractionType.component:
            return  # commands go through the tree
        if not self.serves(interaction.guild_id):
            log.warning("discord: ignored a button click from server %s (not in "
                        "discord.guild_ids)", interaction.guild_id)
            return
        self.answering.track_current()
        await on_component(interaction, self.commands, self.edit)

    async def setup_hook(self) -> None:
        await self._sync_commands()

    async def on_ready(self) -> None:
        self.ready.set()
        for guild in list(self.guilds):
            await self._leave_if_stranger(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._leave_if_stranger(guild)

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

    async def _sync_commands(self) -> None:
        """Register the commands: in each configured server (instant), else globally
        (Discord may take a while to show new global commands)."""
        tree = self.tree
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
