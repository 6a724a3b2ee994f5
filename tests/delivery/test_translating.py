"""Alerts translated on their way out: asked once for every channel and after a restart,
never held past the deadline (a late translation edits the post), never lost while the
translator is down (one log line, one admin notice, then edits when it is back).

The delivery worker and the real LibreTranslate client against the local fake, on SQLite
and PostgreSQL; the platform is a recording adapter (the bots on fake Slack and Discord are
in tests/chat/test_translated_alerts.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.chat.base import ChatAdapter
from bot.delivery.translating import AlertTranslating
from bot.delivery.worker import DeliveryWorker
from bot.models import Alert, Article, Digest, Match, Quote, Target
from bot.settings.model import Settings
from bot.settings.sections import RouteConfig, TranslateConfig
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from bot.translate.libre import LibreTranslate
from bot.translate.service import TranslationService
from tests.fakes.libretranslate import FakeLibreTranslate

pytestmark = pytest.mark.network

HEADLINE = "북한, 쿠르스크에 병력 추가 파견"
LEAD = "북한이 러시아 쿠르스크 지역에 병력을 추가로 보냈다고 국방부가 밝혔다."
QUOTE = "우리는 끝까지 함께 싸울 것이다"
ENGLISH = {
    HEADLINE: "North Korea sends more troops to Kursk",
    LEAD: "North Korea has sent more troops to Russia's Kursk region, the ministry said.",
    QUOTE: "We will fight together to the end",
}
C1, C2 = Target("slack", "C1"), Target("slack", "C2")


class Recorder(ChatAdapter):
    """A platform that keeps what it was sent: posts, and edits of them."""

    platform = "slack"

    def __init__(self) -> None:
        self.posts: list[tuple[Target, Alert]] = []
        self.edits: list[tuple[Target, str, Alert]] = []

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.posts.append((target, alert))
        return f"m{len(self.posts)}"

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        self.edits.append((target, message_id, alert))
        return message_id

    async def send_digest(self, target: Target, digest: Digest, key: str | None = None) -> str | None:
        return None


@pytest.fixture()
def store(db_url: str) -> Iterator[Repositories]:
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture()
def fake() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as f:
        f.dictionary = dict(ENGLISH)
        yield f  # type: ignore[misc]


def korean_alert(store: Repositories, n: int, targets: tuple[Target, ...] = (C1, C2)) -> Alert:
    a = Article("files:seeds", "연합뉴스", f"doc{n}.txt", HEADLINE, f"{LEAD} {n}")
    match = Match("kursk", "Kursk", "topic", 1, 1.0, ("쿠르스크",))
    alert = Alert(f"al{n}", HEADLINE, a.source_name, "ko", (match,), (Quote(QUOTE, "김정은"),),
                  lead=LEAD, created_at=utcnow())
    store.articles.record(a, alert, list(targets))
    return alert


class Rig:
    """A worker whose sender translates through the real client; ``notices`` is the admin
    channel."""

    def __init__(self, store: Repositories, fake: FakeLibreTranslate, deadline: float = 5.0,
                 retry: float = 30.0, settings: Settings | None = None) -> None:
        self.adapter = Recorder()
        self.notices: list[str] = []
        self.worker = DeliveryWorker(store.outbox, store.outcomes, {"slack": self.adapter})
        settings = settings or Settings(translate=TranslateConfig(backend="libretranslate", url=fake.url))
        self.service = TranslationService(
            LibreTranslate(fake.url, timeout=10), store.translations, deadline=deadline,
            retry=retry, notify=self._notify,
        )
        self.translating = AlertTranslating(
            self.service, store.translations, store.subscriptions, lambda: settings,
            kick=self.worker.kick,
        )
        self.worker.sender.translating = self.translating

    async def _notify(self, text: str) -> None:
        self.notices.append(text)

    async def until(self, cond: Callable[[], bool], what: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.service.close()


def run(store: Repositories, fake: FakeLibreTranslate, body: Callable[[Rig], Awaitable[Any]], **kw: Any) -> Any:
    async def go() -> Any:
        rig = Rig(store, fake, **kw)
        try:
            return await body(rig)
        finally:
            for t in rig.worker.running():
                await t
            await rig.close()

    return asyncio.run(go())


def test_two_channels_and_a_restart_cost_one_request(store: Repositories, fake: FakeLibreTranslate) -> None:
    korean_alert(store, 1)

    async def first(rig: Rig) -> list[Alert]:
        await rig.worker.drain()
        return [a for _, a in rig.adapter.posts]

    posted = run(store, fake, first)
    assert len(posted) == 2 and len(fake.translate_calls()) == 1
    for alert in posted:
        t = alert.translation
        assert t is not None and not t.pending and t.target == "en" and t.source == "ko"
        assert (t.title, t.quotes, t.backend) == (ENGLISH[HEADLINE], (ENGLISH[QUOTE],), "LibreTranslate")
        assert alert.title == HEADLINE and alert.quotes[0].speaker == "김정은"  # originals kept
    (call,) = fake.translate_calls()
    assert "김정은" not in call.body["q"]  # speakers are not sent

    # A restart (a new rig on the same database) and the same story elsewhere: stored.
    korean_alert(store, 2, (Target("slack", "C3"),))
    fake.dictionary[f"{LEAD} 2"] = "unused"
    again = run(store, fake, first)
    assert again[0].translation is not None and again[0].translation.title == ENGLISH[HEADLINE]
    assert len(fake.translate_calls()) == 1


def test_nothing_is_sent_for_a_channel_that_reads_the_original(store: Repositories, fake: FakeLibreTranslate) -> None:
    settings = Settings(
        translate=TranslateConfig(backend="libretranslate", url=fake.url, to="en"),
        routes=[RouteConfig(platform="console", channel="terminal"),
                RouteConfig(platform="slack", channel="C1", items=["kursk"], lang="ko")],
    )
    korean_alert(store, 1, (C1,))
    store.subscriptions.subscribe(C2, "kursk", lang="fr")
    korean_alert(store, 2, (C2,))

    async def body(rig: Rig) -> list[Alert]:
        await rig.worker.drain()
        return [a for _, a in sorted(rig.adapter.posts, key=lambda p: p[0].channel)]

    on_c1, on_c2 = run(store, fake, body, settings=settings)
    assert on_c1.translation is None  # the route says Korean: nothing sent for it
    assert on_c2.translation is not None and on_c2.translation.target == "fr"
    (call,) = fake.translate_calls()
    assert call.body["target"] == "fr"


def test_a_late_translation_posts_then_edits(store: Repositories, fake: FakeLibreTranslate) -> None:
    korean_alert(store, 1, (C1,))
    fake.hang()

    async def body(rig: Rig) -> None:
        edits = asyncio.get_running_loop().create_task(rig.translating.run())
        try:
            await rig.worker.drain()  # returns once posted: the deadline does not wait for it
            ((_, posted),) = rig.adapter.posts
            assert posted.translation is not None and posted.translation.pending
            assert posted.translation.title is None
            assert rig.adapter.edits == []
            fake.release()
            await rig.until(lambda: bool(rig.adapter.edits), "the edit")
            (target, message_id, edited) = rig.adapter.edits[0]
            assert (target, message_id) == (C1, "m1")
            assert edited.translation is not None and not edited.translation.pending
            assert edited.translation.title == ENGLISH[HEADLINE]
        finally:
            edits.cancel()

    run(store, fake, body, deadline=0.2)
    assert len(fake.translate_calls()) == 1


def test_a_translator_down_loses_nothing_and_is_reported_once(
    store: Repositories, fake: FakeLibreTranslate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.translate")
    fake.mode = "down"
    for n in range(5):
        korean_alert(store, n, (C1,))

    async def body(rig: Rig) -> None:
        edits = asyncio.get_running_loop().create_task(rig.translating.run())
        try:
            await rig.worker.drain()
            assert len(rig.adapter.posts) == 5  # all out, in the original, marked
            assert all(a.translation is not None and a.translation.pending for _, a in rig.adapter.posts)
            await rig.until(lambda: len(rig.notices) == 1, "the outage notice")
            fake.mode = "ok"  # recovers: the next probe (every `retry`) finds it back
            await rig.until(lambda: len(rig.adapter.edits) == 5, "five edits")
            assert all(a.translation is not None and a.translation.title == ENGLISH[HEADLINE]
                       for _, _, a in rig.adapter.edits)
            await rig.until(lambda: len(rig.notices) == 2, "the recovery notice")
        finally:
            edits.cancel()

    run(store, fake, body, deadline=5.0, retry=0.3)
    down = [r for r in caplog.records if r.levelno >= logging.WARNING and "translator" in r.getMessage()]
    assert len(down) == 1, [r.getMessage() for r in down]
    assert "is down" in down[0].getMessage()
