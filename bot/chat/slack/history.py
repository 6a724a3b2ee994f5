"""Finding a post of ours in a Slack channel's history, for a delivery cut off by a restart.

Every alert and digest carries Slack message metadata naming its alert id or batch key;
the history is read back (``conversations.history``, needs the ``*:history`` scopes) from
a little before the delivery was claimed. A reply in an alert's thread names its follow-up
the same way and is looked for in the thread (``conversations.replies``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.blocks import ALERT_EVENT, DIGEST_EVENT, FOLLOWUP_EVENT

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


async def find_in_history(
    client: AsyncWebClient, channel: str, key: str, since: datetime
) -> str | None:
    """The ``ts`` of a message in ``channel`` since ``since`` carrying ``key``, or None.

    Slack's errors (SlackApiError, network trouble) come through for the caller to word.
    """
    oldest = f"{since.timestamp() - HISTORY_SLACK_S:.6f}"
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        response = await client.conversations_history(
            channel=channel, oldest=oldest, include_all_metadata=True, limit=200,
            cursor=cursor,
        )
        for message in response.get("messages") or []:
            if _names(message, key):
                return str(message.get("ts"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    return None


async def find_in_thread(
    client: AsyncWebClient, channel: str, thread_ts: str, key: str, since: datetime
) -> str | None:
    """The ``ts`` of our reply carrying follow-up ``key`` in the thread of ``thread_ts``
    posted since ``since``, or None. Slack's errors come through for the caller to word."""
    oldest = f"{since.timestamp() - HISTORY_SLACK_S:.6f}"
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        response = await client.conversations_replies(
            channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True,
            limit=200, cursor=cursor,
        )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == FOLLOWUP_EVENT and payload.get("followup") == key:
                return str(message.get("ts"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    return None
