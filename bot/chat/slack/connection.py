"""How the bot connects to Slack: the token check, then Socket Mode, the HTTP listener or
the incoming webhook, and disconnecting again.

The adapter (:mod:`bot.chat.slack.adapter`) builds the Web API client and the bolt app and
posts through them; :class:`Connection` only opens and closes the way in.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.chat.slack.errors import AUTH_GONE, SlackConfigError, error_code
from bot.chat.slack.httpmode import bound_port, listen

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 20.0
"""Seconds ``start`` waits for Socket Mode before leaving it to connect in the background."""


class Connection:
    """Slack's side of ``start``/``stop`` in one of the adapter's modes (``socket``,
    ``http``, ``webhook``, ``post``)."""

    def __init__(
        self,
        mode: str,
        client: AsyncWebClient | None,
        app: AsyncApp | None,
        *,
        app_token: str | None,
        webhook_url: str | None,
        signing_secret: str,
        http_host: str,
        http_port: int,
        http_path: str,
    ) -> None:
        self.mode = mode
        self.client = client
        self.app = app
        self.app_token = app_token
        self.webhook_url = webhook_url
        self.http_host, self.http_port, self.http_path = http_host, http_port, http_path
        self.webhook: AsyncWebhookClient | None = None
        """The incoming webhook once started (webhook mode)."""
        self._signing_secret = signing_secret
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.workspace_url: str | None = None
        """``auth.test``'s ``url`` (``https://acme.slack.com/``): where message links point."""

    async def start(self) -> None:
        """Connect: check the token, then open Socket Mode or the HTTP listener.

        A rejected token stops the bot with a SlackConfigError; an unreachable Slack is
        logged and retried in the background (alerts wait in the outbox meanwhile).
        """
        if self.mode == "webhook":
            assert self.webhook_url is not None
            self.webhook = AsyncWebhookClient(self.webhook_url, retry_handlers=[])
            log.info("Slack: posting through an incoming webhook (no slash commands)")
            return
        await self._check_auth()
        if self.mode == "socket":
            # The SDK retries a failing connection forever: give it a while, then let it
            # carry on in the background rather than hold up the rest of the bot.
            self._connecting = asyncio.create_task(self._connect_socket())
            done, _ = await asyncio.wait({self._connecting}, timeout=CONNECT_TIMEOUT)
            if done:
                self._connecting.result()  # a refused app token stops the bot here
            else:
                log.warning("Slack Socket Mode is still connecting; commands work once it is up")
        elif self.mode == "http":
            await self._listen_http()
        else:
            log.warning(
                "Slack: posting only; slash commands are off. Set SLACK_APP_TOKEN (Socket Mode) "
                "or SLACK_SIGNING_SECRET (HTTP mode) to receive them."
            )

    async def _check_auth(self) -> None:
        """auth.test: raise if Slack refused the token; log if it could not be asked."""
        assert self.client is not None
        try:
            who = await self.client.auth_test()
        except SlackApiError as exc:
            error = error_code(exc)
            if error in AUTH_GONE:
                raise SlackConfigError(
                    f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token "
                    "(xoxb-...) from the app's OAuth & Permissions page."
                ) from exc
            log.warning("Slack: auth.test failed (%s); carrying on", error or exc.response.status_code)
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack is unreachable (%s); alerts wait in the outbox", exc)
        else:
            self.workspace_url = str(who.get("url") or "") or None
            log.info("Slack: connected as %s to %s (%s mode)", who.get("user"), who.get("team"), self.mode)

    async def _connect_socket(self) -> None:
        assert self.app is not None and self.client is not None and self.app_token
        handler = AsyncSocketModeHandler(self.app, app_token=self.app_token)
        self._socket = handler
        try:
            opened = await self.client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            error = error_code(exc)
            if error in AUTH_GONE:
                raise SlackConfigError(
                    f"Slack refused SLACK_APP_TOKEN ({error}): create an app-level token with "
                    "the connections:write scope (Basic Information > App-Level Tokens)."
                ) from exc
            log.warning("Slack: apps.connections.open failed (%s); retrying in the background", error)
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack Socket Mode unreachable (%s); retrying in the background", exc)
        else:
            handler.client.wss_uri = opened["url"]
        await handler.connect_async()
        log.info("Slack: Socket Mode connected; slash commands are live")

    async def _listen_http(self) -> None:
        assert self.app is not None
        try:
            runner = await listen(
                self.app, self.http_host, self.http_port, self.http_path, self._signing_secret
            )
        except OSError as exc:
            raise SlackConfigError(
                f"Slack HTTP mode cannot listen on {self.http_host}:{self.http_port} ({exc}); "
                "set slack.http_port in config/newsbot.yaml"
            ) from exc
        self._runner = runner
        self.http_port = int(runner.addresses[0][1])  # the port 0 picked
        log.info(
            "Slack: HTTP mode listening on %s:%d%s",
            self.http_host, self.http_bound_port or self.http_port, self.http_path,
        )

    @property
    def http_bound_port(self) -> int | None:
        """The port HTTP mode listens on (the one picked, when ``http_port`` was 0)."""
        return bound_port(self._runner)

    @property
    def connected(self) -> bool:
        """Socket Mode: the websocket is open; other modes: started and not stopped."""
        if self.mode == "socket":
            client = self._socket.client if self._socket is not None else None
            session = getattr(client, "current_session", None)
            return bool(client and not client.closed and session and not session.closed)
        if self.mode == "http":
            return self._runner is not None
        if self.mode == "webhook":
            return self.webhook is not None
        return self.client is not None

    async def close(self) -> None:
        """Disconnect: stop connecting, close Socket Mode, stop listening."""
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
