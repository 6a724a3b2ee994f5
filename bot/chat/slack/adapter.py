"""Slack: alerts as Block Kit, slash commands through slack-bolt, on the bot's own event loop.

Three ways to connect, chosen by which secrets the environment holds:

- **Socket Mode** (``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN``): the bot dials out over a
  websocket; no public URL needed, so it is the default for self-hosting.
- **HTTP mode** (``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``): Slack calls the bot's
  aiohttp server; bolt rejects requests whose signature or timestamp is wrong (401).
- **Webhook mode** (only ``SLACK_WEBHOOK_URL``): post-only, into the webhook's channel.

A bot token alone posts alerts but receives no commands. Connecting in each mode is
:mod:`bot.chat.slack.connection`; this module posts, edits and finds posts.

Retries belong to the outbox (:mod:`bot.delivery.worker`): the Web API client is built
without slack_sdk's retry handlers, so a 429 comes back to the worker as
``DeliveryError(retry_after=...)`` instead of being slept through inside a post.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.base import ChatAdapter, DeliveryError, ThreadReply
from bot.chat.inflight import DRAIN_TIMEOUT, InFlight
from bot.chat.links import message_link
from bot.chat.slack.blocks import digest_payload, followup_payload, notice_payload
from bot.chat.slack.commands import DEFAULT_API_URL, SlashCommands
from bot.chat.slack.connection import Connection
from bot.chat.slack.errors import (
    SlackConfigError,
    api_error,
    delivery_error,
    error_code,
    slack_config_error,
)
from bot.chat.slack.feedback import alert_message
from bot.chat.slack.history import find_in_history, find_in_thread
from bot.commands.dispatch import Commands
from bot.models import Alert, Digest, FollowUp, Target

if TYPE_CHECKING:
    from bot.settings.sections import SlackConfig

__all__ = ["SlackAdapter"]

log = logging.getLogger(__name__)


class SlackAdapter(ChatAdapter):
    """Posts to Slack and answers slash commands; see the module docstring for the modes."""

    platform = "slack"

    def __init__(
        self,
        commands: Commands,
        *,
        bot_token: str | None = None,
        app_token: str | None = None,
        signing_secret: str | None = None,
        webhook_url: str | None = None,
        api_url: str = DEFAULT_API_URL,
        http_port: int = 3000,
        http_path: str = "/slack/events",
        http_host: str = "0.0.0.0",
        drain_timeout: float = DRAIN_TIMEOUT,
    ) -> None:
        problem = slack_config_error(
            {
                "SLACK_BOT_TOKEN": bot_token or "",
                "SLACK_APP_TOKEN": app_token or "",
                "SLACK_SIGNING_SECRET": signing_secret or "",
                "SLACK_WEBHOOK_URL": webhook_url or "",
            }
        )
        if problem:
            raise SlackConfigError(problem)
        self.commands = commands
        self.api_url = api_url
        if not bot_token:
            self.mode = "webhook"
        elif app_token:
            self.mode = "socket"
        elif signing_secret:
            self.mode = "http"
        else:
            self.mode = "post"
        self.answering = InFlight("Slack")
        """Commands being answered: ``stop()`` lets them finish before it disconnects."""
        self.drain_timeout = drain_timeout
        self.client: AsyncWebClient | None = None
        self.app: AsyncApp | None = None
        if bot_token:
            base = api_url if api_url.endswith("/") else api_url + "/"
            # retry_handlers=[]: the outbox decides when to try again, see the module doc.
            self.client = AsyncWebClient(token=bot_token, base_url=base, retry_handlers=[])
            if self.mode in ("socket", "http"):
                receiver = SlashCommands(commands, self.client, api_url, self.answering)
                receiver.links = self.message_link
                self.app = receiver.build_app(signing_secret if self.mode == "http" else None)
                receiver.feedback.edit = self.update_alert
        self.connection = Connection(
            self.mode, self.client, self.app,
            app_token=app_token, webhook_url=webhook_url, signing_secret=signing_secret or "",
            http_host=http_host, http_port=http_port, http_path=http_path,
        )
        self._dm_channels: dict[str, str] = {}

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], settings: SlackConfig, commands: Commands
    ) -> SlackAdapter:
        """The adapter the environment asks for; a SlackConfigError says what is wrong."""
        if env.get("SLACK_BOT_TOKEN") and env.get("SLACK_WEBHOOK_URL"):
            log.info("Slack: SLACK_BOT_TOKEN is set, so SLACK_WEBHOOK_URL is not used")
        if env.get("SLACK_APP_TOKEN") and env.get("SLACK_SIGNING_SECRET"):
            log.info("Slack: Socket Mode (SLACK_APP_TOKEN); SLACK_SIGNING_SECRET is not used")
        return cls(
            commands,
            bot_token=env.get("SLACK_BOT_TOKEN") or None,
            app_token=env.get("SLACK_APP_TOKEN") or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            webhook_url=env.get("SLACK_WEBHOOK_URL") or None,
            api_url=env.get("NEWSBOT_SLACK_API_URL") or DEFAULT_API_URL,
            http_port=settings.http_port,
            http_path=settings.http_path,
            http_host=env.get("NEWSBOT_SLACK_HTTP_HOST") or "0.0.0.0",
        )

    # -- life cycle: see bot.chat.slack.connection ---------------------------------------

    async def start(self) -> None:
        """Connect in this adapter's mode; a refused token is a SlackConfigError."""
        await self.connection.start()

    @property
    def http_bound_port(self) -> int | None:
        """HTTP mode's port, as picked when ``slack.http_port`` was 0."""
        return self.connection.http_bound_port

    @property
    def connected(self) -> bool:
        """The way in (websocket, listener, webhook) is open."""
        return self.connection.connected

    async def stop(self) -> None:
        """Finish the answers to commands already acked (within ``drain_timeout``), then
        disconnect."""
        await self.answering.drain(self.drain_timeout)
        await self.connection.close()

    # -- posting ------------------------------------------------------------------------

    async def _post(self, target: Target, payload: dict[str, Any]) -> str | None:
        """chat.postMessage (or the webhook); Slack's refusals become DeliveryErrors."""
        channel = target.channel
        try:
            if self.connection.webhook is not None or self.mode == "webhook":
                return await self._post_webhook(channel, payload)
            assert self.client is not None
            response = await self.client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            raise api_error(exc, channel) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable posting to {channel}: {exc!r}") from exc
        ts = response.get("ts")
        return str(ts) if ts else None

    async def _post_webhook(self, channel: str, payload: dict[str, Any]) -> str | None:
        webhook = self.connection.webhook
        if webhook is None:
            raise DeliveryError("the Slack webhook is not started yet")
        body = {k: v for k, v in payload.items() if k != "metadata"}  # webhooks refuse it
        response = await webhook.send(**body)
        status = response.status_code
        if status == 429 or status >= 500:
            raise delivery_error(status, None, response.headers, "(webhook)")
        if status >= 300:
            reason = (response.body or "")[:100]
            raise DeliveryError(
                f"Slack refused the incoming webhook (HTTP {status} {reason}); "
                "check SLACK_WEBHOOK_URL, or create a new webhook if this one was removed",
                permanent=True,
            )
        return None

    def _alert_payload(self, alert: Alert) -> dict[str, Any]:
        """The alert's Block Kit, with the feedback buttons where clicks reach the bot."""
        return alert_message(alert, with_buttons=self.app is not None)

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        """Post the alert's Block Kit; the message id is its ``ts``."""
        return await self._post(target, self._alert_payload(alert))

    async def send_digest(
        self, target: Target, digest: Digest, key: str | None = None
    ) -> str | None:
        return await self._post(target, digest_payload(digest, key))

    async def find_posted(
        self, target: Target, key: str, since: datetime, alerts: Sequence[Alert] = ()
    ) -> str | None:
        """Look for our metadata naming ``key`` in the channel's history since ``since``.

        Needs the ``*:history`` scopes. Where the history cannot be read (a webhook, a
        missing scope) the answer is None and the alert is posted again: at least once.
        """
        if self.client is None or self.mode == "webhook":
            return None
        try:
            channel = await self._conversation_id(target.channel)
            return await find_in_history(self.client, channel, key, since)
        except SlackApiError as exc:
            error = api_error(exc, target.channel)
            if error.permanent:
                log.warning(
                    "cannot read the history of %s to check for a post made before a restart "
                    "(%s); posting it again. Add the channels:history, groups:history and "
                    "im:history scopes to avoid such repeats.",
                    target.channel, error_code(exc),
                )
                return None
            raise error from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable reading {target.channel}: {exc!r}") from exc

    async def send_notice(self, target: Target, text: str) -> str | None:
        return await self._post(target, notice_payload(text))

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        """chat.update in place; a webhook cannot edit, so it posts anew."""
        if self.client is None:
            return await self.send_alert(target, alert)
        try:
            channel = await self._conversation_id(target.channel)
            payload = {
                k: v for k, v in self._alert_payload(alert).items() if not k.startswith("unfurl")
            }
            response = await self.client.chat_update(channel=channel, ts=message_id, **payload)
        except SlackApiError as exc:
            raise api_error(exc, target.channel) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable updating {target.channel}: {exc!r}") from exc
        return str(response.get("ts") or message_id)

    async def send_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        """chat.postMessage with ``thread_ts`` = the alert's ts: a reply in its thread."""
        if self.client is None:
            return None  # a webhook cannot reply in a thread
        try:
            channel = await self._conversation_id(target.channel)
            response = await self.client.chat_postMessage(
                channel=channel, thread_ts=message_id, **followup_payload(followup)
            )
        except SlackApiError as exc:
            raise api_error(exc, target.channel) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable replying in {target.channel}: {exc!r}") from exc
        ts = response.get("ts")
        return ThreadReply(str(ts) if ts else None)

    async def find_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        since: datetime,
    ) -> ThreadReply | None:
        """Read the alert's thread (``conversations.replies``) for our reply to ``followup``."""
        if self.client is None:
            return None
        try:
            channel = await self._conversation_id(target.channel)
            found = await find_in_thread(self.client, channel, message_id, followup.key, since)
        except SlackApiError as exc:
            error = api_error(exc, target.channel)
            if error.permanent:
                log.warning(
                    "cannot read the thread of %s in %s to check for a reply made before a "
                    "restart (%s); posting it again", message_id, target.channel, error_code(exc),
                )
                return None
            raise error from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable reading {target.channel}: {exc!r}") from exc
        return ThreadReply(found) if found is not None else None

    def message_link(self, target: Target, external_id: str | None) -> str | None:
        """``https://<workspace>.slack.com/archives/<channel>/p<ts>`` (see :mod:`bot.chat.links`)."""
        channel = self._dm_channels.get(target.channel, target.channel)
        return message_link("slack", channel, external_id, workspace_url=self.connection.workspace_url)

    async def _conversation_id(self, channel: str) -> str:
        """chat.update needs the DM's channel id where a post to a user id opened it."""
        if not channel.startswith(("U", "W")):
            return channel
        if channel not in self._dm_channels:
            assert self.client is not None
            opened = await self.client.conversations_open(users=channel)
            self._dm_channels[channel] = str(opened["channel"]["id"])
        return self._dm_channels[channel]
