"""The feedback buttons under a Discord alert, and the clicks on them (component interactions).

A click is INTERACTION_CREATE of type 3 (MESSAGE_COMPONENT) with the button's ``custom_id``;
discord.py hands it to ``on_interaction``, and :func:`on_component` answers it: "Useful"
edits the alert in the callback (type 7, UPDATE_MESSAGE) with the new counts; "Not relevant"
asks for a reason privately (type 4, ephemeral, with buttons) and edits the alert over REST;
a reason button replaces that question with thanks. The buttons are sent as a stopped
``discord.ui.View``: discord.py then keeps no per-message state for them, so the bot holds
nothing per alert however many it posts, and a click after a restart works the same.
Kept apart from :mod:`.render` so that other changes to the embed merge cleanly.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import discord

from bot.chat.discord.commands import caller_of, one_line
from bot.chat.discord.render import Send, alert_payload, cap
from bot.commands.core import CommandError
from bot.commands.dispatch import Commands
from bot.commands.feedback import REASONS, Click, button_id
from bot.models import Alert, Target

log = logging.getLogger(__name__)

LABEL_MAX = 80
Edit = Callable[[Target, str, Alert], Awaitable[object]]


def buttons(alert: Alert) -> list[dict[str, Any]]:
    """The action row as Discord's JSON, counts in the labels: exactly what discord.py
    sends for :func:`view_of` of it (``disabled`` included), so a preview shows the wire."""
    tally = alert.feedback
    useful = f"👍 Useful · {tally.useful}" if tally and tally.any else "👍 Useful"
    against = f"Not relevant · {tally.not_relevant}" if tally and tally.any else "Not relevant"
    row = [
        (useful, "useful", discord.ButtonStyle.success),
        (against, "nr", discord.ButtonStyle.secondary),
        ("Mute this story here", "mute", discord.ButtonStyle.secondary),
    ]
    return [{
        "type": 1,
        "components": [
            {"type": 2, "style": style.value, "disabled": False, "label": cap(label, LABEL_MAX),
             "custom_id": button_id(alert.id, action)}
            for label, action, style in row
        ],
    }]


def reason_buttons(alert_id: str) -> list[dict[str, Any]]:
    return [{
        "type": 1,
        "components": [
            {"type": 2, "style": discord.ButtonStyle.secondary.value, "label": label,
             "custom_id": button_id(alert_id, action)}
            for action, (_, label) in REASONS.items()
        ],
    }]


def view_of(rows: list[dict[str, Any]]) -> discord.ui.View:
    """A view that sends ``rows`` and is stopped, so discord.py stores nothing for it
    (clicks reach ``on_interaction``)."""
    view = discord.ui.View(timeout=None)
    for row in rows:
        for b in row["components"]:
            view.add_item(discord.ui.Button(
                style=discord.ButtonStyle(b["style"]), label=b["label"], custom_id=b["custom_id"]
            ))
    view.stop()
    return view


def alert_message(alert: Alert, *, with_buttons: bool = True) -> dict[str, Any]:
    """The alert as the adapter posts it and ``newsbot preview --discord`` prints it: the
    embed, and the buttons where clicks reach the bot (not in post-only mode). The
    adapter's ``nonce`` aside, derived from the alert and the channel."""
    payload = alert_payload(alert)
    return {**payload, "components": buttons(alert)} if with_buttons else payload


def message_view(message: Mapping[str, Any]) -> discord.ui.View | None:
    """The buttons of an :func:`alert_message` as discord.py sends them; None without."""
    rows = message.get("components")
    return view_of(rows) if rows else None


def _custom_id(interaction: discord.Interaction[Any]) -> str:
    data: Mapping[str, Any] = interaction.data if isinstance(interaction.data, dict) else {}
    value = data.get("custom_id")
    return value[:200] if isinstance(value, str) else ""


async def on_component(interaction: discord.Interaction[Any], commands: Commands,
                       edit: Edit | None) -> None:
    """Answer one button click; never raises (one log line for what goes wrong)."""
    try:
        await _answer(interaction, commands, edit)
    except Exception as exc:
        log.warning("discord: a button click could not be answered (%s)", one_line(exc))


async def _private(interaction: discord.Interaction[Any], text: str,
                   view: discord.ui.View | None = None) -> None:
    await interaction.response.send_message(
        content=cap(text, 2000), ephemeral=True, allowed_mentions=discord.AllowedMentions.none(),
        view=view if view is not None else discord.utils.MISSING,
    )


async def _answer(interaction: discord.Interaction[Any], commands: Commands,
                  edit: Edit | None) -> None:
    try:
        caller = caller_of(interaction)
    except CommandError as exc:
        log.warning("discord: dropped a button click naming no user")
        with contextlib.suppress(Exception):
            await _private(interaction, str(exc))
        return
    if interaction.guild_id is None and caller.dm_channel:
        # A direct message: the bot posted it to ``dm:<user id>``, not to the DM's id.
        caller = replace(caller, channel=caller.dm_channel)
    message = interaction.message
    ephemeral = bool(message is not None and message.flags.ephemeral)
    message_id = str(message.id) if message is not None and not ephemeral else None
    answer = await commands.click(Click(caller, _custom_id(interaction), message_id))
    if answer is None:
        return  # a flood: dropped (logged once a minute per person)
    if answer.ask_reason and answer.text:
        await _private(interaction, answer.text, view_of(reason_buttons(answer.ask_reason)))
        if answer.alert is not None and answer.message_id and edit is not None:
            await edit(Target("discord", caller.channel), answer.message_id, answer.alert)
        return
    if answer.alert is not None and message_id is not None:
        posted = alert_message(answer.alert)
        send = Send.of(posted)
        await interaction.response.edit_message(
            content=send.content, embeds=send.embeds, view=message_view(posted),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return
    if ephemeral and answer.ok and answer.text:  # a reason: the question becomes the thanks
        await interaction.response.edit_message(content=cap(answer.text, 2000), view=None)
        return
    if answer.text:
        await _private(interaction, answer.text)
