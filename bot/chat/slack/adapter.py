"""Slack: alerts as Block Kit, slash commands through slack-bolt, on the bot's own event loop.

Three ways to connect, chosen by which secrets the environment holds:

- **Socket Mode** (``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN``): the bot dials out over a
  websocket; no public URL needed, so it is the default for self-hosting.
- **HTTP mode** (``SLACK_BOT_TOKEN`` + ``SLACK_SIGNING_SECRET``): Slack calls the bot's
  aiohttp server; bolt rejects requests whose signature or timestamp is wrong (401).
- **Webhook mode** (only ``SLACK_WEBHOOK_URL``): post-only, into the webhook's channel.

A bot token alone posts alerts but receives no commands. Retries belong to the outbox
(:mod:`bot.delivery.worker`): the Web API client is built without slack_sdk's retry handlers, so
a 429 comes back to the worker as ``DeliveryError(retry_after=...)`` instead of being slept
through inside a post.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.chat.base import ChatAdapter, DeliveryError
from bot.chat.inflight import DRAIN_TIMEOUT, InFlight
from bot.chat.slack.blocks import (
    ALERT_EVENT,
    DIGEST_EVENT,
    OPEN_ARTICLE_ACTION,
    alert_payload,
    digest_payload,
    notice_payload,
    reply_text,
)
from bot.commands.core import Caller, Reply
from bot.commands.dispatch import Commands
from bot.commands.subscriptions import parse_subscribe_args
from bot.models import Alert, Digest, Target

if TYPE_CHECKING:
    from bot.settings.model import SlackConfig

__all__ = [
    "SeenSignatures",
    "SlackAdapter",
    "alert_payload",
    "delivery_error",
    "signed_requests_only",
    "slack_config_error",
    "slack_response_url",
]

log = logging.getLogger(__name__)

_SLACK_ID = re.compile(r"[A-Z0-9]{2,40}")
"""What Slack's channel and user ids look like (C0123ABCD, U0ALICE, D024BE7F8): anything
else in a command is not passed on to the Web API."""

DEFAULT_API_URL = "https://slack.com/api/"
COMMANDS = ("brief", "subscribe", "unsubscribe", "subscriptions", "watchlist", "feeds", "watch")
CHANGES_CHANNEL = ("/subscribe", "/unsubscribe")
"""Commands that change what a channel receives: the caller's right to is looked up."""
CONNECT_TIMEOUT = 20.0
"""Seconds ``start`` waits for Socket Mode before leaving it to connect in the background."""
SIGNATURE_MAX_AGE = 300
"""Seconds a signed HTTP request stays valid, as Slack and bolt have it."""
DEFAULT_RETRY_AFTER = 30.0
"""When Slack rate-limits without saying for how long (it normally sends Retry-After)."""

_CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"}
_AUTH_GONE = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "team_access_not_granted",
}
_BAD_MESSAGE = {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_metadata_format"}


class _SkipTokenWarning(logging.Filter):
    """bolt warns that the env's SLACK_BOT_TOKEN is unused when given a client: it is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


bolt_log = logging.getLogger("bot.chat.slack.adapter.bolt")
bolt_log.addFilter(_SkipTokenWarning())


HISTORY_SLACK_S = 30.0
"""Look this much further back than the claim, for clocks that disagree a little."""
HISTORY_PAGES = 10
"""At most this many pages of 200 messages: a channel that busy is searched no further."""


def _names(message: Mapping[str, Any], key: str) -> bool:
    """Does a message from the history carry our metadata for ``key``?"""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") not in (ALERT_EVENT, DIGEST_EVENT):
        return False
    payload = metadata.get("event_payload") or {}
    return key in (payload.get("alert_id"), payload.get("batch"))


def _signed(raw: bytes, timestamp: str | None, signature: str | None, secret: str) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes of its timestamp.

    Computed here rather than with slack_sdk's ``SignatureVerifier``, which decodes the
    body as UTF-8 first and so cannot tell a forged request from a signed one that is not
    text.
    """
    if not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    return hmac.compare_digest(f"v0={mac.hexdigest()}".encode(), signature.encode(errors="replace"))


SEEN_SIGNATURES_MAX = 10_000
"""Signed requests remembered at most (Slack sends far fewer in five minutes); past this
the one closest to going stale anyway is forgotten first."""


class SeenSignatures:
    """The signed requests already answered, for as long as their signature is valid.

    A signature covers its timestamp, so a captured request can be sent again unchanged
    for five minutes; remembering (timestamp, signature) until the timestamp goes stale
    refuses the repeat. Memory is bounded: stale entries are pruned on every request, and
    at most ``limit`` are kept.
    """

    def __init__(
        self,
        max_age: float = SIGNATURE_MAX_AGE,
        limit: int = SEEN_SIGNATURES_MAX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_age, self.limit, self._clock = max_age, limit, clock
        self._seen: set[tuple[str, str]] = set()
        self._expiry: list[tuple[float, tuple[str, str]]] = []  # a heap, soonest first

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, timestamp: str, signature: str) -> bool:
        """Remember this request; False if it was seen before (a replay)."""
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            self._seen.discard(heapq.heappop(self._expiry)[1])
        key = (timestamp, signature)
        if key in self._seen:
            return False
        while len(self._seen) >= self.limit:
            self._seen.discard(heapq.heappop(self._expiry)[1])
        self._seen.add(key)
        heapq.heappush(self._expiry, (int(timestamp) + self.max_age, key))
        return True


def signed_requests_only(signing_secret: str, seen: SeenSignatures | None = None) -> Any:
    """aiohttp middleware for HTTP mode: a request must be signed and readable before
    slack-bolt parses it.

    bolt decodes and parses the body (``{...}`` as JSON, form fields, the charset the
    request names) before it checks the signature, and raises on what it cannot read: any
    stranger who reaches the port could fill the log with tracebacks and get 500s. Here an
    unsigned or stale request gets 401 unread, so does a replay of a signed one (``seen``),
    and a signed body that is not text in a known charset, or that bolt cannot parse, gets
    400 and one line in the log.
    """
    seen = seen if seen is not None else SeenSignatures()

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        raw = await request.read()  # cached: bolt reads the same bytes
        headers = request.headers
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        if not _signed(raw, timestamp, signature, signing_secret):
            return web.Response(status=401, text="invalid request")
        assert timestamp is not None and signature is not None  # _signed checked both
        if not seen.first_time(timestamp, signature):
            log.warning("Slack HTTP: refused a replayed request (its signature was already used)")
            return web.Response(status=401, text="invalid request")
        try:
            raw.decode(request.charset or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            log.warning("Slack HTTP: refused a signed request whose body is not text (%s)", exc)
            return web.Response(status=400, text="the body is not text")
        try:
            return await handler(request)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("Slack HTTP: refused a signed request bolt cannot parse (%r)", exc)
            return web.Response(status=400, text="malformed request")

    return guard


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


class SlackConfigError(ValueError):
    """Slack cannot be used as configured; the message tells the operator what to change."""


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER


def delivery_error(
    status: int, error: str | None, headers: Mapping[str, Any] | None, channel: str
) -> DeliveryError:
    """What the outbox should do about a failed Slack call, in words an admin can act on."""
    code = error or f"HTTP {status}"
    if status == 429 or error == "ratelimited":
        wait = _retry_after(headers)
        return DeliveryError(f"Slack rate limit ({code}), retrying after {wait:g}s", retry_after=wait)
    if error in _CHANNEL_GONE:
        hint = {
            "not_in_channel": "invite the bot to the channel (/invite @newsbot)",
            "channel_not_found": "check the channel id, or invite the bot if the channel is private",
        }.get(error, "unarchive the channel or route the alerts elsewhere")
        return DeliveryError(f"Slack channel {channel}: {code}; {hint}", channel_gone=True)
    if error in _AUTH_GONE:
        return DeliveryError(
            f"Slack refused the bot token ({code}) posting to {channel}; "
            "check SLACK_BOT_TOKEN and the app's scopes, reinstall the app if it was revoked",
            permanent=True,
        )
    if error in _BAD_MESSAGE:
        return DeliveryError(f"Slack refused the message for {channel} ({code})", permanent=True)
    # 5xx, network trouble, internal_error, or an error we do not know: retried with
    # backoff, then failed and reported to the admin channel.
    return DeliveryError(f"Slack error posting to {channel} ({code})")


def _error_code(exc: SlackApiError) -> str | None:
    """Slack's ``error`` field (``channel_not_found``), when the body was JSON."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = data.get("error")
    return error if isinstance(error, str) else None


def _api_error(exc: SlackApiError, channel: str) -> DeliveryError:
    response = exc.response
    return delivery_error(response.status_code, _error_code(exc), response.headers, channel)


def _token_kind(value: str) -> str:
    """The token's prefix (``xoxb``), never the secret itself, for error messages."""
    return value.split("-", 1)[0] if "-" in value else "an unknown format"


def slack_config_error(env: Mapping[str, str]) -> str | None:
    """Why these SLACK_* variables cannot work together, or None when they can."""
    bot, app = env.get("SLACK_BOT_TOKEN", ""), env.get("SLACK_APP_TOKEN", "")
    secret, hook = env.get("SLACK_SIGNING_SECRET", ""), env.get("SLACK_WEBHOOK_URL", "")
    if app and not bot:
        return (
            "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both the "
            "bot token (xoxb-...) and the app-level token (xapp-...)."
        )
    if secret and not bot:
        return (
            "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not: HTTP mode needs the bot "
            "token (xoxb-...) to answer and post."
        )
    if bot and not bot.startswith(("xoxb-", "xoxp-")):
        return (
            f"SLACK_BOT_TOKEN should be a bot token starting with xoxb-, "
            f"but it starts with {_token_kind(bot)}."
        )
    if app and not app.startswith("xapp-"):
        return (
            f"SLACK_APP_TOKEN should be an app-level token starting with xapp-, "
            f"but it starts with {_token_kind(app)}."
        )
    if hook and not hook.startswith(("https://", "http://")):
        return "SLACK_WEBHOOK_URL should be the https:// URL Slack gave for the incoming webhook."
    if not (bot or hook):
        return "Slack needs SLACK_BOT_TOKEN (with SLACK_APP_TOKEN for Socket Mode) or SLACK_WEBHOOK_URL."
    return None


def _unescape(text: str) -> str:
    """Slack escapes ``&``, ``<``, ``>`` in what users type; an alias means the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def caller_from(command: Mapping[str, Any], can_manage_channel: bool = False) -> Caller:
    """Who typed a slash command, and where; a DM to a user id opens their direct messages.

    ``can_manage_channel``: what :meth:`SlackAdapter._manages` found out (Slack's payload
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
        self.app_token = app_token
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.http_host, self.http_port, self.http_path = http_host, http_port, http_path
        if not bot_token:
            self.mode = "webhook"
        elif app_token:
            self.mode = "socket"
        elif signing_secret:
            self.mode = "http"
        else:
            self.mode = "post"
        self.client: AsyncWebClient | None = None
        self.app: AsyncApp | None = None
        if bot_token:
            base = api_url if api_url.endswith("/") else api_url + "/"
            # retry_handlers=[]: the outbox decides when to try again, see the module doc.
            self.client = AsyncWebClient(token=bot_token, base_url=base, retry_handlers=[])
            if self.mode in ("socket", "http"):
                self.app = self._build_app(signing_secret if self.mode == "http" else None)
        self._webhook: AsyncWebhookClient | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._dm_channels: dict[str, str] = {}
        self._signing_secret = signing_secret or ""
        self.answering = InFlight("Slack")
        """Commands being answered: ``stop()`` lets them finish before it disconnects."""
        self.drain_timeout = drain_timeout

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

    # -- receiving commands -------------------------------------------------------------

    def _build_app(self, signing_secret: str | None) -> AsyncApp:
        app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            # Socket Mode envelopes are not signed; HTTP requests must be.
            request_verification_enabled=bool(signing_secret),
            logger=bolt_log,
        )
        for name in COMMANDS:
            app.command(f"/{name}")(self._on_command)
        app.action(OPEN_ARTICLE_ACTION)(self._on_link_click)
        return app

    async def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
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
                and not parse_subscribe_args(text)[1]  # their own DMs: nothing to ask
                and await self._manages(command)
            )
            result = await self.commands.run_text(name, text, caller_from(command, manages))
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

    async def _manages(self, command: Mapping[str, Any]) -> bool:
        """May the person who typed ``command`` change what its channel receives?

        Slack has no cheap "channel manager" lookup for bots, so the rule is: a one-to-one
        DM is the caller's own, and a channel belongs to whoever created it
        (``conversations.info``'s ``creator``; needs channels:read, groups:read). The bot's
        configured admins may change any channel (decided in :mod:`bot.commands.subscriptions`).
        """
        channel, user = str(command.get("channel_id") or ""), str(command.get("user_id") or "")
        if not (_SLACK_ID.fullmatch(channel) and _SLACK_ID.fullmatch(user)) or self.client is None:
            return False  # not an id Slack issues: nothing to ask Slack about, nobody's DM
        if command.get("channel_name") == "directmessage" or channel.startswith("D"):
            return True
        try:
            info = await self.client.conversations_info(channel=channel)
        except SlackApiError as exc:
            log.warning(
                "Slack: cannot tell who created %s (%s); only admins may change its "
                "subscriptions. Add the channels:read and groups:read scopes.",
                channel, _error_code(exc),
            )
            return False
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack: cannot tell who created %s (%s)", channel, exc)
            return False
        about = info.get("channel")
        return isinstance(about, dict) and about.get("creator") == user

    async def _on_link_click(self, ack: Any) -> None:
        """The link button opens the article in the browser; Slack still expects an ack."""
        await ack()

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect: check the token, then open Socket Mode or the HTTP listener.

        A rejected token stops the bot with a SlackConfigError; an unreachable Slack is
        logged and retried in the background (alerts wait in the outbox meanwhile).
        """
        if self.mode == "webhook":
            assert self.webhook_url is not None
            self._webhook = AsyncWebhookClient(self.webhook_url, retry_handlers=[])
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
            error = _error_code(exc)
            if error in _AUTH_GONE:
                raise SlackConfigError(
                    f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token "
                    "(xoxb-...) from the app's OAuth & Permissions page."
                ) from exc
            log.warning("Slack: auth.test failed (%s); carrying on", error or exc.response.status_code)
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack is unreachable (%s); alerts wait in the outbox", exc)
        else:
            log.info("Slack: connected as %s to %s (%s mode)", who.get("user"), who.get("team"), self.mode)

    async def _connect_socket(self) -> None:
        assert self.app is not None and self.client is not None and self.app_token
        handler = AsyncSocketModeHandler(self.app, app_token=self.app_token)
        self._socket = handler
        try:
            opened = await self.client.apps_connections_open(app_token=self.app_token)
        except SlackApiError as exc:
            error = _error_code(exc)
            if error in _AUTH_GONE:
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
        web_app = self.app.web_app(path=self.http_path, port=self.http_port)
        web_app.middlewares.append(signed_requests_only(self._signing_secret))
        runner = web.AppRunner(web_app)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.http_host, self.http_port).start()
        except OSError as exc:
            await runner.cleanup()
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
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                return int(address[1])
        return None

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
            return self._webhook is not None
        return self.client is not None

    async def stop(self) -> None:
        """Finish the answers to commands already acked (within ``drain_timeout``), then
        disconnect."""
        await self.answering.drain(self.drain_timeout)
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- posting ------------------------------------------------------------------------

    async def _post(self, target: Target, payload: dict[str, Any]) -> str | None:
        """chat.postMessage (or the webhook); Slack's refusals become DeliveryErrors."""
        channel = target.channel
        try:
            if self._webhook is not None or self.mode == "webhook":
                return await self._post_webhook(channel, payload)
            assert self.client is not None
            response = await self.client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            raise _api_error(exc, channel) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable posting to {channel}: {exc!r}") from exc
        ts = response.get("ts")
        return str(ts) if ts else None

    async def _post_webhook(self, channel: str, payload: dict[str, Any]) -> str | None:
        if self._webhook is None:
            raise DeliveryError("the Slack webhook is not started yet")
        body = {k: v for k, v in payload.items() if k != "metadata"}  # webhooks refuse it
        response = await self._webhook.send(**body)
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

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        """Post the alert's Block Kit; the message id is its ``ts``."""
        return await self._post(target, alert_payload(alert))

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
        oldest = f"{since.timestamp() - HISTORY_SLACK_S:.6f}"
        cursor: str | None = None
        try:
            channel = await self._conversation_id(target.channel)
            for _ in range(HISTORY_PAGES):
                response = await self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200,
                    cursor=cursor,
                )
                for message in response.get("messages") or []:
                    if _names(message, key):
                        return str(message.get("ts"))
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return None
        except SlackApiError as exc:
            error = _api_error(exc, target.channel)
            if error.permanent:
                log.warning(
                    "cannot read the history of %s to check for a post made before a restart "
                    "(%s); posting it again. Add the channels:history, groups:history and "
                    "im:history scopes to avoid such repeats.",
                    target.channel, _error_code(exc),
                )
                return None
            raise error from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable reading {target.channel}: {exc!r}") from exc
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        return await self._post(target, notice_payload(text))

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        """chat.update in place; a webhook cannot edit, so it posts anew."""
        if self.client is None:
            return await self.send_alert(target, alert)
        try:
            channel = await self._conversation_id(target.channel)
            payload = {k: v for k, v in alert_payload(alert).items() if not k.startswith("unfurl")}
            response = await self.client.chat_update(channel=channel, ts=message_id, **payload)
        except SlackApiError as exc:
            raise _api_error(exc, target.channel) from exc
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Slack unreachable updating {target.channel}: {exc!r}") from exc
        return str(response.get("ts") or message_id)

    async def _conversation_id(self, channel: str) -> str:
        """chat.update needs the DM's channel id where a post to a user id opened it."""
        if not channel.startswith(("U", "W")):
            return channel
        if channel not in self._dm_channels:
            assert self.client is not None
            opened = await self.client.conversations_open(users=channel)
            self._dm_channels[channel] = str(opened["channel"]["id"])
        return self._dm_channels[channel]
