"""When a channel gets its alerts: the burst rule and quiet hours, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.pacing import Pacing, Plan, plan, quiet_end, quiet_until
from bot.models import Target
from bot.settings.model import Settings
from bot.settings.sections import BurstConfig, QuietHours
from bot.store.outbox import ChannelActivity
from bot.yamlfile import ConfigError, load_model

NEWSROOM = Target("slack", "C0NEWS")
NIGHT = QuietHours(platform="slack", channel="C0NEWS", start="22:00", end="07:00",
                   timezone="Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def quiet(*posts: datetime, digests: tuple[datetime, ...] = (), held: datetime | None = None
          ) -> ChannelActivity:
    return ChannelActivity(tuple(posts), digests, held)


def test_overnight_quiet_hours_end_the_next_morning_local_time() -> None:
    # 23:30 in Paris in January is 22:30 UTC; quiet until 07:00 Paris = 06:00 UTC next day.
    assert quiet_until(NIGHT, utc(2026, 1, 14, 22, 30)) == utc(2026, 1, 15, 6, 0)
    # 05:00 Paris: still quiet, until 07:00 the same day.
    assert quiet_until(NIGHT, utc(2026, 1, 15, 4, 0)) == utc(2026, 1, 15, 6, 0)
    # Noon in Paris: not quiet.
    assert quiet_until(NIGHT, utc(2026, 1, 15, 11, 0)) is None
    # 07:00 sharp is the end, not inside.
    assert quiet_until(NIGHT, utc(2026, 1, 15, 6, 0)) is None


def test_quiet_hours_follow_daylight_saving() -> None:
    # In July Paris is UTC+2: 07:00 local is 05:00 UTC.
    assert quiet_until(NIGHT, utc(2026, 7, 14, 23, 0)) == utc(2026, 7, 15, 5, 0)


def test_daytime_quiet_hours_and_other_channels() -> None:
    lunch = QuietHours(platform="discord", channel="42", start="12:00", end="13:30")
    assert quiet_until(lunch, utc(2026, 3, 2, 12, 45)) == utc(2026, 3, 2, 13, 30)
    assert quiet_until(lunch, utc(2026, 3, 2, 13, 30)) is None
    assert quiet_end([NIGHT, lunch], NEWSROOM, utc(2026, 3, 2, 12, 45)) is None
    assert quiet_end([NIGHT, lunch], Target("discord", "42"), utc(2026, 3, 2, 12, 45)) == utc(
        2026, 3, 2, 13, 30
    )


def test_up_to_max_alerts_post_at_once_and_the_rest_wait_for_the_window_to_end() -> None:
    now = utc(2026, 5, 1, 9, 0)
    pacing = Pacing(BurstConfig(max_alerts=5, window=timedelta(minutes=2)))
    assert plan(5, NEWSROOM, quiet(), pacing, now) == Plan(5)
    assert plan(12, NEWSROOM, quiet(), pacing, now) == Plan(5, "burst", now + timedelta(minutes=2))
    # Three went out 30 s ago: two more may, the rest wait until that window ends.
    earlier = now - timedelta(seconds=30)
    three = quiet(earlier, earlier, earlier)
    assert plan(4, NEWSROOM, three, pacing, now) == Plan(2, "burst", earlier + timedelta(minutes=2))
    # Posts older than the window do not count.
    old = now - timedelta(minutes=5)
    assert plan(5, NEWSROOM, quiet(old, old, old, old, old), pacing, now) == Plan(5)


def test_a_burst_goes_on_as_one_digest_per_window() -> None:
    now = utc(2026, 5, 1, 9, 0)
    pacing = Pacing(BurstConfig(max_alerts=5, window=timedelta(minutes=2)))
    digest_at = now - timedelta(seconds=40)
    assert plan(1, NEWSROOM, quiet(digests=(digest_at,)), pacing, now) == Plan(
        0, "burst", digest_at + timedelta(minutes=2)
    )
    # Alerts already waiting: a new one joins them rather than overtaking them.
    waiting = now + timedelta(seconds=50)
    assert plan(1, NEWSROOM, quiet(held=waiting), pacing, now) == Plan(0, "burst", waiting)


def test_quiet_hours_hold_everything_until_they_end() -> None:
    pacing = Pacing(quiet_hours=(NIGHT,))
    now = utc(2026, 1, 14, 22, 30)
    assert plan(1, NEWSROOM, quiet(), pacing, now) == Plan(0, "quiet", utc(2026, 1, 15, 6, 0))
    assert plan(1, Target("slack", "C0OTHER"), quiet(), pacing, now) == Plan(1)


def test_settings_refuse_bad_clock_times_and_zones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "newsbot.yaml"
    path.write_text(
        "quiet_hours:\n"
        "  - platform: slack\n"
        "    channel: C0NEWS\n"
        "    start: '25:00'\n"
        "    end: '07:00'\n"
        "    timezone: Mars/Olympus\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_model(Settings, path)
    text = str(info.value)
    assert "25:00" in text and "Mars/Olympus" in text
    assert f"{path}:" in text
