"""Web console page loads: each page of a console over a deployment's worth of state.

A temporary SQLite store holds 1,000 configured feeds (their health rows, some failing, a
tenth paused), 70,000 articles seen over the last 7 days (what 1,000 feeds bring in a
week: they make the Feeds page's items per day) and 500 chat subscriptions. The console
runs in this process on 127.0.0.1, port 0, as ``newsbot run`` serves it; a client logged
in with the start-up token loads each page ``ROUNDS`` times over loopback.

Prints the median and the slowest load per page (the time from request to the last byte,
as the client sees it: server time plus loopback), and the machine's load average. Target:
each page ≤ 300 ms (the median; the slowest of twenty on a busy machine is noise). The Try
page is measured with the seed article (matching with quotes, the three renderings); its
first load is reported apart: it comes once the console's background warm-up (spaCy, the
watchlist's languages) is done, as a person's first Try comes seconds after start-up, and
the warm-up's own time is reported too (it delays neither start-up nor any page).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

FEEDS = 1000
ARTICLES = 70_000
SUBSCRIPTIONS = 500
ROUNDS = 20
TARGET_MS = 300.0
ROOT = Path(__file__).resolve().parents[3]


def _seed_text() -> str:
    seed = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"
    if seed.exists():
        return seed.read_text(encoding="utf-8")
    return (  # an installed package without the repository's seeds: an invented dispatch
        "Pyongyang sends more shells to Moscow\n"
        "North Korea has shipped artillery shells to Russia for use near Kursk, two "
        "officials said on Monday. \u201cWe will stand with our Russian comrades until "
        "victory,\u201d Choe Son Hui said in Moscow."
    )


def _home(root: Path, feeds: int) -> Path:
    (root / "config").mkdir()
    (root / "seeds").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", root / "config" / "watchlist.yaml")
    config = root / "config" / "newsbot.yaml"
    config.write_text(yaml.safe_dump({
        "watchlist": "config/watchlist.yaml",
        "seeds": ["seeds"],
        "feeds": [
            {"url": f"http://127.0.0.1:9/feed/{i}.xml", "name": f"Local news {i}"}
            for i in range(feeds)
        ],
        "routes": [{"platform": "console", "channel": "terminal", "items": ["all"]}],
        "ops": {"enabled": False},
        "console": {"listen_port": 0},
    }))
    return config


def _fill(store: Any, feeds: int, articles: int, subscriptions: int) -> None:
    """Feed health rows, a week of articles, subscriptions: straight into the tables."""
    from sqlalchemy import insert

    from bot.models import Target
    from bot.store.db import utcnow
    from bot.store.schema import ArticleRow, FeedRow

    now = utcnow()
    with store.db.session.begin() as s:
        s.execute(insert(FeedRow), [
            {
                "url": f"http://127.0.0.1:9/feed/{i}.xml", "name": f"Local news {i}",
                "first_poll_done": True, "last_polled_at": now - timedelta(minutes=i % 5),
                "last_success_at": now - timedelta(minutes=i % 5 + (30 if i % 17 == 0 else 0)),
                "last_error": "HTTP 503" if i % 17 == 0 else None,
                "consecutive_failures": 3 if i % 17 == 0 else 0, "items_seen": 140,
                "next_poll_at": now + timedelta(minutes=5 - i % 5), "down_notified": False,
                "paused_at": now if i % 10 == 0 else None,
            }
            for i in range(feeds)
        ])
    rows = [
        {
            "source_id": f"feed:http://127.0.0.1:9/feed/{k % feeds}.xml", "guid": f"bench-{k}",
            "url": f"https://news.example/{k}", "content_hash": f"{k:064x}",
            "title": f"Council approves budget ({k})", "language": "en",
            "seen_at": now - timedelta(seconds=k * 7 * 86400 // articles), "alerted": False,
        }
        for k in range(articles)
    ]
    for i in range(0, len(rows), 5000):
        with store.db.session.begin() as s:
            s.execute(insert(ArticleRow), rows[i:i + 5000])
    items = ["north-korea", "kursk", "arms-transfers", "all"]
    for n in range(subscriptions):
        store.subscriptions.subscribe(Target("slack", f"C{n:08d}"), items[n % len(items)], user="U1")


async def _measure(url: str, token: str, seed: str, rounds: int) -> dict[str, list[float]]:
    import aiohttp

    timings: dict[str, list[float]] = {}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, base_url=url) as s:
        async with s.get(f"/?token={token}") as resp:
            assert resp.status == 200, resp.status
            html = await resp.text()
        csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]

        async def timed(name: str, method: str, path: str, data: Any = None) -> None:
            start = time.perf_counter()
            async with s.request(method, path, data=data) as resp:
                await resp.read()
                assert resp.status == 200, (path, resp.status)
            timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)

        form = {"csrf": csrf, "text": seed}
        await timed("/try (first)", "POST", "/try", form)
        for _ in range(rounds):
            await timed("/try (form)", "GET", "/try")
            await timed("/try (seed article)", "POST", "/try", form)
            await timed("/feeds", "GET", "/feeds")
            await timed("/subscriptions", "GET", "/subscriptions")
            await timed("/watchlist", "GET", "/watchlist")
            await timed("/alerts (the latest)", "GET", "/alerts")
            await timed("/alerts (words, seen too)", "GET", "/alerts?q=budget+council&seen=1")
            await timed("/login", "GET", "/login")
    return timings


def main(
    feeds: int = FEEDS, articles: int = ARTICLES, subscriptions: int = SUBSCRIPTIONS,
    rounds: int = ROUNDS,
) -> None:
    import logging

    from bot.runtime.bot import NewsBot
    from bot.settings.model import load_settings

    logging.basicConfig(level=logging.WARNING)
    out = Console()
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-console-") as tmp:
        root = Path(tmp)
        config = _home(root, feeds)
        settings = load_settings(config, env={"NEWSBOT_DATABASE_URL": f"sqlite:///{root}/b.db"})
        bot = NewsBot(settings, {}, config_path=config)
        _fill(bot.store, feeds, articles, subscriptions)
        server = bot.web_console.server(env={})
        server.announce = lambda line: None

        async def run() -> tuple[dict[str, float], dict[str, list[float]]]:
            start = time.perf_counter()
            await server.start()
            started = (time.perf_counter() - start) * 1000
            try:
                assert server.url and server.auth.token
                if server.warming is not None:
                    await server.warming
                warmed = (time.perf_counter() - start) * 1000
                timings = await _measure(
                    server.url.rstrip("/"), server.auth.token, _seed_text(), rounds
                )
                return {"start-up (listening)": started, "warm-up done (background)": warmed}, timings
            finally:
                await server.stop()

        phases, timings = asyncio.run(run())
        bot.store.close()
    out.print(
        f"web console page loads ({feeds:,} feeds, {articles:,} articles in 7 days, "
        f"{subscriptions} subscriptions; {rounds} loads each; target ≤ {TARGET_MS:.0f} ms):",
        markup=False, highlight=False, soft_wrap=True,
    )
    for name, ms in phases.items():
        out.print(f"  console {name:<26} {ms:7.1f} ms after start", markup=False, highlight=False)
    for name, values in timings.items():
        median = statistics.median(values)
        verdict = "ok" if median <= TARGET_MS else "OVER"
        out.print(
            f"  {name:<28} median {median:7.1f} ms   slowest {max(values):7.1f} ms   {verdict}",
            markup=False, highlight=False, soft_wrap=True,
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out.print(
        f"  (load average {load:.1f} on {os.cpu_count()} CPUs while measuring: on a shared "
        "machine the slowest loads are other processes' time)",
        markup=False, highlight=False, soft_wrap=True,
    )
