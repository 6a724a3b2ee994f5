"""A link to a message the bot posted, for people: ``/search`` answers and the web console.

Pure: what a link needs besides the stored delivery (platform, channel, message id) is
where the message lives, which each adapter knows once connected:

- **Slack**: ``https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>``.
  The workspace URL is ``auth.test``'s ``url``, asked once at start (the adapter does so
  anyway to check the token). ``chat.getPermalink`` would be exact too, but it is one Web
  API call per link (a search answer shows ten), it needs the platform up at the moment a
  page is drawn, and it gives nothing the documented URL form does not.
- **Discord**: ``https://discord.com/channels/<guild>/<channel>/<message>``. The guild id
  is not in the delivery: the gateway's guild data (the channel cache) says which server a
  channel is in, and a bot serving a single server (``discord.guild_ids``) knows it outright.

A value that does not look like the platform's id gives no link rather than a wrong one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SLACK_TS = re.compile(r"\d{9,12}\.\d{6}")
_SLACK_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,40}")
"""A conversation id: public (C), private (G) or a DM (D). A user id (U..., a DM target)
names no conversation a link could open."""
_SNOWFLAKE = re.compile(r"\d{15,21}")


def slack_workspace(url: object) -> str | None:
    """``auth.test``'s ``url`` as a link base (``https://acme.slack.com``), or None."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return None
    return f"https://{parts.netloc}"


def message_link(
    platform: str,
    channel: str,
    external_id: str | None,
    *,
    workspace_url: str | None = None,
    guild_id: str | int | None = None,
) -> str | None:
    """The link that opens a posted message, or None when it cannot be made.

    ``workspace_url``: Slack's (see :func:`slack_workspace`); ``guild_id``: the Discord
    server the channel is in.
    """
    if not external_id:
        return None
    if platform == "slack":
        base = slack_workspace(workspace_url)
        if base is None or not _SLACK_TS.fullmatch(external_id):
            return None
        if not _SLACK_CHANNEL.fullmatch(channel):
            return None
        return f"{base}/archives/{channel}/p{external_id.replace('.', '')}"
    if platform == "discord":
        guild = str(guild_id) if guild_id is not None else ""
        ids = (guild, channel, external_id)
        if not all(_SNOWFLAKE.fullmatch(i) for i in ids):
            return None
        return "https://discord.com/channels/{}/{}/{}".format(*ids)
    return None
