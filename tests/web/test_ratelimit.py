"""The login rate limiter stays bounded however many addresses try, and a flood of other
addresses neither lifts a throttled address's limit nor gives new addresses more tries."""

from __future__ import annotations

from bot.web.auth import LOGIN_ATTEMPTS, LOGIN_WINDOW, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_many_recent_addresses_are_remembered_up_to_the_cap() -> None:
    clock = Clock()
    limiter = RateLimit(clock=clock)
    for n in range(20_000):  # all within one window: none may be forgotten for age
        limiter.allow(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limiter) <= limiter.capacity + 1  # the cap plus the shared overflow bucket


def test_a_flood_of_other_addresses_does_not_lift_a_throttle() -> None:
    clock = Clock()
    limiter = RateLimit(clock=clock, capacity=100)
    for _ in range(LOGIN_ATTEMPTS):
        assert limiter.allow("203.0.113.7") is None
    assert limiter.allow("203.0.113.7") is not None
    for n in range(1000):
        clock.now += 0.01
        limiter.allow(f"198.51.100.{n}")
    assert limiter.allow("203.0.113.7") is not None  # still throttled
    assert len(limiter) <= 101


def test_addresses_that_find_the_table_full_share_one_limit() -> None:
    clock = Clock()
    limiter = RateLimit(clock=clock, capacity=3)
    for n in range(3):
        assert limiter.allow(f"192.0.2.{n}") is None
    answers = [limiter.allow(f"198.51.100.{n}") for n in range(LOGIN_ATTEMPTS + 1)]
    assert answers[:LOGIN_ATTEMPTS] == [None] * LOGIN_ATTEMPTS and answers[-1] is not None
    assert limiter.allow("192.0.2.1") is None  # those remembered keep their own count


def test_an_address_is_forgotten_once_its_window_has_passed() -> None:
    clock = Clock()
    limiter = RateLimit(clock=clock, capacity=3)
    for _ in range(LOGIN_ATTEMPTS):
        limiter.allow("203.0.113.7")
    assert limiter.allow("203.0.113.7") is not None
    clock.now += LOGIN_WINDOW + 1
    for n in range(3):  # room again: the old entries are dropped, not the overflow used
        assert limiter.allow(f"192.0.2.{n}") is None
    assert len(limiter) == 3
    assert limiter.allow("203.0.113.7") is None  # its old attempts count no more
