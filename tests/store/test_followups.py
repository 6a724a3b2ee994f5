"""The outbox's side of follow-ups: what :func:`queue_updates` queues for each channel's mode,
on SQLite and PostgreSQL, and what the worker then tells. A recording adapter stands in
for the platforms (their real clients are in ``tests/delivery/test_threads.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bot.chat.base import ChatAdapter, ThreadReply
from bot.delivery.worker import DeliveryWorker
from bot.models import Alert, Article, Digest, FollowUp, Target
from bot.store.db import utcnow
from bot.store.enqueue import StoryNews, queue_updates
from bot.store.repositories import Repositories, open_store

SLACK = Target("chat", "C-THREAD")
EDITED = Target("chat", "C-EDIT")
MODES = {SLACK: "thread", EDITED: "edit"}


@dataclass
class Recorder(ChatAdapter):
    platform: str = "chat"
    posts: list[Target] = field(default_factory=list)
    edits: list[Target] = field(default_factory=list)
    replies: list[tuple[Target, str, str]] = field(default_factory=list)

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.posts.append(target)
        return f"m{len(self.posts)}"

    async def send_digest(self, target: Target, digest: Digest, key: str | None = None) -> str | None:
        raise AssertionError("no digest expected")

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        self.edits.append(target)
        return message_id

    async def send_followup(
        self, target: Target, message_id: str, thread_id: str | None, followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        line = followup.text if followup.kind == "translation" else followup.source_name
        self.replies.append((target, message_id, line))
        return ThreadReply(f"r{len(self.replies)}", thread_id or f"t-{message_id}")


@pytest.fixture
def store(db_url: str) -> Iterator[Repositories]:
    repos = open_store(db_url)
    yield repos
    repos.close()


def posted_alert(store: Repositories, chat: Recorder) -> tuple[str, DeliveryWorker]:
    article = Article("feed:x", "Wire", "g1", "Shells near Kursk", "Body.")
    alert = Alert("al1", article.title, "Wire", "ko", (), (), created_at=utcnow())
    store.articles.record(article, alert, [SLACK, EDITED])
    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})
    asyncio.run(worker.drain())
    return alert.id, worker


def change(store: Repositories, alert_id: str, news: StoryNews | None) -> None:
    with store.db.session.begin() as s:
        queue_updates(s, alert_id, news, lambda t: MODES[t])  # type: ignore[arg-type,return-value]


def test_a_late_translation_goes_to_the_thread_and_an_item_change_is_an_edit(store: Repositories) -> None:
    chat = Recorder()
    alert_id, worker = posted_alert(store, chat)
    assert len(chat.posts) == 2

    change(store, alert_id, StoryNews("translation", text="Shells near Kursk (en)", language="en"))
    asyncio.run(worker.drain())
    assert chat.replies == [(SLACK, "m1", "Shells near Kursk (en)")]
    assert chat.edits == [EDITED]  # the edit-mode channel is edited, not replied to

    change(store, alert_id, None)  # nothing to tell (a watch item added): edited everywhere
    asyncio.run(worker.drain())
    assert sorted(t.channel for t in chat.edits) == ["C-EDIT", "C-EDIT", "C-THREAD"]
    assert len(chat.replies) == 1
    assert store.outbox.delivery_counts() == {"sent": 2}


def test_news_while_the_post_is_in_flight_is_told_once_it_is_posted(store: Repositories) -> None:
    chat = Recorder()
    article = Article("feed:x", "Wire", "g1", "Shells near Kursk", "Body.")
    alert = Alert("al1", article.title, "Wire", "en", (), (), created_at=utcnow())
    store.articles.record(article, alert, [SLACK])
    (claimed,) = store.outbox.claim_due(["chat"])  # the post is under way ...
    change(store, alert.id, StoryNews("source", "Outlet 1", "https://outlet1.example/a"))
    store.outcomes.mark_sent(claimed.id, "m1")  # ... and done: the news is queued after it
    (again,) = store.outbox.claim_due(["chat"])
    assert again.kind == "followup" and [f.followup.source_name for f in again.followups] == ["Outlet 1"]
    store.outbox.release([again.id])

    worker = DeliveryWorker(store.outbox, store.outcomes, {"chat": chat})
    asyncio.run(worker.drain())
    change(store, alert.id, StoryNews("source", "Outlet 2", None))
    asyncio.run(worker.drain())
    assert chat.replies == [(SLACK, "m1", "Outlet 1"), (SLACK, "m1", "Outlet 2")]
    assert chat.edits == []
    assert store.outbox.claim_due(["chat"]) == []  # nothing left to do


def test_a_pending_post_needs_no_follow_up(store: Repositories) -> None:
    article = Article("feed:x", "Wire", "g1", "Shells near Kursk", "Body.")
    alert = Alert("al1", article.title, "Wire", "en", (), (), created_at=utcnow())
    store.articles.record(article, alert, [SLACK])
    change(store, alert.id, StoryNews("source", "Outlet 1", None))
    (due,) = store.outbox.claim_due(["chat"])
    assert due.kind == "post" and due.followups == ()  # its post will show the story as it is


def test_a_channel_that_muted_the_story_gets_no_reply_and_no_edit(store: Repositories) -> None:
    chat = Recorder()
    alert_id, worker = posted_alert(store, chat)
    store.feedback.mute(SLACK, "story", alert_id, None, "U0ALICE")  # "Mute this story here"
    change(store, alert_id, StoryNews("source", "Outlet 1", "https://outlet1.example/a"))
    asyncio.run(worker.drain())
    assert chat.replies == []
    assert chat.edits == [EDITED]  # the other channel still hears of it
    assert store.outbox.delivery_counts() == {"sent": 2}
