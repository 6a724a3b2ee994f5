"""Slack's slash commands: the bolt app that receives them and the answer each one gets.

Every command is acked at once (Slack's 3-second limit), run through
:meth:`bot.commands.dispatch.Commands.run_text`, and answered to the caller alone at the
command's ``response_url``, which must be Slack's own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.inflight import InFlight
from bot.chat.slack.blocks import OPEN_ARTICLE_ACTION, digest_payload, reply_text
from bot.chat.slack.errors import error_code
from bot.chat.slack.feedback import FeedbackActions
from bot.commands.core import Caller, Reply
from bot.commands.dispatch import Commands
from bot.commands.search import LinkFor
from bot.commands.subscriptions import parse_subscribe_args
from bot.models import Digest

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
COMMANDS = (
    "brief", "subscribe", "unsubscribe", "subscriptions", "watchlist", "feeds", "watch",
    "mute", "unmute", "search",
)
CHANGES_CHANNEL = ("/subscribe", "/unsubscribe", "/mute", "/unmute")
"""Commands that change what a channel receives: the caller's right to is looked up."""

_SLACK_ID = re.compile(r"[A-Z0-9]{2,40}")
"""What Slack's channel and user ids look like (C0123ABCD, U0ALICE, D024BE7F8): anything
else in a command is not passed on to the Web API."""


class _SkipTokenWarning(logging.Filter):
    """bolt warns that the env's SLACK_BOT_TOKEN is unused when given a client: it is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


bolt_log = logging.getLogger(f"{__name__}.bolt")
bolt_log.addFilter(_SkipTokenWarning())


_SLACK_DOMAINS = ("slack.com", "slack-gov.com")


def slack_response_url(url: object, api_url: str = DEFAULT_API_URL) -> bool:
    """Whether a command's ``response_url`` is one Slack would send: https on Slack's own
    domains (``https://hooks.slack.com/commands/...``), or on the configured API's origin
    (a local fake, a relay the operator set up).

    The bot POSTs its answer there. The payload is signed or came over the app token's
    socket, but a leaked secret or a confused relay must not turn the bot into a client
    of the private network it runs in (a metadata service, an admin port on localhost).
    """
    if not isinstance(url, str):
        return False
    try:
        parts, api = urlsplit(url), urlsplit(api_url)
        port, api_port = parts.port, api.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    on_slack = any(host == d or host.endswith("." + d) for d in _SLACK_DOMAINS)
    if on_slack and parts.scheme == "https" and port in (None, 443):
        return True
    api_origin = (api.scheme, (api.hostname or "").lower(), api_port)
    return bool(host) and (parts.scheme, host, port) == api_origin


def _unescape(text: str) -> str:
    """Slack escapes ``&``, ``<``, ``>`` in what users type; an alias means the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def caller_from(command: Mapping[str, Any], can_manage_channel: bool = False) -> Caller:
    """Who typed a slash command, and where; a DM to a user id opens their direct messages.

    ``can_manage_channel``: what :meth:`SlashCommands.manages` found out (Slack's payload
    does not say)."""
    name = str(command.get("channel_name") or "")
    if name == "directmessage":
        label: str | None = "this conversation"
    elif name and name != "privategroup":
        label = f"#{name}"
    else:
        label = None
    user = str(command.get("user_id") or "")
    return Caller(
        platform="slack",
        channel=str(command.get("channel_id") or ""),
        user=user,
        channel_name=label,
        dm_channel=user or None,
        can_manage_channel=can_manage_channel,
    )


class SlashCommands:
    """Receives Slack's slash commands for one adapter and answers each to its caller."""

    def __init__(
        self, commands: Commands, client: AsyncWebClient, api_url: str, answering: InFlight
    ) -> None:
        self.commands = commands
        self.client = client
        self.api_url = api_url
        self.answering = answering
        self.links: LinkFor | None = None
        """Links to the workspace's messages (the adapter's), for ``/search``."""
        self.feedback = FeedbackActions(
            commands, self.manages, lambda url: slack_response_url(url, api_url)
        )
        """The buttons under alerts (its ``edit`` is set by the adapter)."""

    def build_app(self, signing_secret: str | None) -> AsyncApp:
        """The bolt app answering every command in :data:`COMMANDS`; with a signing
        secret it checks signatures (HTTP mode), without one it trusts the socket."""
        app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            # Socket Mode envelopes are not signed; HTTP requests must be.
            request_verification_enabled=bool(signing_secret),
            logger=bolt_log,
        )
        for name in COMMANDS:
            app.command(f"/{name}")(self.on_command)
        app.middleware(self.unreadable_actions)
        app.action(OPEN_ARTICLE_ACTION)(self.on_link_click)
        app.action(re.compile(r"^nb:fb:"))(self.on_feedback)
        # Any other action (an old app's button, a forged payload): acked, one log line,
        # instead of bolt's "unhandled request" warning and a 404.
        app.action(re.compile(r"(?s).*"))(self.on_unknown_action)
        return app

    async def unreadable_actions(self, body: Any, next: Any) -> BoltResponse | None:  # noqa: A002
        """A ``block_actions`` whose actions bolt cannot match (an ``action_id`` that is no
        text, no actions at all) is acked here with one log line: bolt's matcher would
        raise on it and log a traceback. Slack never sends one; a forger might."""
        if isinstance(body, dict) and body.get("type") == "block_actions":
            actions = body.get("actions")
            readable = isinstance(actions, list) and bool(actions) and all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str)
                and isinstance(a.get("block_id", ""), str)
                for a in actions
            )
            if not readable:
                log.warning("Slack: ignored a click whose actions cannot be read")
                return BoltResponse(status=200, body="")
        await next()
        return None

    async def on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                          respond: Any) -> None:
        self.answering.track_current()
        await self.feedback.on_click(ack, body, action, respond)

    async def on_unknown_action(self, ack: Any, action: dict[str, Any]) -> None:
        await ack()
        name = action.get("action_id") if isinstance(action, dict) else None
        log.warning("Slack: ignored a click on an unknown button %r", str(name)[:60])

    async def on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        """Ack at once (Slack's 3-second limit), then answer the caller alone.

        The answer goes to the command's ``response_url``; one that is not Slack's is
        never fetched (see :func:`slack_response_url`), and the command is not run.
        """
        self.answering.track_current()
        name = str(command.get("command", ""))[:40]
        if not slack_response_url(command.get("response_url"), self.api_url):
            await ack(text=reply_text("This request cannot be answered: it has no Slack response URL.", False))
            log.warning("Slack: ignored %r: its response_url is not Slack's", name)
            return
        await ack()
        try:
            text = _unescape(str(command.get("text") or ""))
            manages = (
                name in CHANGES_CHANNEL
                and not (name in ("/subscribe", "/unsubscribe") and parse_subscribe_args(text)[1])
                and await self.manages(command)
            )
            result = await self.commands.run_text(
                name, text, caller_from(command, manages), link=self.links
            )
        except Exception:
            log.exception("Slack command %s failed", name)
            result = Reply("Sorry, that failed on the bot's side; the admins can see why in its log.", ok=False)
        if isinstance(result, Digest):
            payload = digest_payload(result)
        else:
            payload = {"text": reply_text(result.text, result.ok)}
        try:
            response = await respond(response_type="ephemeral", **payload)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack: could not answer %s (%s)", name, exc)
            return
        status = getattr(response, "status_code", 200)
        if status >= 300:
            log.warning("Slack: the answer to %s was refused (HTTP %s)", name, status)

    async def manages(self, command: Mapping[str, Any]) -> bool:
        """May the person who typed ``command`` change what its channel receives?

        Slack has no cheap "channel manager" lookup for bots, so the rule is: a one-to-one
        DM is the caller's own, and a channel belongs to whoever created it
        (``conversations.info``'s ``creator``; needs channels:read, groups:read). The bot's
        configured admins may change any channel (decided in :mod:`bot.commands.subscriptions`).
        """
        channel, user = str(command.get("channel_id") or ""), str(command.get("user_id") or "")
        if not (_SLACK_ID.fullmatch(channel) and _SLACK_ID.fullmatch(user)):
            return False  # not an id Slack issues: nothing to ask Slack about, nobody's DM
        if command.get("channel_name") == "directmessage" or channel.startswith("D"):
            return True
        try:
            info = await self.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            log.warning(
                "Slack: cannot tell who created %s (%s); only admins may change its "
                "subscriptions. Add the channels:read and groups:read scopes.",
                channel, error_code(exc),
            )
            return False
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack: cannot tell who created %s (%s)", channel, exc)
            return False
        about = info.get("channel")
        return isinstance(about, dict) and about.get("creator") == user

    async def on_link_click(self, ack: Any) -> None:
        """The link button opens the article in the browser; Slack still expects an ack."""
        await ack()
