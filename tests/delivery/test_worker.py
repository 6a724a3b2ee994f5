"""The outbox worker: delivered once, retried when the platform says so, never dropped."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.chat.base import ChatAdapter, DeliveryError
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from bot.models import Alert, Article, Digest, Target
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from tests.store.helpers import next_due


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
def store(db_url: str) -> Repositories:
    s = open_store(db_url)
    yield s
    s.close()


def queue(store: Repositories, n: int = 1, targets: tuple[Target, ...] = (Target("chat", "C1"),)) -> None:
    for i in range(n):
        a = Article("files:seeds", "seed file", f"doc{i}.txt", f"Headline {i}", f"Body {i}.")
        alert = Alert(f"al{i}", a.title, a.source_name, "en", (), (), created_at=utcnow())
        store.articles.record(a, alert, list(targets))


def drain(worker: DeliveryWorker) -> int:
    return asyncio.run(worker.drain())


def test_every_queued_alert_is_posted_once(store: Repositories) -> None:
    queue(store, 3, (Target("chat", "C1"), Target("chat", "C2")))
    chat = Flaky()
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})
    assert drain(worker) == 6
    assert drain(worker) == 0
    assert len(chat.posted) == 6
    assert set(chat.posted) == {
        (Target("chat", c), f"al{i}") for i in range(3) for c in ("C1", "C2")
    }
    assert store.outbox.delivery_counts() == {"sent": 6}


def test_rate_limit_waits_the_time_the_platform_asked(store: Repositories) -> None:
    queue(store)
    chat = Flaky(DeliveryError("rate limited", retry_after=30))
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})
    assert drain(worker) == 0
    assert chat.posted == []
    due = next_due(store, ["chat"])
    assert due is not None
    assert timedelta(seconds=25) < due - utcnow() <= timedelta(seconds=30)
    # Not before the time is up...
    assert drain(worker) == 0
    # ...and delivered once it is.
    assert len(store.outbox.claim_due(["chat"], now=utcnow() + timedelta(seconds=31))) == 1


def test_permanent_errors_fail_at_once_and_transient_ones_give_up_after_the_last_try(
    store: Repositories,
) -> None:
    queue(store, 1, (Target("chat", "gone"),))
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": Flaky(DeliveryError("channel_not_found", permanent=True))})
    drain(worker)
    assert store.outbox.delivery_counts() == {"failed": 1}

    queue(store, 2, (Target("chat", "C9"),))  # doc0 is seen already: only doc1 is queued
    errors = [RuntimeError("HTTP 500")] * 3
    worker = DeliveryWorker(
        store.outbox, store.outcomes, {"chat": Flaky(*errors)}, policy=RetryPolicy(max_attempts=3, base_delay=0)
    )
    for _ in range(3):
        drain(worker)
    assert store.outbox.delivery_counts() == {"failed": 2}


def test_transient_error_is_retried_and_then_delivered(store: Repositories) -> None:
    queue(store)
    chat = Flaky(DeliveryError("HTTP 502"), ConnectionError("reset"))
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat}, policy=RetryPolicy(base_delay=0))
    drain(worker)
    drain(worker)
    assert drain(worker) == 1
    assert store.outbox.delivery_counts() == {"sent": 1}


def test_deliveries_left_in_flight_by_a_crash_are_sent_after_restart(store: Repositories) -> None:
    queue(store)
    assert len(store.outbox.claim_due(["chat"])) == 1  # claimed, then the process died
    chat = Flaky()
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})
    assert drain(worker) == 0
    asyncio.run(worker.recover())
    assert drain(worker) == 1
    assert chat.posted == [(Target("chat", "C1"), "al0")]


def test_rate_limits_do_not_use_up_attempts(store: Repositories) -> None:
    """A big story throttled ten times in a row is still delivered, not marked failed."""
    queue(store)
    chat = Flaky(*[DeliveryError("ratelimited", retry_after=0) for _ in range(10)])
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat}, policy=RetryPolicy(max_attempts=3))
    for _ in range(11):
        drain(worker)
    assert chat.posted == [(Target("chat", "C1"), "al0")]
    assert store.outbox.delivery_counts() == {"sent": 1}


def test_a_worker_stopped_mid_batch_puts_the_rest_back(store: Repositories) -> None:
    queue(store, 3)

    class StopsOnSecond(Flaky):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            if len(self.posted) == 1:
                raise asyncio.CancelledError
            return await super().send_alert(target, alert)

    chat = StopsOnSecond()
    with pytest.raises(asyncio.CancelledError):
        drain(DeliveryWorker(store.outbox, store.outcomes, {"chat": chat}))
    # Nothing is stuck "in flight" until a restart: the next drain delivers the other two.
    assert store.outbox.delivery_counts() == {"sent": 1, "pending": 2}
    assert drain(DeliveryWorker(store.outbox, store.outcomes, {"chat": Flaky()})) == 2


def test_a_drain_asked_for_while_one_runs_delivers_what_was_queued_meanwhile(
    store: Repositories,
) -> None:
    queue(store, 1)

    class Slow(Flaky):
        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            await asyncio.sleep(0.05)
            return await super().send_alert(target, alert)

    chat = Slow()
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})

    async def go() -> None:
        first = asyncio.create_task(worker.drain())
        await asyncio.sleep(0.01)  # the first drain is posting now
        a = Article("files:seeds", "seed file", "late.txt", "Late", "Queued during a drain.")
        late = Alert("late", a.title, a.source_name, "en", (), (), created_at=utcnow())
        store.articles.record(a, late, [Target("chat", "C1")])
        await worker.drain()
        await first

    asyncio.run(go())
    assert [alert_id for _, alert_id in chat.posted] == ["al0", "late"]


class Refusing(ChatAdapter):
    """Posts everywhere except the channels that refuse the bot for good."""

    platform = "chat"

    def __init__(self, *gone: str) -> None:
        self.gone = set(gone)
        self.tried: list[str] = []
        self.posted: list[tuple[Target, str]] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.tried.append(target.channel)
        if target.channel in self.gone:
            raise DeliveryError(f"channel {target.channel}: channel_not_found", channel_gone=True)
        self.posted.append((target, alert.id))
        return f"m{len(self.posted)}"

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None


def _noting(notices: list[str]) -> Callable[[Target, Alert, str], Awaitable[None]]:
    async def note(target: Target, alert: Alert, error: str) -> None:
        notices.append(f"{target.channel}: {error}")

    return note


def test_a_subscribed_channel_that_refuses_the_bot_is_paused_and_reported_once(
    store: Repositories,
) -> None:
    """Three alerts for a channel that was deleted: one post is tried, one notice says the
    subscription is paused and how to resume, the queued alerts fail with that reason, and
    no new alert is queued for it until someone subscribes there again."""
    gone, news = Target("chat", "gone"), Target("chat", "C1")
    store.subscriptions.subscribe(gone, "kursk")
    queue(store, 3, (gone, news))
    notices: list[str] = []
    chat = Refusing("gone")
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat}, batch=1, on_failed=_noting(notices))
    for _ in range(6):
        drain(worker)
    assert chat.tried.count("gone") == 1
    assert sorted(chat.posted) == [(news, f"al{i}") for i in range(3)]
    assert store.outbox.delivery_counts() == {"sent": 3, "failed": 3}
    (notice,) = notices
    assert "gone: channel gone: channel_not_found" in notice
    assert "subscriptions (kursk) are paused; 2 alerts queued for it failed" in notice
    assert "/subscribe <item> there again resumes them" in notice
    with store.db.engine.connect() as conn:
        errors = [e for (e,) in conn.execute(text(
            "SELECT last_error FROM deliveries WHERE channel = 'gone' ORDER BY id"
        ))]
    assert errors[0] == "channel gone: channel_not_found"
    assert all("paused" in e and "channel_not_found" in e for e in errors[1:])

    assert store.subscriptions.subscribed_targets(["kursk"]) == []  # no new rows for a paused channel
    assert store.subscriptions.resume(gone) == 1
    assert store.subscriptions.subscribed_targets(["kursk"]) == [gone]
    # Still gone after the resume: paused again, and said so again.
    queue(store, 4, (gone,))
    drain(worker)
    assert len(notices) == 2 and "paused" in notices[1]


def test_a_route_to_a_channel_that_refuses_the_bot_is_reported_once_until_the_config_changes(
    store: Repositories,
) -> None:
    gone = Target("chat", "gone")
    queue(store, 3, (gone,))
    notices: list[str] = []
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": Refusing("gone")}, on_failed=_noting(notices))
    drain(worker)
    assert store.outbox.delivery_counts() == {"failed": 3}
    (notice,) = notices
    assert "until the config changes or the bot restarts" in notice
    worker.forget_refusals()  # the config was edited
    queue(store, 4, (gone,))
    drain(worker)
    assert len(notices) == 2


def test_a_refused_token_or_message_pauses_nothing(store: Repositories) -> None:
    """Not the channel's doing: every failure is reported, the subscription stays."""
    news = Target("chat", "C1")
    store.subscriptions.subscribe(news, "all")
    queue(store, 2, (news,))
    notices: list[str] = []
    chat = Flaky(*[DeliveryError("invalid_auth", permanent=True) for _ in range(2)])
    drain(DeliveryWorker(store.outbox, store.outcomes, {"chat": chat}, on_failed=_noting(notices)))
    assert len(notices) == 2
    assert store.subscriptions.subscribed_targets(["kursk"]) == [news]


# -- through the app: what the admin channel reads ----------------------------------------


class Workspace(ChatAdapter):
    """A Slack workspace where two channels refuse the bot and the admin channel listens."""

    platform = "slack"

    def __init__(self, *gone: str) -> None:
        self.gone = set(gone)
        self.notices: list[str] = []
        self.posted: list[tuple[str, str]] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        if target.channel in self.gone:
            raise DeliveryError(
                f"Slack channel {target.channel}: channel_not_found; check the channel id",
                channel_gone=True,
            )
        self.posted.append((target.channel, alert.title))
        return f"m{len(self.posted)}"

    async def send_digest(self, target: Target, digest: Digest) -> str | None:
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        self.notices.append(text)
        return None


KURSK_NEWS = [
    ("Shelling near Kursk cuts power to villages",
     "Power lines near Kursk were cut overnight by shelling, the regional governor said."),
    ("Kursk airport stays closed for a third day",
     "Flights to and from Kursk remain suspended, the aviation authority said on Tuesday."),
    ("Kursk region extends its state of emergency",
     "The authorities in the Kursk region extended a state of emergency by one more month."),
]


def test_the_admin_channel_hears_once_of_each_channel_that_refuses_the_bot(tmp_path: Path) -> None:
    from bot.runtime.bot import NewsBot
    from bot.settings.model import load_settings

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "config").mkdir()
    (tmp_path / "seeds").mkdir()
    shutil.copy(root / "config" / "watchlist.yaml", tmp_path / "config" / "watchlist.yaml")
    config = tmp_path / "config" / "newsbot.yaml"
    yaml = (
        "seeds: [seeds]\nslack: {admin_channel: C-ADMIN}\n"
        "routes: [{platform: slack, channel: C-ROUTED, items: [kursk]}]\n"
    )
    config.write_text(yaml)
    settings = load_settings(config, env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/db/bot.db"})
    slack = Workspace("C-ROUTED", "C-SUBSCRIBED")
    bot = NewsBot(settings, {"slack": slack}, config_path=config)
    bot.store.subscriptions.subscribe(Target("slack", "C-SUBSCRIBED"), "kursk")

    def seed(n: int) -> None:
        title, body = KURSK_NEWS[n]
        (tmp_path / "seeds" / f"kursk-{n}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")

    async def go() -> None:
        try:
            await bot.start()
            for n in range(2):
                seed(n)
                await bot.scan_once()
            assert len(slack.notices) == 2, slack.notices
            config.write_text(yaml + "# the admin looked at the route\n")
            seed(2)
            await bot.scan_once()
        finally:
            await bot.close()

    asyncio.run(go())
    routed, subscribed, routed_again = slack.notices
    assert "C-ROUTED" in routed and "until the config changes or the bot restarts" in routed
    assert "C-SUBSCRIBED" in subscribed and "subscriptions (kursk) are paused" in subscribed
    assert "/subscribe <item> there again resumes them" in subscribed
    assert "C-ROUTED" in routed_again  # the config changed: told again, once
    assert slack.posted == []
