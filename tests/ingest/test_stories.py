"""One alert per story: the same wire dispatch from several outlets is one alert."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.chat.base import ChatAdapter
from bot.delivery.pacing import Pacing
from bot.delivery.worker import DeliveryWorker
from bot.ingest.pipeline import ingest
from bot.ingest.stories import MAX_DISTANCE, distance, find_story, fingerprint
from bot.models import Alert, Article, Digest, Target
from bot.nlp.watchlist import load_watchlist
from bot.settings.sections import RouteConfig
from bot.store.db import utcnow
from bot.store.repositories import open_store
from tests.localserver import FeedServer, rss
from tests.runtime.test_feed_polling import make_bot

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "seeds" / "000_b5e3709a28e5c677.txt").read_text(encoding="utf-8")
TITLE, _, BODY = SEED.partition("\n")


def edited(n: int) -> tuple[str, str]:
    """The seed as outlet ``n`` republishes it: its own headline, a dateline, a word or
    two changed, the last paragraph dropped by one of them."""
    body = BODY
    if n == 1:
        body = "MOSCOU, 1er novembre - " + body.replace("jeudi", "ce jeudi")
    if n == 2:
        body = "\n".join(body.splitlines()[:-1]).replace("milliers", "des milliers")
    titles = [TITLE, TITLE.replace("La Corée du Nord", "Pyongyang"), TITLE + " (dépêche)"]
    return titles[n], body


def test_small_edits_keep_the_fingerprint_close_and_other_stories_far() -> None:
    fps = [fingerprint(*edited(n)) for n in range(3)]
    assert all(fp is not None for fp in fps)
    other = fingerprint(
        "Le port de Rason accueille un troisième cargo",
        "Un navire battant pavillon étranger a accosté mardi dans le port de Rason, le "
        "troisième en une semaine, selon des images satellite analysées par des chercheurs "
        "qui suivent le trafic maritime de la région depuis plusieurs années et notent une "
        "activité inhabituelle sur les quais, où des grues déchargent des conteneurs.",
    )
    assert other is not None
    a, b, c = (fp for fp in fps if fp)
    assert distance(a, b) <= 5 and distance(a, c) <= 5
    assert distance(a, other) > 15
    assert find_story(b, [("x", other), ("seed", a)]) == "seed"
    assert find_story(other, [("seed", a)]) is None
    assert fingerprint("Short", "Too few words to say anything.") is None


def _feed(n: int, when: datetime) -> bytes:
    title, body = edited(n)
    return rss(
        [{"title": title, "link": f"https://outlet{n}.example/world/1", "guid": f"o{n}-1",
          "description": body, "pubDate": format_datetime(when)}],
        title=f"Outlet {n}",
    )


@pytest.mark.network
def test_three_outlets_one_alert_naming_three_sources(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    when = datetime.now(UTC) - timedelta(hours=1)
    for n in range(3):
        feed_server.static(f"/o{n}", _feed(n, when))
    urls = [feed_server.url(f"/o{n}") for n in range(3)]
    bot, chat = make_bot(tmp_path, urls)

    async def go() -> None:
        await bot.start()
        await bot.scan_once()

    asyncio.run(_closing(bot, go()))
    assert len(chat.alerts) == 1  # one post; copies that came after it edited it
    shown = chat.updates[-1][1] if chat.updates else chat.alerts[0]
    assert {shown.source_name, *shown.also_in} == {"Outlet 0", "Outlet 1", "Outlet 2"}
    assert len(shown.also_in) == 2
    assert all(message_id == "m1" for message_id, _ in chat.updates)


@pytest.mark.network
def test_a_later_copy_edits_the_posted_message(tmp_path: Path, feed_server: FeedServer) -> None:
    when = datetime.now(UTC) - timedelta(hours=1)
    feed_server.static("/o0", _feed(0, when))
    feed_server.static("/o1", rss([], title="Outlet 1"))
    bot, chat = make_bot(tmp_path, [feed_server.url("/o0"), feed_server.url("/o1")])
    later = bot.settings.feeds[1]

    async def go() -> None:
        await bot.start()
        await bot.scan_once()  # outlet 0 alerts and is posted as message m1
        feed_server.static("/o1", _feed(1, when))
        await bot.poll_feed(later)  # outlet 1 carries the same story: no new alert
        await bot.deliver()

    asyncio.run(_closing(bot, go()))
    assert [a.source_name for a in chat.alerts] == ["Outlet 0"]
    assert len(chat.updates) == 1
    message_id, updated = chat.updates[0]
    assert message_id == "m1" and updated.also_in == ("Outlet 1",)


async def _closing(bot: object, coro: object) -> None:
    try:
        await coro  # type: ignore[misc]
    finally:
        await bot.close()  # type: ignore[attr-defined]


# -- a copy that names one more watch item ------------------------------------------------

WIRE_TITLE = "North Korea ships more artillery shells to Russia, officials say"
WIRE_BODY = (
    "SEOUL, Nov 14 - North Korea has sent another large consignment of artillery shells to "
    "Russia by rail and by sea in the past two weeks, two South Korean officials said on "
    "Thursday, adding to the millions of rounds that Seoul says Pyongyang has supplied since "
    "the summer of last year. The officials, who spoke on condition of anonymity because "
    "they were not authorised to brief reporters, said satellite images showed freight "
    "trains loading containers at a border station and a cargo ship leaving the port of "
    "Rajin. Moscow and Pyongyang have denied any arms trade, which would breach United "
    "Nations sanctions. The defence ministry in Seoul declined to comment on the report, "
    "saying only that it was watching military cooperation between the two countries "
    "closely together with its allies."
)
KURSK_SENTENCE = (
    " Some of the shells were seen at depots near Kursk, one of the officials added."
)


def _outlet(n: int, body: str) -> Article:
    return Article(
        source_id=f"feed:https://outlet{n}.example/world.rss",
        source_name=f"Outlet {n}",
        guid=f"https://outlet{n}.example/world/nk-shells",
        title=WIRE_TITLE if n != 2 else WIRE_TITLE + " (update)",
        text=body,
        url=f"https://outlet{n}.example/world/nk-shells",
        published=datetime.now(UTC) - timedelta(minutes=30),
        language="en",
    )


@dataclass
class Chat(ChatAdapter):
    """Keeps what was posted and edited, per channel."""

    platform: str = "slack"
    posts: list[tuple[Target, Alert]] = field(default_factory=list)
    edits: list[tuple[Target, str, Alert]] = field(default_factory=list)

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        self.posts.append((target, alert))
        return f"m{len(self.posts)}"

    async def send_digest(self, target: Target, digest: Digest, key: str | None = None) -> str | None:
        raise AssertionError("no digest expected")

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        self.edits.append((target, message_id, alert))
        return message_id

    def posted_to(self, channel: str) -> list[Alert]:
        return [a for t, a in self.posts if t.channel == channel]


def test_a_copy_naming_one_more_item_alerts_that_items_channels_once(db_url: str) -> None:
    """Outlet 1's copy of the wire story adds a sentence naming Kursk: the story joins the
    wire's alert (one alert per story), and the channels that want Kursk, by route or by
    subscription, get the story's alert once, naming Kursk; the North Korea channel, which
    has it already, gets an edit, not a second post. A third copy changes neither."""
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    routes = [
        RouteConfig(platform="slack", channel="C-NK", items=["north-korea"]),
        RouteConfig(platform="slack", channel="C-KURSK", items=["kursk"]),
    ]
    copy = WIRE_BODY + KURSK_SENTENCE
    a, b = fingerprint(WIRE_TITLE, WIRE_BODY), fingerprint(WIRE_TITLE, copy)
    assert a is not None and b is not None and distance(a, b) <= MAX_DISTANCE
    store = open_store(db_url)
    try:
        store.subscriptions.subscribe(Target("slack", "C-SUB"), "kursk")
        chat = Chat()
        worker = DeliveryWorker(store.outbox, store.outcomes, {"slack": chat}, pacing=Pacing)

        def ingest_one(article: Article) -> None:
            ingest([article], store=store.articles, subscriptions=store.subscriptions, watchlist=watchlist, routes=routes)
            asyncio.run(worker.drain())

        ingest_one(_outlet(0, WIRE_BODY))
        (first,) = chat.posts
        assert first[0] == Target("slack", "C-NK") and "kursk" not in first[1].item_ids

        ingest_one(_outlet(1, copy))
        for channel in ("C-KURSK", "C-SUB"):
            (alert,) = chat.posted_to(channel)
            assert alert.id == first[1].id  # the story's alert, not a second one
            assert "Kursk" in [m.name for m in alert.matches]
            assert alert.also_in == ("Outlet 1",)
        assert len(chat.posted_to("C-NK")) == 1
        (edit,) = chat.edits
        assert edit[0] == Target("slack", "C-NK") and "kursk" in edit[2].item_ids
        assert [a.id for a in store.history.recent_alerts(utcnow() - timedelta(hours=1), "kursk")] == [
            first[1].id
        ]

        ingest_one(_outlet(2, copy))
        assert len(chat.posts) == 3  # nobody got a second post
        assert {t.channel for t, _, _ in chat.edits[1:]} == {"C-NK", "C-KURSK", "C-SUB"}
        assert all(e[2].also_in == ("Outlet 1", "Outlet 2") for e in chat.edits[1:])
    finally:
        store.close()
