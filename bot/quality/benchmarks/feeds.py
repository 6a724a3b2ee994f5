"""Feed polling benchmark: 1,000 local feeds x 20 items, 50 ms added latency per response.

The publisher is an aiohttp server in a separate process (so its CPU and memory are not
the bot's), listening on 127.0.0.1 and on further loopback addresses (127.0.0.2, ...) so
that the feeds live on 50 "hosts" and the per-host limit applies as it would in the wild.
It answers conditional GETs with 304 and counts the bytes it sends. The bot side is the
real ``NewsBot.poll_all`` with a temporary SQLite store and the configured watchlist.

Prints one table: wall time, responses, bytes and the bot's peak RSS for a first cycle (every
feed new) and a second one where nothing changed. Targets: < 15 s, < 5 s with >= 95% fewer
bytes, < 300 MB.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import resource
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FEEDS = int(os.environ.get("NEWSBOT_BENCH_FEEDS", "1000"))
ITEMS = 20
LATENCY = 0.05
HOSTS = 50

_SUBJECTS = ["Council", "Harbour authority", "School board", "Weather service", "Museum",
             "Rail operator", "Football club", "Hospital", "University", "Water utility"]
_VERBS = ["approves", "postpones", "announces", "reviews", "opens", "delays", "extends",
          "publishes", "cancels", "welcomes"]
_OBJECTS = ["new budget", "bridge repairs", "summer timetable", "exhibition", "tram line",
            "flood plan", "youth programme", "parking rules", "festival", "library hours"]


def feed_xml(index: int, now: datetime) -> bytes:
    """Feed ``index``: 20 distinct, invented local-news items, newest first."""
    items = []
    for j in range(ITEMS):
        k = index * ITEMS + j
        title = f"{_SUBJECTS[k % 10]} {_VERBS[k // 10 % 10]} {_OBJECTS[k // 100 % 10]} ({k})"
        body = (
            f"{title}. Officials said on Tuesday that the decision follows a public "
            f"consultation in district {k % 97}. Residents can comment until the end of the "
            f"month, and a second meeting is planned for item {k}."
        )
        when = now - timedelta(hours=2 * j)
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://news{index % HOSTS}.example/{index}/{j}</link>"
            f"<guid isPermaLink=\"false\">bench-{index}-{j}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {index}</title><link>https://news.example/{index}</link>"
        f"<language>en</language>{''.join(items)}</channel></rss>"
    ).encode()


def _serve(
    port_q: Any, stop: Any, counters: Any, hosts: list[str], per_feed: Any = None
) -> None:
    """The publisher process: aiohttp, one handler, ETag/304, 50 ms per response.

    ``per_feed``: a shared array counting the requests for each feed (double polls)."""
    from aiohttp import web

    now = datetime.now(UTC)
    bodies = [feed_xml(i, now) for i in range(FEEDS)]
    etags = [f'"b{i}-1"' for i in range(FEEDS)]

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(LATENCY)
        i = int(request.match_info["i"])
        with counters.get_lock():
            counters[0] += 1
        if per_feed is not None:
            with per_feed.get_lock():
                per_feed[i] += 1
        if request.headers.get("If-None-Match") == etags[i]:
            resp = web.Response(status=304, headers={"ETag": etags[i]})
            size = 0
        else:
            resp = web.Response(
                body=bodies[i], content_type="application/rss+xml", headers={"ETag": etags[i]}
            )
            size = len(bodies[i])
        # Approximate header bytes: status line, the headers we set and aiohttp's own.
        size += 160 + sum(len(k) + len(v) + 4 for k, v in resp.headers.items())
        with counters.get_lock():
            counters[1] += size
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{i}.xml", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, hosts[0], 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, port, backlog=1024).start()
        port_q.put(port)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await runner.cleanup()

    asyncio.run(main())


def _loopback_hosts(n: int) -> list[str]:
    """127.0.0.1 .. 127.0.0.n where the system routes them (Linux does); else just one."""
    hosts = ["127.0.0.1"]
    for k in range(2, n + 1):
        host = f"127.0.0.{k}"
        try:
            with socket.socket() as s:
                s.bind((host, 0))
        except OSError:
            return ["127.0.0.1"]
        hosts.append(host)
    return hosts


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _cycles(config: Path, db: str) -> list[tuple[float, int, int, int, float]]:
    from bot.runtime.bot import NewsBot
    from bot.settings.model import load_settings

    settings = load_settings(config, env={"NEWSBOT_DATABASE_URL": db})
    newsbot = NewsBot(settings, {})
    # Load the language pipelines first, as a running bot has long since done.
    from bot.nlp import analyze

    analyze("Warm-up", "The pipelines load once per process.", newsbot.watchlist, "en")
    # Time the matcher thread is busy matching and recording, to tell it apart from
    # fetching and parsing (it runs alongside them).
    import bot.runtime.bot

    matching = [0.0]
    real_ingest = bot.runtime.bot.ingest

    def timed(*args: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_ingest(*args, **kw)
        finally:
            matching[0] += time.perf_counter() - started

    bot.runtime.bot.ingest = timed
    out = []
    try:
        for _ in range(2):
            before = (COUNTERS[0], COUNTERS[1])
            matching[0] = 0.0
            started = time.perf_counter()
            results = await newsbot.poll_all()
            wall = time.perf_counter() - started
            failed = sum(1 for r in results if r is None or isinstance(r, BaseException))
            out.append(
                (wall, COUNTERS[0] - before[0], COUNTERS[1] - before[1], failed, matching[0])
            )
    finally:
        bot.runtime.bot.ingest = real_ingest
        await newsbot.close()
    return out


COUNTERS: Any = None


@contextmanager
def publishing(ctx: Any, interval: str, per_feed: Any = None) -> Iterator[tuple[Path, list[str], Any]]:
    """The publisher process and a bot home whose config lists its feeds: yields the
    config file, the loopback hosts and the shared (responses, bytes) counters; stops the
    publisher and removes the home afterwards."""
    counters = ctx.Array("q", [0, 0])
    hosts = _loopback_hosts(HOSTS)
    port_q = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(port_q, stop, counters, hosts, per_feed), daemon=True)
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    try:
        port = port_q.get(timeout=120)
        root = Path(__file__).resolve().parents[3]
        (tmp / "config").mkdir()
        shutil.copy(root / "config" / "watchlist.yaml", tmp / "config" / "watchlist.yaml")
        lines = [
            f"  - {{url: 'http://{hosts[i % len(hosts)]}:{port}/feed/{i}.xml', "
            f"interval: {interval}}}"
            for i in range(FEEDS)
        ]
        config = tmp / "config" / "newsbot.yaml"
        config.write_text(
            "watchlist: config/watchlist.yaml\nseeds: []\nfeeds:\n" + "\n".join(lines) + "\n"
            "routes: []\nfetch_timeout: 30s\n"
        )
        yield config, hosts, counters
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    global COUNTERS
    import logging

    logging.basicConfig(level=logging.WARNING)
    with publishing(mp.get_context("spawn"), "5m") as (config, hosts, COUNTERS):
        rss_before = _rss_mb()
        db = f"sqlite:///{config.parent.parent}/b.db"
        results = asyncio.run(_cycles(config, db))
        peak = _rss_mb()

    (w1, n1, b1, f1, m1), (w2, n2, b2, f2, m2) = results
    saved = 100 * (1 - b2 / b1) if b1 else 0.0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"feeds benchmark: {FEEDS} feeds x {ITEMS} items on {len(hosts)} loopback hosts, "
          f"{LATENCY * 1000:.0f} ms latency per response; load average {load} "
          f"on {os.cpu_count()} cores")
    print(f"{'cycle':<22}{'wall s':>8}{'matching s':>12}{'responses':>11}{'failed':>8}"
          f"{'bytes':>13}")
    print(f"{'1 (all new)':<22}{w1:>8.2f}{m1:>12.2f}{n1:>11}{f1:>8}{b1:>13,}")
    print(f"{'2 (unchanged, 304)':<22}{w2:>8.2f}{m2:>12.2f}{n2:>11}{f2:>8}{b2:>13,}")
    print(f"bytes saved by conditional GET: {saved:.1f}%")
    print(f"bot peak RSS: {peak:.0f} MB (after imports: {rss_before:.0f} MB)")
    print("matching s: time the matcher thread spent matching and recording new items")
    print("targets: cycle 1 < 15 s, cycle 2 < 5 s with >= 95% fewer bytes, RSS < 300 MB")


if __name__ == "__main__":  # pragma: no cover
    main()
