"""full_text: true — the article behind a teaser, fetched under the same rules as a feed."""

from __future__ import annotations

import asyncio
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.sources.fulltext import extract_text
from tests.localserver import FeedServer, endless, rss
from tests.runtime.test_feed_polling import make_bot, run

pytestmark = pytest.mark.network

ARTICLE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Bericht</title>
</head><body><nav><a href="/">Startseite</a> · <a href="/politik">Politik</a></nav>
<article><h1>Lieferungen über die Grenze</h1>
<p>Nordkorea hat nach Angaben des südkoreanischen Geheimdienstes weitere ballistische
Raketen und Artilleriegranaten an Russland geliefert. Die Lieferungen seien über den
Hafen Rason und per Bahn erfolgt, hieß es am Dienstag in Seoul.</p>
<p>„Die Lieferungen gehen weiter“, sagte ein Sprecher des Verteidigungsministeriums. Beobachter
erwarten, dass die Zusammenarbeit der beiden Länder in den kommenden Monaten weiter wächst.</p>
</article><footer>Impressum · Datenschutz</footer></body></html>""".encode()


def teaser(link: str) -> bytes:
    return rss(
        [{"title": "Bericht aus Seoul", "link": link, "guid": "t-1",
          "description": "Ein Bericht aus Seoul.",
          "pubDate": format_datetime(datetime.now(UTC) - timedelta(hours=1))}],
        title="Teaser Wire",
    )




def poll_with_full_text(tmp_path: Path, url: str) -> list[str]:
    bot, chat = make_bot(tmp_path, [url])
    feed = bot.settings.feeds[0].model_copy(update={"full_text": True})

    async def go() -> None:
        try:
            await bot.poll_feed(feed)
            await bot.deliver()
        finally:
            await bot.close()

    asyncio.run(go())
    return [a.title for a in chat.alerts]


def test_teaser_is_replaced_by_the_article_text(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.static("/a/1.html", ARTICLE, content_type="text/html; charset=utf-8")
    feed_server.static("/rss", teaser(feed_server.url("/a/1.html")))
    # The teaser mentions nothing watched; the article names North Korea and Russia.
    assert poll_with_full_text(tmp_path, feed_server.url("/rss")) == ["Bericht aus Seoul"]
    assert [p for p, _ in feed_server.requests] == ["/rss", "/a/1.html"]


def test_without_full_text_the_page_is_not_fetched(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.static("/a/1.html", ARTICLE, content_type="text/html; charset=utf-8")
    feed_server.static("/rss", teaser(feed_server.url("/a/1.html")))
    bot, chat = make_bot(tmp_path, [feed_server.url("/rss")])

    run(bot, bot.poll_feed(bot.settings.feeds[0]))
    assert [p for p, _ in feed_server.requests] == ["/rss"]


def test_article_link_to_another_private_host_is_refused(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.static("/a/1.html", ARTICLE, content_type="text/html; charset=utf-8")
    feed_server.static("/rss", teaser(feed_server.url("/a/1.html", host="localhost")))
    assert poll_with_full_text(tmp_path, feed_server.url("/rss")) == []
    assert [p for p, _ in feed_server.requests] == ["/rss"]  # never contacted


def test_oversized_article_page_is_refused(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.routes["/a/1.html"] = endless(50 * 1024 * 1024, declare_length=False)
    feed_server.static("/rss", teaser(feed_server.url("/a/1.html")))
    assert poll_with_full_text(tmp_path, feed_server.url("/rss")) == []


def test_extraction_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kw: object) -> None:
        raise AssertionError("trafilatura tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    text = extract_text(ARTICLE, "https://zeitung.example/a/1.html")
    assert text is not None
    assert text.startswith("Lieferungen über die Grenze") or "Nordkorea hat" in text
    assert "Impressum" not in text and "Startseite" not in text


def test_article_link_to_another_port_of_the_feeds_address_is_refused(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The admin vouched for 127.0.0.1 on the feed's port, not for every service there."""
    from tests.localserver import serve

    with serve() as internal:
        internal.static("/a/1.html", ARTICLE, content_type="text/html; charset=utf-8")
        feed_server.static("/rss", teaser(internal.url("/a/1.html")))
        assert poll_with_full_text(tmp_path, feed_server.url("/rss")) == []
        assert internal.requests == []


def hostile_page(tags: int = 40_000) -> bytes:
    """The article, and after it one paragraph of ``tags`` bold words: 0.4 MB that took
    trafilatura about a minute."""
    return ARTICLE.replace(b"</article>", b"<p>" + b"<b>Wort</b> " * tags + b"</p></article>")


def test_a_page_of_forty_thousand_tags_is_not_handed_to_the_extractor(
    tmp_path: Path, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.static("/a/1.html", hostile_page(), content_type="text/html; charset=utf-8")
    feed_server.static("/rss", teaser(feed_server.url("/a/1.html")))
    with caplog.at_level("INFO", logger="bot.runtime.poller"):
        # The teaser names nothing watched: no alert, and the poll did not wait a minute
        # for trafilatura (pytest's timeout would have said so on the old code).
        assert poll_with_full_text(tmp_path, feed_server.url("/rss")) == []
    assert "page too complex to extract (40" in caplog.text


def test_a_stuck_extraction_is_given_up_and_leaves_the_default_pool_free(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight pages whose extraction never ends: the poll gives up on them (the feed's
    teasers are used) and meanwhile the default executor, which store and delivery calls
    use, still runs work at once."""
    from bot.sources import fulltext

    release = threading.Event()
    entered = threading.Event()

    def stuck(html: bytes, url: str) -> str | None:
        entered.set()
        release.wait(60)
        return None

    monkeypatch.setattr(fulltext, "extract_text", stuck)
    monkeypatch.setattr(fulltext, "EXTRACT_DEADLINE", 0.3, raising=False)
    items = [
        {"title": f"Bericht {i} aus Seoul", "link": feed_server.url(f"/a/{i}.html"),
         "guid": f"t-{i}", "description": "Nordkorea und Russland: ein Bericht.",
         "pubDate": format_datetime(datetime.now(UTC) - timedelta(hours=1))}
        for i in range(8)
    ]
    for i in range(8):
        feed_server.static(f"/a/{i}.html", ARTICLE, content_type="text/html; charset=utf-8")
    feed_server.static("/rss", rss(items, title="Teaser Wire"))
    bot, chat = make_bot(tmp_path, [feed_server.url("/rss")])
    feed = bot.settings.feeds[0].model_copy(update={"full_text": True})

    async def go() -> str:
        try:
            poll = asyncio.create_task(bot.poll_feed(feed))
            async with asyncio.timeout(30):
                while not entered.is_set():
                    await asyncio.sleep(0.01)
            free = await asyncio.wait_for(asyncio.to_thread(lambda: "free"), 20)
            await asyncio.wait_for(poll, 60)
            await bot.deliver()
            return free
        finally:
            release.set()
            await bot.close()

    assert asyncio.run(go()) == "free"
    state = bot.store.feeds.feed_state(feed.url)
    assert state is not None and state.items_seen == 8  # ingested with their teasers
    assert chat.alerts  # (near-identical teasers may share one story's alert)
