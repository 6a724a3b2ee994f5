"""What the feed fuzzer (``tests/sources/test_feed_fuzz.py``) found, one regular test each: an odd
byte in one item or one header costs that item or that header, never the feed, and never
an exception out of ``fetch_feed``."""

from __future__ import annotations

import logging

import pytest

from bot.settings.sections import FeedConfig
from bot.sources.feeds import parse_feed
from tests.localserver import FeedServer, rss
from tests.sources.test_feeds_fetch import poll

pytestmark = pytest.mark.network

FEED = FeedConfig(url="https://news.example/feed")
GOOD = {"title": "Kursk: shelling overnight", "guid": "k-1", "description": "Fighting near Kursk."}


def rss_raw(*items: str) -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>W</title>{body}</channel></rss>'.encode()


@pytest.mark.parametrize(
    "reference",
    [
        "&#xD800;",  # not well-formed XML: feedparser's loose parser reads the document
        "&#x110000;",
        "&#1114112;",
        "&#99999999999999999999;",
    ],
)
def test_a_character_reference_to_no_character_costs_one_character_not_the_feed(
    reference: str, caplog: pytest.LogCaptureFixture
) -> None:
    doc = rss_raw(
        f"<title>odd</title><guid>o-1</guid><description>&lt;p&gt;before {reference} after&lt;/p&gt;</description>",
        "<title>Kursk: shelling overnight</title><guid>k-1</guid><description>Fighting.</description>",
    )
    parsed = parse_feed(doc, url=FEED.url, feed=FEED)
    assert [a.guid for a in parsed.articles] == ["o-1", "k-1"]
    assert parsed.articles[0].text.startswith("before") and parsed.articles[0].text.endswith("after")
    assert not [r for r in caplog.records if r.exc_info]


def test_a_bad_character_reference_in_a_utf16_feed_is_mended_too() -> None:
    doc = rss_raw("<title>odd &#xD800; title</title><guid>o-1</guid>").decode()
    data = doc.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    parsed = parse_feed(data, url=FEED.url, feed=FEED)
    assert [a.title for a in parsed.articles] == ["odd \ufffd title"]


def test_a_link_no_url_parser_accepts_costs_the_link_not_the_feed() -> None:
    doc = rss_raw(
        "<title>odd link</title><guid>o-1</guid><link>http://[::1</link>",
        "<title>good</title><guid>g-1</guid><link>/news/1</link>",
    )
    data = doc.replace(b"<channel>", b'<channel><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="hub" href="http://[::1"/>')
    parsed = parse_feed(data, url=FEED.url, feed=FEED)
    assert [(a.guid, a.url) for a in parsed.articles] == [
        ("o-1", None),
        ("g-1", "https://news.example/news/1"),
    ]
    assert parsed.hub is None


def test_a_validator_that_is_not_ascii_is_not_sent_back(feed_server: FeedServer) -> None:
    """``ETag: ²`` was stored and sent as If-None-Match: every later poll raised."""
    feed_server.static("/feed", rss([GOOD]), etag=None, ETag="\u00b2", Last_Modified="d\u00e9c")
    first = poll(feed_server.url("/feed"))
    assert first.status == "ok"
    assert first.etag is None and first.last_modified is None
    again = poll(feed_server.url("/feed"), etag="\u00b2", last_modified="x" * 5000)  # stored before
    assert again.status == "ok"
    assert "if-none-match" not in feed_server.requests[-1][1]


@pytest.mark.parametrize("location", ["javascript:alert(1)", "http://[::1"])
def test_a_redirect_to_a_url_no_parser_accepts_fails_the_poll_in_words(
    feed_server: FeedServer, location: str
) -> None:
    """httpx reads a redirect's Location as it answers, before our vetting: a Location it
    cannot parse raised out of the poller (found by the feed fuzzer)."""
    feed_server.static("/moved", b"", status=301, Location=location)
    result = poll(feed_server.url("/moved"))
    assert result.status == "error"
    assert result.error is not None and "127.0.0.1" in result.error


def test_odd_retry_after_and_link_headers_are_ignored(
    feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    feed_server.static("/busy", b"slow down", status=429, content_type="text/plain", Retry_After="\u00b2")
    feed_server.static("/feed", rss([GOOD]), Link='<http://[::1>; rel="hub"')
    busy = poll(feed_server.url("/busy"))
    assert busy.status == "error" and busy.retry_after is None
    ok = poll(feed_server.url("/feed"))
    assert ok.status == "ok" and ok.hub is None
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("name", ["\x00UTF-8", "utf 8", "", "x" * 100])
def test_an_encoding_declaration_that_names_no_encoding_is_ignored(name: str) -> None:
    doc = rss_raw("<title>Kursk \u00e9t\u00e9</title><guid>k-1</guid>").replace(
        b'encoding="UTF-8"', b'encoding="' + name.encode() + b'"'
    )
    parsed = parse_feed(doc, url=FEED.url, feed=FEED)
    assert [a.title for a in parsed.articles] == ["Kursk \u00e9t\u00e9"]
