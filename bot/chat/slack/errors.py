"""What Slack's refusals mean, in words an admin can act on.

A failed Web API call becomes a :class:`DeliveryError` telling the outbox whether to retry;
SLACK_* variables that cannot work together are a :class:`SlackConfigError` at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.chat.base import DeliveryError

DEFAULT_RETRY_AFTER = 30.0
"""When Slack rate-limits without saying for how long (it normally sends Retry-After)."""

_CHANNEL_GONE = {"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"}
AUTH_GONE = {
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
    if error in AUTH_GONE:
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


def error_code(exc: SlackApiError) -> str | None:
    """Slack's ``error`` field (``channel_not_found``), when the body was JSON."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = data.get("error")
    return error if isinstance(error, str) else None


def api_error(exc: SlackApiError, channel: str) -> DeliveryError:
    response = exc.response
    return delivery_error(response.status_code, error_code(exc), response.headers, channel)


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
