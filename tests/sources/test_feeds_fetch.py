"""fetch_feed against a real local HTTP server: caching, limits, errors, redirects."""

from __future__ import annotations

import asyncio
import time
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from bot.settings.model import Settings
from bot.settings.sections import FeedConfig
from bot.sources import netguard
from bot.sources.http import make_client
from bot.sources.poll import FeedResult, fetch_feed
from tests.localserver import FEEDS, FeedServer, endless, trickle

pytestmark = pytest.mark.network


def poll(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    timeout: float = 5.0,
    name: str | None = None,
) -> FeedResult:
    async def run() -> FeedResult:
        async with make_client(Settings(user_agent="newsbot-test/1")) as client:
            return await fetch_feed(
                client,
                FeedConfig(url=url, name=name),
                etag=etag,
                last_modified=last_modified,
                max_bytes=max_bytes,
                timeout=timeout,
            )

    return asyncio.run(run())


def test_ok_feed(feed_server: FeedServer) -> None:
    feed_server.feed_file("/rss.xml", "rss2_fr.xml")
    r = poll(feed_server.url("/rss.xml"))
    assert r.status == "ok", r.error
    assert r.error is None
    assert r.feed_title == "Le Quotidien d'Exemple – International"
    assert [a.guid for a in r.articles][0] == "quotidien-42"
    assert r.articles[0].source_id == f"feed:{feed_server.url('/rss.xml')}"
    assert r.final_url == feed_server.url("/rss.xml")
    assert not r.permanent_redirect
    path, headers = feed_server.requests[0]
    assert headers["user-agent"] == "newsbot-test/1"
    assert "if-none-match" not in headers


def test_configured_name_wins_over_feed_title(feed_server: FeedServer) -> None:
    feed_server.feed_file("/rss.xml", "rss2_fr.xml")
    r = poll(feed_server.url("/rss.xml"), name="Quotidien")
    assert {a.source_name for a in r.articles} == {"Quotidien"}


def test_feed_title_and_articles_carry_no_escape_codes(feed_server: FeedServer) -> None:
    feed_server.feed_file("/evil.xml", "escapes.xml")
    r = poll(feed_server.url("/evil.xml"))
    assert r.status == "ok", r.error
    assert r.feed_title is not None and r.feed_title.startswith("Evil News")
    shown = [r.feed_title] + [s or "" for a in r.articles for s in (a.title, a.location)]
    assert not any(c in s for s in shown for c in "\x1b\x07\x9b")


def test_etag_and_last_modified_round_trip(feed_server: FeedServer) -> None:
    body = (FEEDS / "atom_de.xml").read_bytes()
    lm = "Tue, 05 Nov 2024 17:30:00 GMT"

    def handle(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"' and h.headers.get("If-Modified-Since") == lm:
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/atom+xml")
        h.send_header("ETag", '"v1"')
        h.send_header("Last-Modified", lm)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    feed_server.routes["/atom"] = handle
    first = poll(feed_server.url("/atom"))
    assert first.status == "ok" and len(first.articles) == 2
    assert (first.etag, first.last_modified) == ('"v1"', lm)

    second = poll(feed_server.url("/atom"), etag=first.etag, last_modified=first.last_modified)
    assert second.status == "not_modified"
    assert second.articles == ()
    assert second.error is None
    assert (second.etag, second.last_modified) == ('"v1"', lm)
    sent = feed_server.requests[-1][1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == lm


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversize_response_refused(feed_server: FeedServer, declare_length: bool) -> None:
    sent: list[int] = []
    feed_server.routes["/big"] = endless(50 * 1024 * 1024, declare_length, sent)
    r = poll(feed_server.url("/big"), max_bytes=256 * 1024)
    assert r.status == "error"
    assert r.error == "response larger than 256 KB, refused"
    assert r.articles == ()
    # The bot hung up early: the server could write little beyond the socket buffers.
    deadline = time.monotonic() + 30
    while not sent and time.monotonic() < deadline:
        time.sleep(0.02)
    (written,) = sent
    assert written < 10 * 1024 * 1024


def test_slow_server_times_out(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = trickle(feed_server.stop)
    r = poll(feed_server.url("/slow"), timeout=0.5)
    assert r.status == "error"
    # The trickle keeps every read under the timeout for 3 s: only a deadline on the
    # whole poll ends it with this error (a per-read timeout would read it all).
    assert r.error == "timed out after 0.5s"


def test_html_instead_of_feed(feed_server: FeedServer) -> None:
    feed_server.static(
        "/", (FEEDS / "page.html").read_bytes(), content_type="text/html; charset=utf-8"
    )
    r = poll(feed_server.url("/"))
    assert (r.status, r.error) == ("error", "not a feed (got HTML)")


@pytest.mark.parametrize("status", [404, 500, 503])
def test_http_errors(feed_server: FeedServer, status: int) -> None:
    feed_server.static("/err", b"oops", status=status, content_type="text/plain")
    r = poll(feed_server.url("/err"), etag='"keep"')
    assert (r.status, r.error) == ("error", f"HTTP {status}")
    assert r.etag == '"keep"'  # a failed poll does not lose the validators


def test_unreachable_host(closed_port: int) -> None:
    r = poll(f"http://127.0.0.1:{closed_port}/feed.xml")
    assert r.status == "error"
    assert r.error == "cannot reach host 127.0.0.1 (connection refused)"


def test_dns_failure_is_one_clear_line() -> None:
    import socket

    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as e:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from e

    async def run() -> FeedResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as client:
            return await fetch_feed(
                client,
                FeedConfig(url="https://feeds.example.org/rss"),
                etag=None,
                last_modified=None,
                max_bytes=1000,
                timeout=2,
            )

    r = asyncio.run(run())
    assert r.error == "cannot reach host feeds.example.org (DNS lookup failed)"


def test_permanent_redirect_followed_and_flagged(feed_server: FeedServer) -> None:
    feed_server.feed_file("/new.xml", "rdf_ru.xml", content_type="application/rdf+xml")
    feed_server.redirect("/old.xml", "/new.xml", status=301)
    r = poll(feed_server.url("/old.xml"))
    assert r.status == "ok", r.error
    assert r.final_url == feed_server.url("/new.xml")
    assert r.permanent_redirect
    # Identity stays the configured URL until the caller stores the new one.
    assert r.articles[0].source_id == f"feed:{feed_server.url('/old.xml')}"


def test_temporary_redirect_not_flagged(feed_server: FeedServer) -> None:
    feed_server.feed_file("/new.xml", "rdf_ru.xml")
    feed_server.redirect("/a", "/b", status=301)
    feed_server.redirect("/b", "/new.xml", status=302)
    r = poll(feed_server.url("/a"))
    assert r.status == "ok" and r.final_url == feed_server.url("/new.xml")
    assert not r.permanent_redirect


@pytest.mark.parametrize("other_host", ["127.0.0.2", "localhost", "[::1]"])
def test_redirect_to_other_private_host_refused(feed_server: FeedServer, other_host: str) -> None:
    feed_server.feed_file("/rss.xml", "rss2_fr.xml")
    feed_server.redirect("/moved", feed_server.url("/rss.xml", host=other_host), status=302)
    r = poll(feed_server.url("/moved"))
    assert r.status == "error"
    assert r.error is not None and r.error.startswith("redirect to private address refused")
    assert [p for p, _ in feed_server.requests] == ["/moved"]  # never contacted


def test_redirect_to_other_public_host_followed(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A world where the loopback address is on the public internet.
    monkeypatch.setattr(netguard, "is_public_address", lambda ip: True)
    feed_server.feed_file("/rss.xml", "rss2_fr.xml")
    feed_server.redirect("/moved", feed_server.url("/rss.xml", host="localhost"), status=308)
    r = poll(feed_server.url("/moved"))
    assert r.status == "ok", r.error
    assert r.final_url == feed_server.url("/rss.xml", host="localhost")
    assert r.permanent_redirect


def test_redirect_to_a_name_is_vetted_as_the_connection_resolves_it(
    feed_server: FeedServer,
) -> None:
    """A redirect to a host name: no separate check that DNS could answer differently; the
    connection resolves once, vets the address, and connects only to that address."""
    feed_server.feed_file("/rss.xml", "rss2_fr.xml")
    feed_server.redirect("/moved", feed_server.url("/rss.xml", host="localhost"), status=308)
    r = poll(feed_server.url("/moved"))
    assert (r.status, r.error) == ("error", "redirect to private address refused (localhost)")
    assert [p for p, _ in feed_server.requests] == ["/moved"]


def test_redirect_loop_stops(feed_server: FeedServer) -> None:
    feed_server.redirect("/loop", "/loop", status=302)
    r = poll(feed_server.url("/loop"))
    assert (r.status, r.error) == ("error", "too many redirects (more than 5)")
    assert len(feed_server.requests) == 6


def test_redirect_to_other_scheme_refused(feed_server: FeedServer) -> None:
    feed_server.redirect("/ftp", "file:///etc/passwd", status=302)
    r = poll(feed_server.url("/ftp"))
    assert r.status == "error" and "refused" in (r.error or "")


def test_entity_expansion_refused(feed_server: FeedServer) -> None:
    feed_server.feed_file("/bomb.xml", "bomb.xml")
    r = poll(feed_server.url("/bomb.xml"))
    assert r.status == "error"
    assert r.error is not None and "entit" in r.error and "refused" in r.error


def test_gzip_body_counts_decompressed_size(feed_server: FeedServer) -> None:
    import gzip

    body = gzip.compress(b"<rss>" + b" " * (2 * 1024 * 1024) + b"</rss>")
    feed_server.static("/gz", body, content_type="application/rss+xml", Content_Encoding="gzip")
    r = poll(feed_server.url("/gz"), max_bytes=1024 * 1024)
    assert r.error == "response larger than 1 MB, refused"


def _poll_at(configured: str, current: str) -> FeedResult:
    async def run() -> FeedResult:
        async with make_client(Settings()) as client:
            return await fetch_feed(
                client,
                FeedConfig(url=configured),
                url=current,
                etag=None,
                last_modified=None,
                max_bytes=1 << 20,
                timeout=5,
            )

    return asyncio.run(run())


def test_fetch_from_stored_new_url_keeps_identity(feed_server: FeedServer) -> None:
    feed_server.feed_file("/new.xml", "rdf_ru.xml")
    r = _poll_at(feed_server.url("/old.xml"), feed_server.url("/new.xml"))
    assert r.status == "ok" and r.final_url == feed_server.url("/new.xml")
    assert {a.source_id for a in r.articles} == {f"feed:{feed_server.url('/old.xml')}"}


def test_stored_url_on_other_private_host_is_rechecked(feed_server: FeedServer) -> None:
    feed_server.feed_file("/new.xml", "rdf_ru.xml")
    r = _poll_at("https://feeds.example.org/rss", feed_server.url("/new.xml"))
    assert r.error == "fetch from private address refused (127.0.0.1)"
    assert feed_server.requests == []


def test_gzip_bomb_never_inflates_past_the_cap_in_memory(feed_server: FeedServer) -> None:
    """100 MB of gzip-compressed spaces (about 100 KB on the wire) against a 1 MB cap: the
    body is inflated in bounded steps, so the fetch never holds more than a few MB."""
    import gzip
    import tracemalloc

    bomb = gzip.compress(b"<rss>" + b" " * (100 * 1024 * 1024), compresslevel=9)
    feed_server.static("/bomb", bomb, content_type="application/rss+xml", Content_Encoding="gzip")
    tracemalloc.start()
    try:
        r = poll(feed_server.url("/bomb"), max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.error == "response larger than 1 MB, refused"
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB while fetching a 1 MB-capped feed"


@pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw"])
def test_compressed_feeds_are_read_whole(feed_server: FeedServer, encoding: str) -> None:
    import gzip
    import zlib

    xml = (FEEDS / "rss2_fr.xml").read_bytes()
    if encoding == "gzip":
        body = gzip.compress(xml)
    elif encoding == "deflate-zlib":
        body = zlib.compress(xml)
    else:
        z = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = z.compress(xml) + z.flush()
    header = encoding.split("-")[0]
    feed_server.static("/z", body, content_type="application/rss+xml", Content_Encoding=header)
    r = poll(feed_server.url("/z"))
    assert r.status == "ok", r.error
    assert r.feed_title == "Le Quotidien d'Exemple – International"
    assert feed_server.requests[0][1]["accept-encoding"] == "gzip, deflate"


def test_gzipped_anti_bot_page_is_still_recognised(feed_server: FeedServer) -> None:
    import gzip

    page = b"<html><title>Just a moment...</title>" + b"<p>padding</p>" * 20000 + b"</html>"
    feed_server.static(
        "/cf", gzip.compress(page), status=503, content_type="text/html", Content_Encoding="gzip"
    )
    r = poll(feed_server.url("/cf"))
    assert r.error == "blocked by an anti-bot page (HTTP 503)"
