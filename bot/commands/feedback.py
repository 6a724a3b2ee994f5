"""The buttons under every alert (Useful · Not relevant · Mute this story here), ``/mute``
and ``/unmute``, and the weekly note of what the team found not relevant.

Platform-neutral: an adapter reads the button's id and who clicked where, and renders what
:class:`FeedbackCommands` answers. A button id is ``nb:fb:v1:<alert id>:<action>``; anything
else is forged or from another app and is refused. A click counts only on the alert as
the bot posted it in that channel (the delivery row names the message), so an id copied
into another channel, or naming an alert never sent there or since deleted, changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.commands.core import Caller, CommandError, Reply, item_label, parse_span, resolve_item
from bot.commands.queries import parse_brief_args
from bot.commands.subscriptions import may_change
from bot.models import Alert, Target
from bot.nlp.watchlist import Watchlist
from bot.store.db import utcnow
from bot.store.feedback import FeedbackRepository, Posted, Rating
from bot.text import clean_line, plural

log = logging.getLogger(__name__)

PREFIX = "nb:fb:v1:"
ACTIONS = ("useful", "nr", "mute", "nr-entity", "nr-topic", "nr-duplicate", "nr-other")
REASONS = {
    "nr-entity": ("entity", "Wrong entity"),
    "nr-topic": ("topic", "Off topic"),
    "nr-duplicate": ("duplicate", "Duplicate"),
    "nr-other": ("other", "Other"),
}
"""A "not relevant" reason's action: (what is stored, what the button says)."""
_BUTTON_ID = re.compile(r"nb:fb:v1:([0-9a-f]{8,64}):([a-z-]{2,16})")

DEFAULT_MUTE = timedelta(hours=24)
MAX_MUTE = timedelta(days=30)
CLICKS_PER_MINUTE = 20
"""A person's clicks counted per minute; beyond this they are dropped (one log line)."""


def button_id(alert_id: str, action: str) -> str:
    """The ``custom_id`` / ``action_id`` of one button (at most 100 characters)."""
    if action not in ACTIONS:
        raise ValueError(action)
    return f"{PREFIX}{alert_id}:{action}"


def parse_button(value: object) -> tuple[str, str] | None:
    """``(alert id, action)`` from a button id, or None when it is not one of ours."""
    if not isinstance(value, str) or len(value) > 100:
        return None
    m = _BUTTON_ID.fullmatch(value)
    if m is None or m.group(2) not in ACTIONS:
        return None
    return m.group(1), m.group(2)


def is_ours(value: object) -> bool:
    """Starts like our button ids: routed to the feedback handler (which may refuse it)."""
    return isinstance(value, str) and value.startswith("nb:fb:")


@dataclass(frozen=True)
class Click:
    """One button press, as the adapter read it from its platform's payload."""

    caller: Caller
    button: str
    """The button's id as the platform sent it (untrusted)."""
    message_id: str | None
    """The message the button was on (Slack ``container.message_ts``, Discord
    ``message.id``); a reason button sits on a private follow-up, which is not checked."""


@dataclass(frozen=True)
class ClickAnswer:
    """What the adapter does with a click."""

    text: str | None = None
    """A private answer to the person who clicked; None: nothing to say."""
    alert: Alert | None = None
    """The alert with this channel's new counts: the adapter edits ``message_id`` with it."""
    message_id: str | None = None
    ask_reason: str | None = None
    """The alert id whose "not relevant" reasons to offer as buttons (a private follow-up)."""
    ok: bool = True


class RateLimit:
    """At most ``limit`` events per person per ``window`` seconds (a sliding window)."""

    def __init__(
        self, limit: int = CLICKS_PER_MINUTE, window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._told: dict[str, float] = {}

    def allow(self, who: str) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(who, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(self._seen) > 10_000:  # forget idle people rather than grow without bound
            for key in [k for k, q in self._seen.items() if not q][:5000]:
                del self._seen[key]
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True

    def first_refusal(self, who: str) -> bool:
        """True once per window per person: the one log line a flood gets."""
        now = self.clock()
        if now - self._told.get(who, -1e18) < self.window:
            return False
        self._told[who] = now
        return True


def parse_mute_args(text: str) -> tuple[str, str | None]:
    """``/mute kursk for 2h``, ``/mute north korea 3d``, ``/mute kursk``: item and span."""
    item, span = parse_brief_args(text)  # a last word that reads as a duration is the span
    words = (item or "").split()
    if span is not None and words and words[-1].casefold() == "for":
        words.pop()
    return " ".join(words), span


def mute_span(text: str | None) -> timedelta:
    return parse_span(text, DEFAULT_MUTE, MAX_MUTE, "2h, 24h or 3d")


def _span_words(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours < 1:
        return plural(max(1, round(hours * 60)), "minute")
    if hours < 48:
        return plural(round(hours), "hour")
    return plural(round(hours / 24), "day")


def _on_the_post(posted: Posted, message_id: str | None) -> bool:
    """Whether a click on ``message_id`` is a click on the alert's post in that channel.

    The post's id is recorded once the chat API has answered the post; a click can come
    first (a quick reader, a busy store), and then any message counts: only the bot's
    own messages carry its buttons, and the channel is the one the alert was posted to.
    Once the id is known, a click on another message (an older copy) does not count."""
    if message_id is None:
        return False
    return posted.message_id is None or posted.message_id == message_id


class FeedbackCommands:
    """Clicks, ``/mute`` and ``/unmute`` against the feedback repository."""

    def __init__(
        self,
        feedback: FeedbackRepository,
        watchlist: Callable[[], Watchlist],
        admins: Callable[[], Sequence[str]] = tuple,
        limit: RateLimit | None = None,
    ) -> None:
        self.feedback = feedback
        self._watchlist = watchlist
        self._admins = admins
        self.limit = limit or RateLimit()

    async def click(self, click: Click) -> ClickAnswer | None:
        """Record a click; None: dropped without an answer (a flood)."""
        who = f"{click.caller.platform}:{click.caller.user}"
        if not self.limit.allow(who):
            if self.limit.first_refusal(who):
                log.warning("feedback: dropping clicks from %s (more than %d a minute)",
                            clean_line(who)[:80], self.limit.limit)
            return None
        parsed = parse_button(click.button)
        caller = click.caller
        if parsed is None or not caller.user or not caller.channel:
            log.warning("feedback: refused a button %r from %s", clean_line(str(click.button))[:60],
                        clean_line(who)[:80])
            return ClickAnswer("That button is not one of this bot's; nothing was recorded.", ok=False)
        alert_id, action = parsed
        target = Target(caller.platform, caller.channel)
        posted = await asyncio.to_thread(self.feedback.posted, alert_id, target)
        reason_button = action in REASONS
        # A button on the alert must be on the message the bot posted there; a reason
        # button sits on the private question, which is not, and needs its question.
        if posted is None or (not reason_button and not _on_the_post(posted, click.message_id)):
            log.warning("feedback: a click on alert %s in %s:%s matches no alert posted there",
                        alert_id, caller.platform, clean_line(caller.channel)[:40])
            return ClickAnswer(
                "That alert is no longer here (or was never posted in this channel); "
                "nothing was recorded.", ok=False,
            )
        if action == "mute":
            try:
                may_change(caller, False, self._admins())
            except CommandError as exc:
                return ClickAnswer(str(exc), ok=False)
            await asyncio.to_thread(self.feedback.mute, target, "story", alert_id, None, caller.user)
            log.info("feedback: %s muted the story of alert %s in %s:%s", caller.user, alert_id,
                     caller.platform, caller.channel)
            return ClickAnswer(
                f"Muted this story in {caller.where}: no more updates of it will be posted here."
            )
        verdict = "useful" if action == "useful" else "not_relevant"
        reason = REASONS[action][0] if reason_button else None
        if action == "nr" or reason_button:
            said = await asyncio.to_thread(self._against, alert_id, target, caller.user)
            if reason_button and said is None:
                return ClickAnswer("Click “Not relevant” on the alert first; nothing was "
                                   "recorded.", ok=False)
            if action == "nr":  # keep a reason given before: a second click does not erase it
                reason = said[0] if said is not None else None
        await asyncio.to_thread(self.feedback.rate, alert_id, target, caller.user, verdict, reason)
        tally = await asyncio.to_thread(self.feedback.tally, alert_id, target)
        alert = replace(posted.alert, feedback=tally)
        if reason_button:
            return ClickAnswer(f"Thanks: noted as not relevant ({REASONS[action][1].lower()}).")
        if action == "nr":
            return ClickAnswer(
                "Noted as not relevant. Why? (optional; it helps tune the watchlist)",
                alert=alert, message_id=posted.message_id, ask_reason=alert_id,
            )
        return ClickAnswer(None, alert=alert, message_id=posted.message_id)

    def _against(self, alert_id: str, target: Target, user: str) -> tuple[str | None] | None:
        """``(reason,)`` when ``user`` said "not relevant" about the alert here, else None."""
        for r in self.feedback.ratings_of(alert_id, target, user):
            if r.verdict == "not_relevant":
                return (r.reason,)
        return None

    # -- /mute and /unmute -----------------------------------------------------------------

    async def mute(self, caller: Caller, item: str, span: str | None = None) -> Reply:
        """``/mute <item> [for 24h]``: no alerts for the item in this channel for a while."""
        if not item.strip():
            raise CommandError("Say what to mute, e.g. /mute kursk for 2h.")
        if not caller.channel.strip():
            raise CommandError("This command needs a channel; run it in one.")
        item_id = resolve_item(self._watchlist(), item)
        how_long = mute_span(span)
        may_change(caller, False, self._admins())
        until = utcnow() + how_long
        target = Target(caller.platform, caller.channel)
        await asyncio.to_thread(self.feedback.mute, target, "item", item_id, until, caller.user)
        label = item_label(self._watchlist(), item_id)
        return Reply(
            f"Muted {label} in {caller.where} for {_span_words(how_long)} "
            f"(until {until:%Y-%m-%d %H:%M} UTC): alerts naming it are not posted here, other "
            "channels still get them. "
            f"/unmute {item_id} ends it sooner."
        )

    async def unmute(self, caller: Caller, item: str) -> Reply:
        if not item.strip():
            raise CommandError("Say what to unmute, e.g. /unmute kursk.")
        item_id = resolve_item(self._watchlist(), item)
        may_change(caller, False, self._admins())
        target = Target(caller.platform, caller.channel)
        label = item_label(self._watchlist(), item_id)
        if await asyncio.to_thread(self.feedback.unmute, target, "item", item_id):
            return Reply(f"Unmuted {label} in {caller.where}: its alerts are posted here again.")
        return Reply(f"{label} was not muted in {caller.where}.", ok=False)


# -- the weekly note -----------------------------------------------------------------------


WEEKLY_JOB = "feedback-weekly-note"
WEEK = timedelta(days=7)


def weekly_note(ratings: Sequence[Rating], watchlist: Watchlist, top: int = 5) -> str | None:
    """What the team found not relevant this week: the items, and the aliases or rule
    terms (the matches' evidence) behind the most "not relevant" clicks; None if nothing."""
    if not ratings:
        return None
    useful = sum(r.verdict == "useful" for r in ratings)
    against = [r for r in ratings if r.verdict == "not_relevant"]
    head = (
        f"Feedback this week: {plural(useful, 'useful')}, {len(against)} not relevant "
        f"(on {plural(len({r.alert.id for r in ratings}), 'alert')})."
    )
    if not against:
        return head
    items: Counter[str] = Counter()
    terms: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    for r in against:
        for m in r.alert.matches:
            items[m.id] += 1
            for term in m.evidence[:5]:
                terms.setdefault(m.id, Counter())[clean_line(term)[:60]] += 1
            if r.reason:
                reasons.setdefault(m.id, Counter())[r.reason] += 1
    lines = [head, "Most often not relevant:"]
    for item_id, n in items.most_common(top):
        behind = ", ".join(f'"{t}" ×{k}' for t, k in terms.get(item_id, Counter()).most_common(3))
        why = ", ".join(f"{w} {k}" for w, k in reasons.get(item_id, Counter()).most_common(2))
        line = f"• {item_label(watchlist, item_id)}: {plural(n, 'click')}"
        if behind:
            line += f", matched on {behind}"
        if why:
            line += f" (reasons: {why})"
        lines.append(line)
    lines.append("Check those aliases and rules; `newsbot feedback export DIR` then "
                 "`newsbot eval DIR` scores an edit against these judgements.")
    return "\n".join(lines)


def weekly_due(last: datetime | None, now: datetime) -> bool:
    """Once a week; the first run only records the time (no note about the distant past)."""
    return last is not None and now - last >= WEEK
