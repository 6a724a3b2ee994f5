"""The outbox worker: delivered once, retried when the platform says so, never dropped."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery import DeliveryWorker, RetryPolicy
from bot.models import Alert, Article, Digest, Target
from bot.store import Store, utcnow


class Flaky(ChatAdapter):
    """A platform that answers with the given failures first, then accepts."""

    platform = "chat"

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.posted: list[tuple[Target, str]] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append((target, alert.id))
        return f"m{len(self.posted)}"

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None


@pytest.fixture()
def store(db_url: str) -> Store:
    s = Store(db_url)
    yield s
    s.close()


def queue(store: Store, n: int = 1, targets: tuple[Target, ...] = (Target("chat", "C1"),)) -> None:
    for i in range(n):
        a = Article("files:seeds", "seed file", f"doc{i}.txt", f"Headline {i}", f"Body {i}.")
        alert = Alert(f"al{i}", a.title, a.source_name, "en", (), (), created_at=utcnow())
        store.record(a, alert, list(targets))


def drain(worker: DeliveryWorker) -> int:
    return asyncio.run(worker.drain())


def test_every_queued_alert_is_posted_once(store: Store) -> None:
    queue(store, 3, (Target("chat", "C1"), Target("chat", "C2")))
    chat = Flaky()
    worker = DeliveryWorker(store, {"chat": chat})
    assert drain(worker) == 6
    assert drain(worker) == 0
    assert len(chat.posted) == 6
    assert set(chat.posted) == {
        (Target("chat", c), f"al{i}") for i in range(3) for c in ("C1", "C2")
    }
    assert store.delivery_counts() == {"sent": 6}


def test_rate_limit_waits_the_time_the_platform_asked(store: Store) -> None:
    queue(store)
    chat = Flaky(DeliveryError("rate limited", retry_after=30))
    worker = DeliveryWorker(store, {"chat": chat})
    assert drain(worker) == 0
    assert chat.posted == []
    due = store.next_due(["chat"])
    assert due is not None
    assert timedelta(seconds=25) < due - utcnow() <= timedelta(seconds=30)
    # Not before the time is up...
    assert drain(worker) == 0
    # ...and delivered once it is.
    assert len(store.claim_due(["chat"], now=utcnow() + timedelta(seconds=31))) == 1


def test_permanent_errors_fail_at_once_and_transient_ones_give_up_after_the_last_try(
    store: Store,
) -> None:
    queue(store, 1, (Target("chat", "gone"),))
    worker = DeliveryWorker(store, {"chat": Flaky(DeliveryError("channel_not_found", permanent=True))})
    drain(worker)
    assert store.delivery_counts() == {"failed": 1}

    queue(store, 2, (Target("chat", "C9"),))  # doc0 is seen already: only doc1 is queued
    errors = [RuntimeError("HTTP 500")] * 3
    worker = DeliveryWorker(
        store, {"chat": Flaky(*errors)}, policy=RetryPolicy(max_attempts=3, base_delay=0)
    )
    for _ in range(3):
        drain(worker)
    assert store.delivery_counts() == {"failed": 2}


def test_transient_error_is_retried_and_then_delivered(store: Store) -> None:
    queue(store)
    chat = Flaky(DeliveryError("HTTP 502"), ConnectionError("reset"))
    worker = DeliveryWorker(store, {"chat": chat}, policy=RetryPolicy(base_delay=0))
    drain(worker)
    drain(worker)
    assert drain(worker) == 1
    assert store.delivery_counts() == {"sent": 1}


def test_deliveries_left_in_flight_by_a_crash_are_sent_after_restart(store: Store) -> None:
    queue(store)
    assert len(store.claim_due(["chat"])) == 1  # claimed, then the process died
    chat = Flaky()
    worker = DeliveryWorker(store, {"chat": chat})
    assert drain(worker) == 0
    asyncio.run(worker.recover())
    assert drain(worker) == 1
    assert chat.posted == [(Target("chat", "C1"), "al0")]


def test_rate_limits_do_not_use_up_attempts(store: Store) -> None:
    """A big story throttled ten times in a row is still delivered, not marked failed."""
    queue(store)
    chat = Flaky(*[DeliveryError("ratelimited", retry_after=0) for _ in range(10)])
    worker = DeliveryWorker(store, {"chat": chat}, policy=RetryPolicy(max_attempts=3))
    for _ in range(11):
        drain(worker)
    assert chat.posted == [(Target("chat", "C1"), "al0")]
    assert store.delivery_counts() == {"sent": 1}


def test_a_worker_stopped_mid_batch_puts_the_rest_back(store: Store) -> None:
    queue(store, 3)

    class StopsOnSecond(Flaky):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            if len(self.posted) == 1:
                raise asyncio.CancelledError
            return await super().send_alert(target, alert)

    chat = StopsOnSecond()
    with pytest.raises(asyncio.CancelledError):
        drain(DeliveryWorker(store, {"chat": chat}))
    # Nothing is stuck "in flight" until a restart: the next drain delivers the other two.
    assert store.delivery_counts() == {"sent": 1, "pending": 2}
    assert drain(DeliveryWorker(store, {"chat": Flaky()})) == 2


def test_a_drain_asked_for_while_one_runs_delivers_what_was_queued_meanwhile(
    store: Store,
) -> None:
    queue(store, 1)

    class Slow(Flaky):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            await asyncio.sleep(0.05)
            return await super().send_alert(target, alert)

    chat = Slow()
    worker = DeliveryWorker(store, {"chat": chat})

    async def go() -> None:
        first = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.01)  # the first drain is posting now
        a = Article("files:seeds", "seed file", "late.txt", "Late", "Queued during a drain.")
        late = Alert("late", a.title, a.source_name, "en", (), (), created_at=utcnow())
        store.record(a, late, [Target("chat", "C1")])
        await worker.drain()
        await first

    asyncio.run(go())
    assert [alert_id for _, alert_id in chat.posted] == ["al0", "late"]
