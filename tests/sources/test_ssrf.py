"""Only the origin an admin wrote may be private: host names are vetted like any link.

Names resolve through a resolver the test injects (never the real DNS); every server is
on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from bot.settings.sections import FeedConfig
from bot.sources.netguard import PinnedTransport, Trust, is_public_address
from bot.sources.poll import FeedResult, fetch_feed
from tests.localserver import FeedServer, rss, serve

pytestmark = pytest.mark.network

INTERNAL = b"<html><body>internal admin console: db password in here</body></html>"
ITEM = {"title": "Hafen gesperrt", "link": "https://wire.example.com/a/1", "guid": "w-1",
        "description": "Der Hafen bleibt nach dem Sturm bis auf Weiteres gesperrt."}


def poll_with(feed: FeedConfig, answers: dict[str, list[str]]) -> tuple[FeedResult, list[str]]:
    """Poll ``feed`` with DNS answered from ``answers``; also returns the names looked up."""
    asked: list[str] = []

    async def resolver(host: str) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise OSError(-2, "Name or service not known")
        return answers[host]

    async def run() -> FeedResult:
        transport = PinnedTransport(limits=httpx.Limits(max_connections=4), resolver=resolver)
        async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
            return await fetch_feed(
                client, feed, etag=None, last_modified=None, max_bytes=1 << 20, timeout=5
            )

    return asyncio.run(run()), asked


@pytest.mark.parametrize("rebound", ["127.0.0.1", "::ffff:127.0.0.1"])
def test_configured_name_that_resolves_to_loopback_is_refused(
    feed_server: FeedServer, rebound: str
) -> None:
    """A public feed whose DNS answer turns into 127.0.0.1: the name is not trusted."""
    feed_server.static("/rss", INTERNAL, content_type="text/html")
    feed = FeedConfig(url=f"http://news.example.test:{feed_server.port}/rss")
    r, asked = poll_with(feed, {"news.example.test": [rebound]})
    assert (r.status, r.error) == ("error", "private address refused (news.example.test)")
    assert asked == ["news.example.test"]
    assert feed_server.requests == []  # never connected


def test_allow_private_lets_a_named_feed_on_the_operators_network(
    feed_server: FeedServer,
) -> None:
    feed_server.static("/rss", rss([ITEM]))
    feed = FeedConfig(url=f"http://wire.lan:{feed_server.port}/rss", allow_private=True)
    r, _ = poll_with(feed, {"wire.lan": ["127.0.0.1"]})
    assert r.status == "ok", r.error
    assert [a.guid for a in r.articles] == ["w-1"]


def test_allow_private_covers_only_the_configured_port(feed_server: FeedServer) -> None:
    with serve() as internal:
        internal.static("/", INTERNAL, content_type="text/html")
        feed_server.redirect("/rss", f"http://wire.lan:{internal.port}/", status=302)
        feed = FeedConfig(url=f"http://wire.lan:{feed_server.port}/rss", allow_private=True)
        r, _ = poll_with(feed, {"wire.lan": ["127.0.0.1"]})
        assert r.status == "error"
        assert r.error == "redirect to private address refused (wire.lan)"
        assert internal.requests == []


def test_redirect_to_another_port_of_the_configured_address_is_refused(
    feed_server: FeedServer,
) -> None:
    """The admin wrote 127.0.0.1:<feed port>; the same address on another port is another
    service (a database console, an admin API) and is not what they vouched for."""
    with serve() as internal:
        internal.static("/", INTERNAL, content_type="text/html")
        feed_server.redirect("/rss", internal.url("/"), status=302)
        feed = FeedConfig(url=feed_server.url("/rss"))
        r, asked = poll_with(feed, {})
        assert r.status == "error"
        assert r.error == "redirect to private address refused (127.0.0.1)"
        assert internal.requests == []
        assert asked == []  # literal addresses are never looked up


def test_configured_literal_address_keeps_working(feed_server: FeedServer) -> None:
    feed_server.static("/rss", rss([ITEM]))
    feed_server.redirect("/old", feed_server.url("/rss"), status=301)
    r, _ = poll_with(FeedConfig(url=feed_server.url("/old")), {})
    assert r.status == "ok", r.error
    assert r.permanent_redirect and r.final_url == feed_server.url("/rss")


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible
        "::169.254.169.254",
        "::10.0.0.1",
        "64:ff9b::127.0.0.1",  # NAT64: the gateway connects to the embedded address
        "64:ff9b::169.254.169.254",
        "64:ff9b::192.168.1.1",
        "64:ff9b:1::10.0.0.1",  # a local-use NAT64 prefix
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_private(address: str) -> None:
    assert is_public_address(ipaddress.IPv6Address(address)) is False


@pytest.mark.parametrize("address", ["64:ff9b::8.8.8.8", "2606:4700:4700::1111"])
def test_ipv6_forms_of_public_addresses_stay_public(address: str) -> None:
    assert is_public_address(ipaddress.IPv6Address(address)) is True


def test_trust_is_one_origin() -> None:
    trust = Trust.of("http://10.0.0.5:8080/rss")
    assert trust.allows_private("http://10.0.0.5:8080/other")
    assert not trust.allows_private("http://10.0.0.5:8081/rss")
    assert not trust.allows_private("https://10.0.0.5:8080/rss")
    assert not Trust.of("https://feeds.example.org/rss").allows_private(
        "https://feeds.example.org/rss"
    )
    named = Trust.of("https://wire.lan/rss", allow_private=True)
    assert named.allows_private("https://wire.lan:443/x")
    assert not named.allows_private("http://wire.lan/x")
