"""Chat platforms. Each lives in its own module behind :class:`bot.chat.base.ChatAdapter`;
the platform SDKs are imported here and nowhere else in the bot.

:func:`build_adapters` picks the platforms the environment has credentials for, so the
same ``newsbot run`` serves the terminal alone, Slack, Discord or all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.chat.base import ChatAdapter

if TYPE_CHECKING:
    from bot.commands.dispatch import Commands
    from bot.settings.model import Settings

SLACK_ENV = ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")
"""Any of these means the operator wants Slack; an incomplete set is refused with a reason."""
DISCORD_ENV = ("DISCORD_BOT_TOKEN", "DISCORD_WEBHOOK_URL")


def build_adapters(
    settings: Settings, env: Mapping[str, str], commands: Commands, *, console: bool = True
) -> dict[str, ChatAdapter]:
    """One adapter per platform that is configured; the terminal unless turned off.

    An SDK is imported only when its platform is configured, so a terminal-only bot starts
    without loading slack_bolt or discord.py.
    """
    adapters: dict[str, ChatAdapter] = {}
    if console:
        from bot.chat.console import ConsoleAdapter

        adapters["console"] = ConsoleAdapter()
    if any(env.get(k) for k in SLACK_ENV):
        from bot.chat.slack.adapter import SlackAdapter

        adapters["slack"] = SlackAdapter.from_env(env, settings.slack, commands)
    if any(env.get(k) for k in DISCORD_ENV):
        from bot.chat.discord.adapter import DiscordAdapter

        adapters["discord"] = DiscordAdapter.from_env(env, settings.discord, commands)
    return adapters
