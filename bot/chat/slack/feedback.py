"""The feedback buttons under a Slack alert, and the clicks on them (``block_actions``).

Rendering is pure (Block Kit dicts); :class:`FeedbackActions` is the bolt listener. bolt has
already checked the request (the Socket Mode envelope came over the app token's socket; an
HTTP request's signature and timestamp were verified, else 401) before a click gets here.
Kept apart from :mod:`.blocks` so that other changes to the alert's blocks merge cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from bot.chat.slack.blocks import MAX_BLOCKS, Block, alert_payload, reply_text
from bot.commands.core import Caller
from bot.commands.dispatch import Commands
from bot.commands.feedback import REASONS, Click, ClickAnswer, button_id
from bot.models import Alert, Feedback, Target
from bot.text import clean_line

log = logging.getLogger(__name__)

FEEDBACK_BLOCK = "newsbot_feedback"
"""``block_id`` of the buttons under an alert."""

Edit = Callable[[Target, str, Alert], Awaitable[object]]


def tally_text(feedback: Feedback | None) -> str | None:
    """``👍 2 · not relevant 1``: what a channel said, or None before anyone said anything."""
    if feedback is None or not feedback.any:
        return None
    return f"👍 {feedback.useful} · not relevant {feedback.not_relevant}"


def _button(text: str, alert_id: str, action: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": button_id(alert_id, action),
        "value": action,
    }
    if style:
        button["style"] = style
    return button


def feedback_blocks(alert: Alert) -> list[Block]:
    """The counts (once there are any) and the three buttons."""
    blocks: list[Block] = []
    tally = tally_text(alert.feedback)
    if tally:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": tally,
                                                        "verbatim": True}]})
    blocks.append({
        "type": "actions",
        "block_id": FEEDBACK_BLOCK,
        "elements": [
            _button("👍 Useful", alert.id, "useful", "primary"),
            _button("Not relevant", alert.id, "nr"),
            _button("Mute this story here", alert.id, "mute"),
        ],
    })
    return blocks


def with_feedback(payload: dict[str, Any], alert: Alert) -> dict[str, Any]:
    """An alert's ``chat.postMessage``/``chat.update`` arguments with the buttons added."""
    extra = feedback_blocks(alert)
    blocks = list(payload.get("blocks") or [])[: MAX_BLOCKS - len(extra)]
    return {**payload, "blocks": blocks + extra}


def alert_message(alert: Alert, *, with_buttons: bool = True) -> dict[str, Any]:
    """The alert's ``chat.postMessage`` arguments as the adapter sends them and ``newsbot
    preview --slack`` prints them: the buttons too where clicks reach the bot (Socket Mode
    and HTTP mode; a webhook or a bot token alone posts none)."""
    payload = alert_payload(alert)
    return with_feedback(payload, alert) if with_buttons else payload


def reason_blocks(alert_id: str, text: str) -> list[Block]:
    """The private follow-up asking why an alert was not relevant."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": reply_text(text), "verbatim": True}},
        {
            "type": "actions",
            "block_id": "newsbot_reason",
            "elements": [_button(label, alert_id, action) for action, (_, label) in REASONS.items()],
        },
    ]


def _str(value: object, limit: int = 120) -> str:
    return value[:limit] if isinstance(value, str) else ""


def click_of(body: Mapping[str, Any], action: Mapping[str, Any], manages: bool) -> Click:
    """The click a ``block_actions`` payload describes (every field untrusted)."""
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    assert isinstance(user, dict) and isinstance(channel, dict) and isinstance(container, dict)
    channel_id = _str(channel.get("id")) or _str(container.get("channel_id"))
    name = _str(channel.get("name"))
    user_id = _str(user.get("id"))
    if channel_id.startswith("D") and user_id:
        # A direct message: the bot posted it to the user id (``/subscribe <item> dm``).
        channel_id = user_id
    caller = Caller(
        platform="slack",
        channel=channel_id,
        user=_str(user.get("id")),
        channel_name=f"#{name}" if name and name not in ("privategroup", "directmessage") else None,
        dm_channel=_str(user.get("id")) or None,
        can_manage_channel=manages,
    )
    ephemeral = bool(container.get("is_ephemeral"))
    return Click(caller, _str(action.get("action_id"), 200),
                 None if ephemeral else _str(container.get("message_ts")) or None)


class FeedbackActions:
    """The bolt listener for the feedback buttons; answers go to the clicker alone."""

    def __init__(
        self,
        commands: Commands,
        manages: Callable[[Mapping[str, Any]], Awaitable[bool]],
        valid_response_url: Callable[[object], bool],
    ) -> None:
        self.commands = commands
        self.manages = manages
        self.valid_response_url = valid_response_url
        self.edit: Edit | None = None
        """Edits the alert's message (the adapter's ``update_alert``); set by the adapter."""

    async def on_click(self, ack: Any, body: dict[str, Any], action: dict[str, Any],
                       respond: Any) -> None:
        """Ack at once, record, edit the alert with the new counts, answer privately."""
        await ack()
        try:
            await self._handle(body, action, respond)
        except Exception:
            log.exception("Slack: a feedback click failed")

    async def _handle(self, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        manages = False
        if isinstance(action, dict) and str(action.get("action_id", "")).endswith(":mute"):
            channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
            user = body.get("user") if isinstance(body.get("user"), dict) else {}
            assert isinstance(channel, dict) and isinstance(user, dict)
            manages = await self.manages({"channel_id": channel.get("id"), "user_id": user.get("id")})
        click = click_of(body, action if isinstance(action, dict) else {}, manages)
        answer = await self.commands.click(click)
        if answer is None:
            return
        if answer.alert is not None and answer.message_id and self.edit is not None:
            target = Target("slack", click.caller.channel)
            try:
                await self.edit(target, answer.message_id, answer.alert)
            except Exception as exc:  # the rating is stored; the next edit shows it
                log.warning("Slack: could not show the new counts on %s (%s)", target.channel, exc)
        await self._answer(body, respond, answer, reason_click=click.message_id is None)

    async def _answer(
        self, body: Mapping[str, Any], respond: Any, answer: ClickAnswer, reason_click: bool
    ) -> None:
        if answer.text is None:
            return
        if not self.valid_response_url(body.get("response_url")):
            log.warning("Slack: a click's response_url is not Slack's; not answering it")
            return
        payload: dict[str, Any] = {"text": reply_text(answer.text, answer.ok)}
        if answer.ask_reason:
            payload["blocks"] = reason_blocks(answer.ask_reason, answer.text)
        try:
            if reason_click:  # the question is answered: replace it with the thanks
                await respond(**payload, replace_original=True)
            else:
                await respond(**payload, response_type="ephemeral", replace_original=False)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("Slack: could not answer a click (%s)", clean_line(str(exc))[:100])
