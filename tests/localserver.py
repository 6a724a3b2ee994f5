"""A local HTTP publisher for tests: 127.0.0.1, port 0, shut down after use.

Routes are plain functions of the request handler; every request is recorded so tests can
assert on what the bot sent (conditional-GET headers, user agent).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FeedServer:
    """Routes are plain functions of the request handler; requests are recorded."""

    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def static(
        self,
        path: str,
        body: bytes,
        status: int = 200,
        content_type: str = "application/rss+xml",
        etag: str | None = None,
        **headers: str,
    ) -> None:
        """Fixed bytes; with ``etag``, a matching If-None-Match gets a 304 like a real CDN."""

        def handle(h: BaseHTTPRequestHandler) -> None:
            if etag is not None and h.headers.get("If-None-Match") == etag:
                h.send_response(304)
                h.send_header("ETag", etag)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(status)
            if etag is not None:
                h.send_header("ETag", etag)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                h.send_header(k.replace("_", "-"), v)
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = handle

    def feed_file(self, path: str, name: str, content_type: str = "application/rss+xml") -> None:
        self.static(path, (FEEDS / name).read_bytes(), content_type=content_type)

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        def handle(h: BaseHTTPRequestHandler) -> None:
            h.send_response(status)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = handle


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path.split("?", 1)[0])
            if route is None:
                self.send_error(404)
                return
            # The client may hang up on purpose (size limit, timeout).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                route(self)

        do_POST = do_GET  # a route reads ``h.command`` and the body when it cares

        def log_message(self, format: str, *args: object) -> None:
            pass

    return H

@contextlib.contextmanager
def serve() -> Iterator[FeedServer]:
    """Run a FeedServer in a background thread for the duration of the block."""
    fs = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(fs))
    httpd.daemon_threads = True
    fs.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fs
    finally:
        fs.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released).

    Do not use it for a server of your own: another process may take the port between
    its release and your bind. Bind port 0 and read the port back; for a port that must
    refuse connections, use the ``closed_port`` fixture (held for the whole test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def trickle(stop: threading.Event, seconds: float = 3.0) -> Handler:
    """A server that sends headers, then one byte every 0.1s: defeats per-read timeouts."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            h.wfile.write(b" ")
            h.wfile.flush()
            stop.wait(0.1)

    return handle


def endless(total: int, declare_length: bool, sent: list[int] | None = None) -> Handler:
    """A huge body generated lazily, 64 KB at a time, never held in memory. ``sent``, if
    given, gets the bytes written once the handler is done (the client hung up or all
    was sent): how much a client that stops early let through."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        if declare_length:
            h.send_header("Content-Length", str(total))
        h.end_headers()  # HTTP/1.0 without a length: the body ends when we close
        chunk = b"<!-- padding -->" * 4096
        written = 0
        try:
            h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while written < total:
                h.wfile.write(chunk)
                written += len(chunk)
        finally:
            if sent is not None:
                sent.append(written)

    return handle


def challenge_page(status: int = 403) -> Handler:
    """What an anti-bot service serves instead of the feed: an HTML interstitial."""
    body = (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
        b"<div id='challenge-platform'>Checking your browser before accessing the site."
        b"</div><noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
    )

    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "text/html; charset=UTF-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


@dataclass
class Gauge:
    """Counts requests in flight at once (for concurrency limits)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    now: int = 0
    peak: int = 0

    def slow(self, body: bytes, seconds: float = 0.2) -> Handler:
        def handle(h: BaseHTTPRequestHandler) -> None:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                time.sleep(seconds)
                h.send_response(200)
                h.send_header("Content-Type", "application/rss+xml")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)
            finally:
                with self.lock:
                    self.now -= 1

        return handle


def rss(items: list[dict[str, str]], title: str = "Local Wire", extra: str = "") -> bytes:
    """A small RSS 2.0 document from item dicts (``title``, ``link``, ``guid``,
    ``description``, ``pubDate``; any may be left out). Text is escaped as XML needs."""
    from xml.sax.saxutils import escape

    parts = []
    for item in items:
        fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items())
        parts.append(f"<item>{fields}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{escape(title)}</title>{extra}{''.join(parts)}</channel></rss>"
    ).encode()
