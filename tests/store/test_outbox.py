"""The outbox under crashes, bursts and quiet hours: nothing lost, nothing doubled.

``Channel`` is a chat platform as the worker sees it (our own ``ChatAdapter`` interface,
not a client library): it keeps what was posted, so it can answer ``find_posted`` the way
Slack's history or Discord's nonce does. The client libraries themselves are tested
against local fake servers in ``tests/chat`` and ``tests/delivery/test_crash_safety.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery.pacing import Pacing
from bot.delivery.worker import STALE_CLAIM, DeliveryWorker, RetryPolicy
from bot.models import Alert, Article, Digest, Target
from bot.settings.sections import BurstConfig, QuietHours
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store

NEWS = Target("slack", "C-news")


@dataclass
class Message:
    id: str
    target: Target
    key: str
    alerts: tuple[str, ...]
    digest: Digest | None = None


@dataclass
class Channel(ChatAdapter):
    """A platform that remembers every message, and can be told to fail."""

    platform: str = "slack"
    messages: list[Message] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    can_look: bool = True
    looked: int = 0
    digest_limit: int = 20

    def _fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self._fail()
        self.messages.append(Message(f"m{len(self.messages) + 1}", target, alert.id, (alert.id,)))
        return self.messages[-1].id

    async def send_digest(
        self, target: Target, digest: Digest, key: str | None = None
    ) -> str | None:
        self._fail()
        ids = tuple(a.id for a in digest.alerts)
        self.messages.append(Message(f"m{len(self.messages) + 1}", target, key or "", ids, digest))
        return self.messages[-1].id

    async def find_posted(
        self, target: Target, key: str, since: datetime, alerts: Sequence[Alert] = ()
    ) -> str | None:
        self.looked += 1
        if not self.can_look:
            return None
        for m in self.messages:
            if m.target == target and m.key == key:
                return m.id
        return None

    def delivered(self, target: Target = NEWS) -> list[str]:
        """Alert ids as the channel's readers saw them, in order (digests unpacked)."""
        return [a for m in self.messages if m.target == target for a in m.alerts]


@pytest.fixture()
def store(db_url: str) -> Repositories:
    s = open_store(db_url)
    yield s
    s.close()


def queue(store: Repositories, first: int, n: int, target: Target = NEWS) -> list[str]:
    ids = []
    for i in range(first, first + n):
        a = Article("feed:wire", "Wire", f"g{i}", f"Story {i}", f"Body of story {i}.",
                    url=f"https://news.example/{i}")
        alert = Alert(f"alert{i:03d}", a.title, "Wire", "en", (), (), url=a.url,
                      created_at=utcnow())
        assert store.articles.record(a, alert, [target])
        ids.append(alert.id)
    return ids


class Clock:
    """The store's and the worker's idea of now, moved forward by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta()
        real = utcnow
        for module in ("bot.store.articles", "bot.store.enqueue", "bot.store.outbox", "bot.store.outcomes",
                       "bot.delivery.worker", "bot.delivery.sender"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: real() + self.offset)


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def worker(store: Repositories, chat: Channel, pacing: Pacing | None = None,
           policy: RetryPolicy | None = None) -> DeliveryWorker:
    return DeliveryWorker(store.outbox, store.outcomes, {"slack": chat}, policy=policy or RetryPolicy(base_delay=0),
                          pacing=lambda: pacing or Pacing())


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# -- crash safety -------------------------------------------------------------------------


def test_a_post_that_arrived_before_the_crash_is_not_posted_again(store: Repositories) -> None:
    ids = queue(store, 0, 2)
    chat = Channel()
    claimed = store.outbox.claim_due(["slack"])
    # The platform got the first post, then the process was killed before marking it sent.
    run(chat.send_alert(claimed[0].target, claimed[0].alert))
    restarted = worker(store, chat)
    run(restarted.recover())
    assert run(restarted.drain()) == 2
    assert chat.delivered() == ids  # each exactly once
    assert chat.looked == 2  # both were in doubt; both were looked for
    assert store.outbox.delivery_counts() == {"sent": 2}


def test_where_the_platform_cannot_look_an_in_doubt_post_is_repeated_not_lost(
    store: Repositories,
) -> None:
    """At least once: a webhook cannot read history, so the alert may show twice."""
    queue(store, 0, 1)
    chat = Channel(can_look=False)
    claimed = store.outbox.claim_due(["slack"])
    run(chat.send_alert(claimed[0].target, claimed[0].alert))
    restarted = worker(store, chat)
    run(restarted.recover())
    run(restarted.drain())
    assert chat.delivered() == ["alert000", "alert000"]


def test_only_posts_that_may_have_arrived_are_looked_for(store: Repositories) -> None:
    queue(store, 0, 3)
    chat = Channel(failures=[DeliveryError("ratelimited", retry_after=0),
                             DeliveryError("HTTP 500 from the platform")])
    w = worker(store, chat)
    run(w.drain())
    assert chat.looked == 0  # a refusal (429) and a 500 were answered; nothing was in doubt yet
    run(w.drain())
    # The one that met a 500 might have been posted anyway: it is looked for once.
    assert chat.looked == 1
    assert sorted(chat.delivered()) == ["alert000", "alert001", "alert002"]


def test_a_worker_stopped_mid_post_leaves_that_post_in_doubt(store: Repositories) -> None:
    queue(store, 0, 3)
    entered = asyncio.Event()

    class Slow(Channel):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            entered.set()
            await asyncio.sleep(30)
            return await super().send_alert(target, alert)

    chat = Slow()

    async def scenario() -> None:
        w = worker(store, chat)
        task = asyncio.create_task(w.drain())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(scenario())
    rows = store.outbox.claim_due(["slack"])
    assert [(d.alert.id, d.in_doubt, d.attempts) for d in rows] == [
        ("alert000", True, 2),  # being posted when stopped: may have arrived
        ("alert001", False, 1),  # never tried: not in doubt, no attempt used
        ("alert002", False, 1),
    ]


# -- bursts -------------------------------------------------------------------------------

BURSTS = Pacing(BurstConfig(max_alerts=5, window=timedelta(minutes=2)))


def test_a_burst_posts_five_then_one_digest_when_the_window_ends(store: Repositories, clock: Clock) -> None:
    ids = queue(store, 0, 12)
    chat = Channel()
    w = worker(store, chat, BURSTS)
    assert run(w.drain()) == 5
    assert [m.digest for m in chat.messages] == [None] * 5
    assert run(w.drain()) == 0  # the other seven wait for the window to end
    clock.offset = timedelta(minutes=2, seconds=1)
    assert run(w.drain()) == 7
    digest = chat.messages[-1].digest
    assert digest is not None and len(digest.alerts) == 7
    assert "7 more alerts" in digest.title
    assert chat.delivered() == ids  # every alert once, in order
    assert len(chat.messages) == 6


def test_a_long_burst_gets_one_digest_per_window(store: Repositories, clock: Clock) -> None:
    chat = Channel()
    w = worker(store, chat, BURSTS)
    ids = queue(store, 0, 8)
    run(w.drain())
    clock.offset = timedelta(minutes=2, seconds=1)
    run(w.drain())  # five single posts, then a digest of three
    ids += queue(store, 100, 4)  # the story goes on
    assert run(w.drain()) == 0  # no single posts: the burst is still on
    clock.offset = timedelta(minutes=4, seconds=2)
    assert run(w.drain()) == 4
    assert [len(m.alerts) for m in chat.messages] == [1, 1, 1, 1, 1, 3, 4]
    assert chat.delivered() == ids


def test_a_digest_never_carries_more_than_one_message_shows(store: Repositories, clock: Clock) -> None:
    ids = queue(store, 0, 30)
    chat = Channel(digest_limit=10)
    w = worker(store, chat, BURSTS)
    run(w.drain())
    clock.offset = timedelta(minutes=3)
    run(w.drain())
    assert [len(m.alerts) for m in chat.messages] == [1] * 5 + [10, 10, 5]
    assert chat.delivered() == ids


def test_a_digest_in_flight_at_a_crash_is_found_not_posted_twice(store: Repositories, clock: Clock) -> None:
    ids = queue(store, 0, 9)
    chat = Channel()
    run(worker(store, chat, BURSTS).drain())
    clock.offset = timedelta(minutes=3)
    [group] = store.outbox.claim_digests(["slack"], utcnow() + clock.offset)
    # Posted, then killed before it was marked sent.
    digest = Digest("4 more alerts", group.alerts)
    run(chat.send_digest(group.target, digest, key=group.batch))
    more = queue(store, 50, 2)  # arrive while the bot is down
    restarted = worker(store, chat, BURSTS)
    run(restarted.recover())
    run(restarted.drain())
    clock.offset = timedelta(minutes=6)
    run(restarted.drain())
    assert chat.delivered() == ids + more
    assert chat.looked == 1


def test_digest_retries_keep_their_group(store: Repositories, clock: Clock) -> None:
    queue(store, 0, 8)
    chat = Channel()
    w = worker(store, chat, BURSTS)
    run(w.drain())
    chat.failures = [DeliveryError("HTTP 502")]
    clock.offset = timedelta(minutes=3)
    assert run(w.drain()) == 0
    queue(store, 50, 1)  # joins a later digest, not the one being retried
    clock.offset = timedelta(minutes=10)
    run(w.drain())
    clock.offset = timedelta(minutes=20)
    run(w.drain())
    assert [m.alerts for m in chat.messages[5:]] == [
        ("alert005", "alert006", "alert007"),
        ("alert050",),
    ]


# -- quiet hours --------------------------------------------------------------------------


def test_alerts_during_quiet_hours_wait_for_one_digest_at_their_end(store: Repositories, clock: Clock) -> None:
    now = utcnow()
    start = (now - timedelta(minutes=1)).strftime("%H:%M")
    end = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    rule = QuietHours(platform="slack", channel="C-news", start=start,
                      end=end.strftime("%H:%M"), timezone="UTC")
    chat = Channel()
    w = worker(store, chat, Pacing(quiet_hours=(rule,)))
    ids = queue(store, 0, 3) + queue(store, 10, 1, Target("slack", "C-other"))
    assert run(w.drain()) == 1  # only the other channel
    clock.offset = end - now + timedelta(seconds=1)
    assert run(w.drain()) == 3
    digest = chat.messages[-1].digest
    assert digest is not None and "quiet" in digest.title
    assert chat.delivered() == ids[:3]


def test_a_single_alert_held_through_quiet_hours_is_posted_as_an_alert(store: Repositories, clock: Clock) -> None:
    now = datetime.now(UTC)
    end = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
    rule = QuietHours(platform="slack", channel="C-news",
                      start=(now - timedelta(minutes=1)).strftime("%H:%M"),
                      end=end.strftime("%H:%M"))
    chat = Channel()
    w = worker(store, chat, Pacing(quiet_hours=(rule,)))
    queue(store, 0, 1)
    run(w.drain())
    clock.offset = end - now + timedelta(seconds=1)
    run(w.drain())
    assert [m.digest for m in chat.messages] == [None]
    assert chat.delivered() == ["alert000"]


def test_a_platform_that_hangs_does_not_hold_up_another(store: Repositories) -> None:
    """Discord's client retrying a 500 for half a minute must not delay Slack's alerts."""
    stuck = asyncio.Event()

    class Hanging(Channel):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            stuck.set()
            await asyncio.sleep(60)
            return await super().send_alert(target, alert)

    slack, discord = Channel(), Hanging(platform="discord")
    queue(store, 0, 2, NEWS)
    queue(store, 10, 2, Target("discord", "42"))
    w = DeliveryWorker(store.outbox, store.outcomes, {"slack": slack, "discord": discord})

    def slack_drain() -> asyncio.Task[int]:
        (task,) = [t for t in w.running() if t.get_name() == "deliver slack"]
        return task

    async def scenario() -> None:
        w.kick()
        drain = slack_drain()
        await asyncio.wait_for(stuck.wait(), 60)
        # Slack's drain runs to its end while Discord's hangs. Wait for the drain itself,
        # not for the posts: after its last post it still asks the database for more.
        await asyncio.wait_for(asyncio.shield(drain), 60)
        assert slack.delivered() == ["alert000", "alert001"]
        queue(store, 20, 1, NEWS)  # a new alert: the next kick delivers it at once
        w.kick()
        await asyncio.wait_for(asyncio.shield(slack_drain()), 60)
        assert [t.get_name() for t in w.running()] == ["deliver discord"]
        for task in w.running():
            task.cancel()
        await asyncio.gather(*w.running(), return_exceptions=True)

    run(scenario())
    assert slack.delivered() == ["alert000", "alert001", "alert020"]
    assert discord.delivered(Target("discord", "42")) == []
    # The Discord post cut off mid-way is in doubt; the other was never tried.
    assert [(d.alert.id, d.in_doubt) for d in store.outbox.claim_due(["discord"])] == [
        ("alert010", True),
        ("alert011", False),
    ]


# -- a database error mid-drain -----------------------------------------------------------


def test_a_database_error_while_pacing_hands_the_claimed_alerts_back(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = queue(store, 0, 3)
    chat = Channel()
    real = store.outbox.channel_activity
    calls = []

    def flaky(target: Target, since: datetime) -> object:
        calls.append(target)
        if len(calls) == 1:
            raise OperationalError("SELECT ...", {}, Exception("database is locked"))
        return real(target, since)

    monkeypatch.setattr(store.outbox, "channel_activity", flaky)
    w = worker(store, chat)
    # The drain waits out the error and claims again: that finds the three only because
    # they were handed back as they were (pending, never tried), not left "sending".
    assert run(w.drain()) == 3
    assert chat.delivered() == ids
    assert chat.looked == 0
    assert store.outbox.delivery_counts() == {"sent": 3}


def test_deliveries_a_drain_died_holding_come_back_in_doubt_without_a_restart(
    store: Repositories, clock: Clock
) -> None:
    """The drain's database failed after it claimed two alerts and posted the first, and
    handing them back failed too: they stay "sending" until this instance sees that it
    has held them far too long; then each is looked for before it is posted."""
    ids = queue(store, 0, 2)
    claimed = store.outbox.claim_due(["slack"], owner="bot-a")
    chat = Channel()
    run(chat.send_alert(claimed[0].target, claimed[0].alert))
    queue(store, 2, 1)
    others = store.outbox.claim_due(["slack"], owner="bot-b")  # another instance's, in flight
    assert [d.alert.id for d in others] == ["alert002"]
    w = worker(store, chat)
    w.owner = "bot-a"

    assert run(w.drain()) == 0  # a fresh claim may still be posting: left alone
    assert store.outbox.delivery_counts() == {"sending": 3}

    clock.offset = STALE_CLAIM + timedelta(minutes=1)
    assert run(w.drain()) == 2
    assert chat.delivered() == ids  # the first found, not posted again; the second posted
    assert chat.looked == 2
    assert store.outbox.delivery_counts() == {"sent": 2, "sending": 1}
