"""The store: dedup by identity, the outbox written with the seen mark, subscriptions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Alert, Article, Match, Quote, Target
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from tests.store.helpers import get_alert, is_seen


@pytest.fixture()
def store(db_url: str) -> Repositories:
    s = open_store(db_url)
    yield s
    s.close()


def article(guid: str = "urn:wire:4711", **kw: object) -> Article:
    base = Article(
        source_id="feed:https://wire.example.org/rss",
        source_name="Wire Example",
        guid=guid,
        title="Pyongyang sends shells to Moscow, officials say",
        text="North Korea has shipped artillery shells to Russia, two officials said on Monday.",
        url=f"https://wire.example.org/world/{guid.rsplit(':', 1)[-1]}",
        published=datetime(2024, 11, 5, 14, 3, tzinfo=UTC),
        location=None,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def alert_for(a: Article, alert_id: str = "a1", items: tuple[str, ...] = ("north-korea",)) -> Alert:
    return Alert(
        id=alert_id,
        title=a.title,
        source_name=a.source_name,
        language="en",
        matches=tuple(
            Match(i, i.title(), "entity", 2, 3.5, ("North Korea",), ((0, 11),), True) for i in items
        ),
        quotes=(Quote("We will not comment", "a spokesman", 10, 29),),
        url=a.url,
        published=a.published,
        created_at=utcnow(),
    )


def test_creates_the_sqlite_file_and_its_folder(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path}/nested/dir/bot.db")
    s.close()
    assert (tmp_path / "nested/dir/bot.db").exists()


def test_an_article_is_seen_by_guid_url_or_content(store: Repositories) -> None:
    a = article()
    assert store.articles.record(a, None)
    assert is_seen(store, a)
    # Same story re-published under a new guid and URL: same words, so seen.
    assert is_seen(store, article(guid="urn:wire:9999", url="https://mirror.example.net/x"))
    # Same URL, edited text (a feed that rewrites its summary): seen.
    assert is_seen(store, article(guid="urn:other", text="Updated: more detail.", url=a.url))
    # A genuinely different item is new.
    fresh = article(guid="urn:wire:4712", text="Kursk region: fighting continues.", url=None)
    assert not is_seen(store, fresh)
    assert store.articles.filter_new([a, fresh, fresh]) == [fresh]


def test_reordered_and_backdated_items_are_neither_lost_nor_repeated(store: Repositories) -> None:
    items = [
        article(guid=f"urn:wire:{n}", text=f"Dispatch number {n}.", url=None) for n in range(5)
    ]
    for it in items[:3]:
        store.articles.record(it, None)
    # The feed now lists them newest first, with one old item back-dated and two new ones.
    backdated = replace(items[3], published=datetime(2001, 1, 1, tzinfo=UTC))
    poll = [items[4], items[2], backdated, items[0], items[1]]
    assert store.articles.filter_new(poll) == [items[4], backdated]


def test_record_writes_alert_and_outbox_together_once(store: Repositories) -> None:
    a = article()
    targets = [Target("console", "terminal"), Target("slack", "C1"), Target("slack", "C1")]
    assert store.articles.record(a, alert_for(a), targets)
    # Seen meanwhile (e.g. two feeds carried it): nothing more is written.
    assert not store.articles.record(article(guid="urn:dup"), alert_for(a, "a2"), targets)
    assert store.outbox.delivery_counts() == {"pending": 2}


def test_outbox_claim_retry_fail_and_crash_recovery(store: Repositories) -> None:
    a = article()
    store.articles.record(a, alert_for(a), [Target("console", "terminal"), Target("slack", "C1")])
    claimed = store.outbox.claim_due(["console"])
    assert [d.target for d in claimed] == [Target("console", "terminal")]
    assert claimed[0].alert.quotes[0].speaker == "a spokesman"
    assert claimed[0].alert.matches[0].spans == ((0, 11),)
    # Claimed rows are not handed out twice.
    assert store.outbox.claim_due(["console"]) == []
    # A crash while in flight: the next start requeues it.
    assert store.outbox.release_in_flight() == 1
    again = store.outbox.claim_due(["console"])
    assert again[0].attempts == 2
    store.outcomes.mark_retry(again[0].id, "HTTP 503", timedelta(minutes=5))
    assert store.outbox.claim_due(["console"]) == []
    later = store.outbox.claim_due(["console"], now=utcnow() + timedelta(minutes=6))
    assert len(later) == 1
    store.outcomes.mark_sent(later[0].id, "msg-1")
    slack = store.outbox.claim_due(["slack"])
    store.outcomes.mark_failed(slack[0].id, "channel_not_found")
    assert store.outbox.delivery_counts() == {"sent": 1, "failed": 1}


def test_recent_alerts_filter_by_item_and_time(store: Repositories) -> None:
    a1, a2 = article("urn:1", text="one", url=None), article("urn:2", text="two", url=None)
    store.articles.record(a1, alert_for(a1, "x1", ("north-korea", "kursk")))
    store.articles.record(a2, alert_for(a2, "x2", ("russia",)))
    since = utcnow() - timedelta(hours=1)
    assert {al.id for al in store.history.recent_alerts(since)} == {"x1", "x2"}
    assert [al.id for al in store.history.recent_alerts(since, item_id="kursk")] == ["x1"]
    assert store.history.recent_alerts(utcnow() + timedelta(seconds=1)) == []


def test_subscriptions_route_by_item(store: Repositories) -> None:
    news = Target("slack", "C-news")
    desk = Target("discord", "42")
    assert store.subscriptions.subscribe(news, "kursk", "U1")
    assert not store.subscriptions.subscribe(news, "kursk", "U1")
    store.subscriptions.subscribe(desk, "all")
    assert set(store.subscriptions.subscribed_targets(["kursk"])) == {news, desk}
    assert store.subscriptions.subscribed_targets(["russia"]) == [desk]
    assert store.subscriptions.unsubscribe(news) == 1
    assert store.subscriptions.subscriptions(news) == []


def test_feed_state_round_trip(store: Repositories) -> None:
    url = "https://wire.example.org/rss"
    assert store.feeds.feed_state(url) is None
    store.feeds.update_feed(url, etag='"abc"', last_modified="Tue, 05 Nov 2024 14:03:00 GMT")
    store.feeds.update_feed(url, consecutive_failures=2, last_error="HTTP 503")
    st = store.feeds.feed_state(url)
    assert st is not None
    assert (st.etag, st.consecutive_failures, st.first_poll_done) == ('"abc"', 2, False)
    with pytest.raises(ValueError):
        store.feeds.update_feed(url, bogus=1)


def test_an_in_memory_store_is_one_database_for_every_thread() -> None:
    import threading

    s = open_store("sqlite:///:memory:")
    a = article()
    s.articles.record(a, alert_for(a), [Target("console", "terminal")])
    seen: list[bool] = []
    t = threading.Thread(target=lambda: seen.append(is_seen(s, a)))
    t.start()
    t.join(timeout=10)
    assert seen == [True]
    s.close()


def test_two_processes_recording_the_same_story_alert_it_once(db_url: str) -> None:
    """`newsbot run` and `newsbot scan --once` may share the file: one of them wins."""
    import threading

    url = db_url
    stores = [open_store(url) for _ in range(4)]
    # The same story under four guids (four feeds): only content and URL tie them together.
    copies = [article(guid=f"urn:feed{i}:1") for i in range(4)]
    copies = [replace(c, url="https://wire.example.org/world/1") for c in copies]
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def go(i: int) -> None:
        barrier.wait()
        results.append(stores[i].articles.record(copies[i], alert_for(copies[i], f"a{i}"), [Target("console", "t")]))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [False, False, False, True]
    assert stores[0].outbox.delivery_counts() == {"pending": 1}
    for s in stores:
        s.close()


def test_recording_a_prefiltered_batch_survives_a_writer_that_got_there_first(
    db_url: str,
) -> None:
    """``record_seen(filtered=True)`` skips the second lookup; if another process recorded
    one of the articles in between, the unique guid refuses the batch and it is filtered."""

    url = db_url
    mine, theirs = open_store(url), open_store(url)
    batch = [Article("feed:x", "X", f"g{i}", f"Title {i}", f"Body {i}") for i in range(5)]
    fresh = mine.articles.filter_new(batch)
    assert theirs.articles.record_seen(batch[2:3]) == 1  # the other process wins one article
    assert mine.articles.record_seen(fresh, filtered=True) == 4
    assert mine.articles.filter_new(batch) == []
    mine.close()
    theirs.close()


# --- values from outside, as PostgreSQL takes them -----------------------------------------


def test_over_long_values_from_a_feed_and_a_chat_are_stored_and_still_deduplicated(
    store: Repositories,
) -> None:
    """PostgreSQL refuses a value longer than its VARCHAR, or an index entry over ~2.7 kB;
    SQLite takes anything. Neither may refuse what a feed or a chat platform sends."""
    korean = "북한군 쿠르스크 파병 관련 속보 " * 200  # 3,600 characters, ~9.6 kB in UTF-8
    long_url = "https://wire.example.org/world/story?" + "&".join(
        f"utm_param{i}=campaign-value-{i}" for i in range(300)
    )
    first = article(guid=korean + "1", url=long_url, title="Kursk: " + korean[:300],
                    language="ko-KR-x-" + "wire" * 40)
    # Same 3,600-character start, another ending: a different item, not a duplicate.
    second = article(guid=korean + "2", url=long_url + "&page=2", text="Another dispatch.")
    assert store.articles.record(first, alert_for(first), [Target("slack", "C" * 400)])
    assert store.articles.filter_new([first, second]) == [second]
    assert store.articles.record_seen([second], filtered=True) == 1
    assert store.articles.filter_new([first, second]) == []  # the next poll of the feed: nothing new
    assert not store.articles.record(first, alert_for(first, "again"))
    assert is_seen(store, first) and is_seen(store, second)

    feed = "https://wire.example.org/rss"
    store.feeds.update_feed(
        feed,
        name="Wire Example — " + "all the news " * 100,
        etag='"' + "e" * 2000 + '"',
        last_modified="Tue, 05 Nov 2024 14:03:00 GMT" + " " * 300,
        current_url="https://wire.example.org/moved?" + "x" * 3000,
        last_error="HTTP 500: " + "<html>" * 2000,
    )
    state = store.feeds.feed_state(feed)
    assert state is not None
    assert state.name is not None and len(state.name) <= 512 and state.name.endswith("…")
    assert state.name.startswith("Wire Example — all the news")
    # A cut validator or address would be wrong; without one the next poll is a plain GET.
    assert (state.etag, state.last_modified, state.current_url) == (None, None, None)

    channel = Target("discord", "9" * 300)
    assert store.subscriptions.subscribe(channel, "north-korea-" + "x" * 200, "U" * 500)
    assert not store.subscriptions.subscribe(channel, "north-korea-" + "x" * 200)  # the same, found
    assert store.subscriptions.unsubscribe(channel) == 1

    (delivery,) = store.outbox.claim_due(["slack"])
    store.outcomes.mark_sent(delivery.id, "m" * 300)  # a message id nobody could edit by
    assert store.outbox.delivery_counts() == {"sent": 1}


def test_nul_and_broken_characters_from_a_feed_are_cleaned_before_they_are_written(
    store: Repositories,
) -> None:
    """PostgreSQL text cannot hold NUL; no database can encode a lone surrogate."""
    dirty = article(
        guid="urn:wire:\x00nul",
        title="Kursk\x00 offensive stalls",
        url="https://wire.example.org/world/nul\x00",
        text="Officials said\x00 the offensive stalled.",
    )
    alert = replace(alert_for(dirty), quotes=(Quote("We will\x00 hold", "a spokesman\x00"),))
    assert store.articles.record(dirty, alert, [Target("console", "terminal")])
    assert is_seen(store, dirty)
    assert store.articles.filter_new([dirty]) == []
    (stored,) = store.history.recent_alerts(utcnow() - timedelta(hours=1))
    assert stored.title == "Kursk offensive stalls"
    assert (stored.quotes[0].text, stored.quotes[0].speaker) == ("We will hold", "a spokesman")

    store.feeds.update_feed("https://wire.example.org/rss", name="Wire\x00 Exa\udc80mple",
                      etag='"a\x00b"', last_error="bad byte \x00 at 12")
    state = store.feeds.feed_state("https://wire.example.org/rss")
    assert state is not None
    assert (state.name, state.etag, state.last_error) == ("Wire Exa?mple", None, "bad byte  at 12")


def test_several_instances_recording_copies_of_the_same_stories_alert_each_once(
    db_url: str,
) -> None:
    """Four stores (four processes' engines) take the same 25 stories, each story copied by
    four outlets under their own guids, at the same moment: every story is alerted once.
    On PostgreSQL only the advisory lock makes "seen?" and "record" one step."""
    import threading

    stores = [open_store(db_url) for _ in range(4)]
    stories = 25
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def outlet(i: int) -> None:
        try:
            barrier.wait()
            for n in range(stories):
                copy = article(
                    guid=f"urn:outlet{i}:{n}",
                    title=f"Story {n}: shells shipped north",
                    text=f"Story {n}. North Korea shipped artillery shells, officials said.",
                    url=f"https://outlet{i}.example/{n}" if n % 2 else None,
                )
                if n % 2:  # half the copies share nothing but their words...
                    copy = replace(copy, text=copy.text)
                else:  # ...the others share the wire's URL, with edited words
                    copy = replace(copy, url=f"https://wire.example.org/{n}",
                                   text=f"{copy.text} (outlet {i})")
                stores[i].articles.record(copy, alert_for(copy, f"s{n}-o{i}"), [Target("slack", "C1")])
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=outlet, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    alerts = stores[0].history.recent_alerts(utcnow() - timedelta(hours=1), limit=1000)
    per_story: dict[str, int] = {}
    for al in alerts:
        story = al.id.split("-")[0]
        per_story[story] = per_story.get(story, 0) + 1
    assert per_story == {f"s{n}": 1 for n in range(stories)}
    assert stores[0].outbox.delivery_counts() == {"pending": stories}
    for s in stores:
        s.close()


def test_a_joining_copy_queues_the_channels_of_its_new_items_once(store: Repositories) -> None:
    """A near-copy naming Kursk joins the North Korea alert: the Kursk channel is queued the
    alert with the join (one transaction), a channel that has the alert already is not,
    and a later copy queues nobody again; the alert then names both items."""
    a = article()
    alert = alert_for(a)
    nk, kursk = Target("slack", "C-NK"), Target("slack", "C-KURSK")
    assert store.articles.record(a, alert, [nk], fingerprint="0f0f0f0f0f0f0f0f")
    both = alert_for(a, items=("north-korea", "kursk")).matches
    targets_of = {"north-korea": [nk], "kursk": [nk, kursk]}

    copy = article("urn:other:2", source_name="Other Outlet", text=a.text + " Near Kursk too.")
    joined = store.articles.join_story(copy, alert.id, both, targets_of)
    assert joined is not None and joined.queued == 1 and joined.changed
    assert joined.alert.item_ids == ("north-korea", "kursk")
    claimed = store.outbox.claim_due(["slack"])
    assert sorted(d.target.channel for d in claimed) == ["C-KURSK", "C-NK"]
    assert {d.alert.item_ids for d in claimed} == {("north-korea", "kursk")}

    third = article("urn:third:3", source_name="Third Outlet", text=a.text + " Kursk, again.")
    again = store.articles.join_story(third, alert.id, both, targets_of)
    assert again is not None and again.queued == 0
    assert store.outbox.delivery_counts() == {"sending": 2}


def test_a_join_that_dies_midway_leaves_neither_the_seen_mark_nor_the_new_delivery(
    store: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's seen mark, the alert's new item and the Kursk channel's delivery are one
    transaction: a crash between them leaves none, so the copy is matched again and the
    channel is neither forgotten nor doubled."""
    a = article()
    alert = alert_for(a)
    nk, kursk = Target("slack", "C-NK"), Target("slack", "C-KURSK")
    assert store.articles.record(a, alert, [nk], fingerprint="0f0f0f0f0f0f0f0f")
    both = alert_for(a, items=("north-korea", "kursk")).matches
    copy = article("urn:other:2", source_name="Other Outlet", text=a.text + " Near Kursk too.")

    def crash(*_: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as m:
        m.setattr("bot.store.articles.queue_updates", crash)
        with pytest.raises(RuntimeError):
            store.articles.join_story(copy, alert.id, both, {"kursk": [kursk]})
    assert not is_seen(store, copy)
    assert get_alert(store, alert.id) == alert
    assert store.outbox.delivery_counts() == {"pending": 1}

    joined = store.articles.join_story(copy, alert.id, both, {"kursk": [kursk]})
    assert joined is not None and joined.queued == 1
    assert store.outbox.delivery_counts() == {"pending": 2}


def test_a_paused_feed_is_claimed_by_no_instance_until_resumed(store: Repositories) -> None:
    urls = ["https://wire.example.org/rss", "https://paused.example.org/rss"]
    t0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    store.feeds.ensure_feeds(dict.fromkeys(urls, t0))
    store.feeds.pause_feed(urls[1], True, now=t0)
    state = store.feeds.feed_state(urls[1])
    assert state is not None and state.paused_at == t0
    lease = timedelta(minutes=1)
    assert store.feeds.claim_feeds(urls, "a", lease, 5, now=t0) == urls[:1]
    assert store.feeds.claim_feeds(urls, "b", lease, 5, now=t0) == []
    # Nothing due but the paused one: the scheduler is not woken for it.
    assert store.feeds.next_feed_due(urls[1:]) is None
    store.feeds.pause_feed(urls[1], False)
    assert store.feeds.claim_feeds(urls, "b", lease, 5, now=t0) == urls[1:]
    # Pausing a feed never polled yet keeps it from its first poll too.
    store.feeds.pause_feed("https://new.example.org/rss", True)
    assert store.feeds.claim_feeds(["https://new.example.org/rss"], "a", lease, 5) == []


def test_items_per_feed_since_a_time(store: Repositories) -> None:
    now = utcnow()
    feed = "https://wire.example.org/rss"
    for i in range(3):
        a = article(f"urn:wire:{i}", text=f"Story number {i} from the wire.")
        store.articles.record(a, None, [])
    store.articles.record(article("urn:files:1", source_id="files:seeds", text="A seed."), None, [])
    assert store.feeds.items_since(now - timedelta(minutes=5)) == {feed: 3}
    assert store.feeds.items_since(now + timedelta(minutes=5)) == {}
