"""Discord's application commands: registering ``/brief``, ``/subscribe``, ... and answering them.

Each command is a thin call of :class:`bot.commands.dispatch.Commands`, answered to the
caller alone (ephemeral). The tree only serves the servers in ``discord.guild_ids``, keeps
every answering task where ``stop()`` can wait for it, and turns an interaction it cannot
read into one log line and a refusal in words instead of a lost task.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.chat.discord.channels import DM_PREFIX, link_to
from bot.chat.discord.digest import digest_payload
from bot.chat.discord.render import Send, text_payload
from bot.chat.inflight import InFlight
from bot.commands.core import Caller, CommandError, Reply
from bot.commands.dispatch import Commands
from bot.commands.queries import item_choices
from bot.commands.search import LinkFor, build_query
from bot.commands.watch import add_request
from bot.models import Digest

log = logging.getLogger(__name__)

NOT_SERVED = (
    "Sorry, this bot only answers in the servers it was set up for. "
    "If you run it, add this server's id to discord.guild_ids in config/newsbot.yaml."
)


def one_line(error: BaseException) -> str:
    """An error for the log: one line, short."""
    return " ".join(str(error).split())[:200]


def command_name(interaction: discord.Interaction[Any]) -> str:
    """The command an interaction names, safe for the log (the payload may be hostile)."""
    data: Mapping[str, Any] = interaction.data if isinstance(interaction.data, dict) else {}
    return " ".join(str(data.get("name") or "?").split())[:40]


async def reply(interaction: discord.Interaction[Any], answer: Reply | Digest) -> None:
    """Answer the caller only (ephemeral), whether or not the interaction was deferred."""
    payload = digest_payload(answer) if isinstance(answer, Digest) else text_payload(answer.text)
    send = Send.of(payload)
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


class CommandTree(app_commands.CommandTree[Any]):
    """The command tree, minus one way to lose an exception.

    discord.py runs each interaction in a task of its own and hands only its own
    ``AppCommandError``s to the error handler; a payload it cannot read (an option
    without a name, a string where its type says integer) raises something else, which
    ends the task as "Task exception was never retrieved". Such an interaction is
    answered as not understood and logged in one line.
    """

    def __init__(
        self, client: discord.Client, answering: InFlight, serves: Callable[[int | None], bool]
    ) -> None:
        super().__init__(client)
        self.answering = answering
        """Where each answering task is kept, so that ``stop()`` can let it finish."""
        self.serves = serves
        """Whether commands from this server (None: a DM) are answered."""

    def _from_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py's own dispatch, with the answering task kept where ``stop()`` can
        wait for it (discord.py keeps no reference to it at all)."""

        async def answer() -> None:
            try:
                await self._call(interaction)
            except app_commands.AppCommandError as e:
                await self._dispatch_error(interaction, e)

        task = self.client.loop.create_task(answer(), name="CommandTree-invoker")
        self.answering.track(task)

    async def _call(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type is discord.InteractionType.autocomplete and not self._completes(
            interaction
        ):
            # discord.py would raise inside and log the traceback as an error.
            log.warning("discord: dropped an autocomplete for /%s naming no option it "
                        "completes", command_name(interaction))
            with contextlib.suppress(Exception):
                await interaction.response.autocomplete([])
            return
        try:
            await super()._call(interaction)
        except app_commands.AppCommandError:
            raise
        except Exception as exc:
            log.warning(
                "discord: dropped a malformed /%s interaction (%r)", command_name(interaction), exc
            )
            with contextlib.suppress(Exception):  # best effort: the payload is broken
                await reply(
                    interaction, Reply("That command arrived garbled; please try again.", ok=False)
                )

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Only the servers in ``discord.guild_ids`` are served; elsewhere a private refusal.

        discord.py runs this before any command or autocomplete; False ends the interaction.
        """
        if self.serves(interaction.guild_id):
            return True
        log.warning(
            "discord: refused /%s from %s (not in discord.guild_ids)",
            command_name(interaction),
            f"server {interaction.guild_id}" if interaction.guild_id else "a direct message",
        )
        with contextlib.suppress(Exception):
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await reply(interaction, Reply(NOT_SERVED, ok=False))
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
        channel=str(interaction.channel_id or ""),  # none: the commands refuse to subscribe
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


def links_of(interaction: discord.Interaction[Any]) -> LinkFor:
    """Links to this bot's messages, for ``/search``: the servers its client knows."""
    client = interaction.client
    settings = getattr(client, "settings", None)
    guild_ids = list(getattr(settings, "guild_ids", None) or ())
    return lambda target, message_id: link_to(client, guild_ids, target, message_id)


def _text(value: Any) -> str | None:
    """An option as text: a malformed interaction can carry a number where text belongs."""
    return value if value is None or isinstance(value, str) else str(value)


def add_commands(tree: app_commands.CommandTree[Any], commands: Commands) -> None:
    """``/brief``, ``/subscribe``, ``/unsubscribe``, ``/subscriptions``, ``/watchlist``,
    ``/feeds``, ``/mute``, ``/unmute``, ``/search``, ``/watch add|remove``: each a thin call of
    ``commands``, answered to the caller alone."""

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
        await reply(interaction, result)

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
    @app_commands.describe(
        item="Watch item id, or all", dm="To your direct messages instead",
        lang="Translate its alerts into this language (en, fr, de ...)",
    )
    @app_commands.autocomplete(item=items)
    async def subscribe(
        interaction: discord.Interaction[Any], item: str, dm: bool = False, lang: str | None = None
    ) -> None:
        await answer(
            interaction,
            lambda: commands.subscribe(
                caller_of(interaction), _text(item) or "", bool(dm), _text(lang)
            ),
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

    @tree.command(name="mute", description="No alerts for a watch item in this channel for a while")
    @app_commands.describe(item="Watch item id", span="How long: 2h, 24h (default), 3d")
    @app_commands.autocomplete(item=items)
    async def mute(
        interaction: discord.Interaction[Any], item: str, span: str | None = None
    ) -> None:
        await answer(
            interaction,
            lambda: commands.mute(caller_of(interaction), _text(item) or "", _text(span)),
        )

    @tree.command(name="unmute", description="Alerts for a muted watch item again")
    @app_commands.describe(item="Watch item id")
    @app_commands.autocomplete(item=items)
    async def unmute(interaction: discord.Interaction[Any], item: str) -> None:
        await answer(
            interaction, lambda: commands.unmute(caller_of(interaction), _text(item) or "")
        )

    @tree.command(name="search", description="Find alerts this bot sent, with links to them")
    @app_commands.describe(
        words="What to look for, e.g. artillery shells",
        item="Only alerts for this watch item",
        since="How far back: 7d, 48h, or a date like 2026-12-01",
    )
    @app_commands.autocomplete(item=items)
    async def search(
        interaction: discord.Interaction[Any],
        words: str,
        item: str | None = None,
        since: str | None = None,
    ) -> None:
        # Searching many alerts can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def find() -> Reply:
            query = build_query(_text(words) or "", commands.watchlist, _text(item), _text(since))
            return await commands.search(caller_of(interaction), query, links_of(interaction))

        await answer(interaction, find())

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
        # Writing the file and announcing it may take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)

        async def add() -> Reply:
            request = add_request(_text(item) or "", _text(name) or "", _text(aliases) or "")
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
        name = getattr(interaction.command, "name", None) or command_name(interaction)
        if isinstance(error, app_commands.CommandInvokeError):
            # Our own code raised: a bug worth its traceback.
            log.error("discord: /%s failed", name, exc_info=error)
            answer = Reply("Something went wrong; the admins can see the log.", ok=False)
        else:
            # discord.py could not match the interaction to a command as this bot
            # registered it (unknown name, stale signature, an option of the wrong type):
            # the user is told, the log gets one line.
            log.warning("discord: /%s could not be run: %s", name, one_line(error))
            answer = Reply(f"/{name} could not be run as sent; try /watchlist.", ok=False)
        with contextlib.suppress(discord.HTTPException):
            await reply(interaction, answer)
