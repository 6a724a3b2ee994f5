"""When a channel gets its alerts: now, one by one, or later, collected into one digest.

Pure functions of the settings, the clock and what the channel was sent lately; the
delivery worker asks them before it posts. A burst (a big story, fifty outlets in a
minute) posts the first few alerts and collects the rest into a digest when the window
ends; quiet hours collect everything into a digest posted when they end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import Target
from bot.settings.model import Settings
from bot.settings.sections import BurstConfig, QuietHours
from bot.store.outbox import ChannelActivity


@dataclass(frozen=True)
class Pacing:
    """The part of the settings that paces deliveries (re-read at every drain, so an edit
    of ``config/newsbot.yaml`` applies to the next delivery)."""

    bursts: BurstConfig = field(default_factory=BurstConfig)
    quiet_hours: tuple[QuietHours, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> Pacing:
        return cls(settings.bursts, tuple(settings.quiet_hours))


@dataclass(frozen=True)
class Plan:
    """For a channel's due alerts: how many to post now; the rest wait for a digest."""

    post_now: int
    hold: str | None = None
    """``burst`` or ``quiet`` when some (or all) alerts wait."""
    until: datetime | None = None
    """When the waiting alerts go out together."""


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(rule: QuietHours, now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC-aware), or None outside them.

    Works in the rule's own zone, so "22:00-07:00 Europe/Paris" follows daylight saving.
    A span whose start is after its end runs over midnight.
    """
    zone = ZoneInfo(rule.timezone)
    local = now.astimezone(zone)
    start, end = _clock(rule.start), _clock(rule.end)
    if start == end:
        return None
    t = local.time().replace(second=0, microsecond=0, tzinfo=None)
    day = local.date()
    if start < end:
        if not start <= t < end:
            return None
    elif t >= start:
        day += timedelta(days=1)  # 23:10 in 22:00-07:00: quiet until tomorrow 07:00
    elif t >= end:
        return None
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


def quiet_end(rules: Sequence[QuietHours], target: Target, now: datetime) -> datetime | None:
    """When ``target``'s quiet hours end, if it is in them now (overlapping rules: the last)."""
    ends = [
        end
        for rule in rules
        if rule.platform == target.platform and rule.channel == target.channel
        and (end := quiet_until(rule, now)) is not None
    ]
    return max(ends) if ends else None


def plan(
    due: int,
    target: Target,
    activity: ChannelActivity,
    pacing: Pacing,
    now: datetime,
) -> Plan:
    """How ``due`` new alerts for ``target`` go out.

    - In quiet hours: all wait for the digest at their end.
    - Alerts already waiting for a digest: the new ones join them (nothing overtakes).
    - A digest went out within the window: the burst goes on, so the new ones wait for
      the next digest, one window after it.
    - Otherwise up to ``max_alerts`` single posts per window; the rest wait until the
      window that started with the oldest of those posts ends.
    """
    end = quiet_end(pacing.quiet_hours, target, now)
    if end is not None:
        return Plan(0, "quiet", end)
    if activity.held_until is not None:
        return Plan(0, "burst", max(activity.held_until, now))
    window = pacing.bursts.window
    digests = [at for at in activity.digests if at > now - window]
    if digests:
        return Plan(0, "burst", digests[-1] + window)
    posts = [at for at in activity.posts if at > now - window]
    budget = max(0, pacing.bursts.max_alerts - len(posts))
    if due <= budget:
        return Plan(due)
    return Plan(budget, "burst", (posts[0] if posts else now) + window)
