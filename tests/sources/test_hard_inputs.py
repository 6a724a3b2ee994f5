"""The hard inputs of issue 6 that only had parser tests, now served over HTTP.

(Oversize, slow-loris, HTML, redirects and entity expansion over HTTP are in
test_feeds_fetch.py; all of them together in one poll cycle in tests/runtime/test_feed_polling.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.localserver import FEEDS, FeedServer
from tests.sources.test_feeds_fetch import poll

pytestmark = pytest.mark.network

CP1251 = (FEEDS / "cp1251_ru.xml").read_bytes()


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml",  # no charset at all: the XML declaration says windows-1251
        "text/xml; charset=utf-8",  # wrong charset
        "application/rss+xml; charset=iso-8859-1",  # wrong, and decodes without error
    ],
)
def test_missing_or_wrong_charset(feed_server: FeedServer, content_type: str) -> None:
    feed_server.static("/ru.xml", CP1251, content_type=content_type)
    r = poll(feed_server.url("/ru.xml"))
    assert r.status == "ok", r.error
    assert r.feed_title == "Областные ведомости"
    assert [a.title for a in r.articles] == ["Мэр открыл новый мост через реку"]


def test_no_declaration_and_no_charset_is_read_as_utf8(feed_server: FeedServer) -> None:
    body = (FEEDS / "rss2_fr.xml").read_bytes().split(b"?>", 1)[1]
    feed_server.static("/fr.xml", body, content_type="text/xml")
    r = poll(feed_server.url("/fr.xml"))
    assert r.feed_title == "Le Quotidien d'Exemple – International"


def test_truncated_xml_keeps_the_complete_items(feed_server: FeedServer) -> None:
    data = (FEEDS / "dates_ko.xml").read_bytes()
    feed_server.static("/cut.xml", data[: data.index(b"</item>", data.index(b"1002")) + 7])
    r = poll(feed_server.url("/cut.xml"))
    assert r.status == "ok", r.error
    assert [a.guid for a in r.articles] == ["news-example-1001", "news-example-1002"]


def test_truncated_before_any_item_is_an_error(feed_server: FeedServer) -> None:
    feed_server.static("/cut.xml", b'<?xml version="1.0"?><rss version="2.0"><chan')
    r = poll(feed_server.url("/cut.xml"))
    assert r.status == "error" and r.error and r.error.startswith(("not a feed", "malformed"))


def test_items_without_guid_or_link_and_dates_in_any_format(feed_server: FeedServer) -> None:
    feed_server.feed_file("/ko.xml", "dates_ko.xml")
    r = poll(feed_server.url("/ko.xml"))
    assert r.status == "ok", r.error
    est, iso, garbage, bare = r.articles
    assert est.published == datetime(2024, 11, 5, 19, 3, tzinfo=UTC)
    assert iso.published == datetime(2024, 11, 5, 13, 3, tzinfo=UTC)
    assert garbage.published is None and bare.published is None
    assert garbage.guid == "https://news.example.kr/a/1003"  # no guid: the link
    assert bare.url is None and bare.guid.startswith("sha256:")  # neither: the content
    assert poll(feed_server.url("/ko.xml")).articles[3].guid == bare.guid  # stable
