"""What went wrong talking to Discord, in words that say what to fix.

A failed post becomes a :class:`DeliveryError` that tells the outbox whether retrying can
help; a failed start becomes a :class:`ChatStartError` naming the setting to check.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import discord

from bot.chat.base import ChatStartError, DeliveryError

# Discord JSON error codes worth a sentence of their own.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
THREAD_ALREADY_CREATED = 160004


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


def thread_error(exc: BaseException, where: str) -> DeliveryError:
    """Like :func:`delivery_error`, for a thread of an alert: a thread the bot may not
    start or post in, or that was deleted, refuses follow-ups only, never the channel's
    alerts, so it never pauses the channel's subscriptions."""
    error = delivery_error(exc, where)
    if not error.channel_gone:
        return error
    hint = ""
    if isinstance(exc, discord.HTTPException) and exc.code in (MISSING_PERMISSIONS, MISSING_ACCESS):
        hint = "; give the bot Create Public Threads and Send Messages in Threads there"
    return DeliveryError(f"{error}{hint}", permanent=True)


def _retry_after(exc: discord.HTTPException) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        with contextlib.suppress(TypeError, ValueError):
            return max(0.0, float(headers.get(name, "")))
    return 60.0


def start_failure(
    finished: asyncio.Task[None] | None, ready_timeout: float, where: str
) -> ChatStartError:
    """Why the gateway did not get ready: ``finished`` is the client's task if it ended,
    None if ``ready_timeout`` ran out first; ``where`` names the endpoints tried."""
    if finished is None:
        return ChatStartError(
            f"Discord did not get ready within {ready_timeout:.0f}s ({where}); "
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
