"""One alert per story: the same wire dispatch from several outlets is one alert."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.stories import distance, find_story, fingerprint
from tests.localserver import FeedServer, rss
from tests.test_feed_polling import make_bot

ROOT = Path(__file__).resolve().parents[1]
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
