"""``newsbot bench search``: full-text search over 100,000 stored articles, and what the
search index costs ingest.

The articles are the matching benchmark's generated stream (ten languages, 500 to 5,000
characters), recorded as seen through ``ArticleRepository.record_seen`` into a fresh SQLite
file (and PostgreSQL when ``NEWSBOT_BENCH_POSTGRES`` names a database); the same batches
are recorded once more with the index's triggers dropped, to measure its cost. Then a mix
of searches (names, places, common and rare words, every language) runs, and p50/p95 are
printed. Target: p95 <= 200 ms.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from bot.quality.benchmarks.stream import make_stream
from bot.store.repositories import Repositories, open_store

ARTICLES = 100_000
BATCH = 500
QUERIES = (
    "Koursk", "Kursk", "Курск", "쿠르스크", "북한", "Corée du Nord", "Nordkorea", "Pyongyang",
    "missiles", "Choe Son Hui", "Blinken", "Moscou", "Waffenlieferungen", "КНДР", "the",
    "munitions artillerie", "ministre", "Russia Ukraine", "zzzz", "accord", "soldats",
)


def _articles(count: int) -> list:
    base = make_stream(min(count, 10_000))
    out = []
    for i in range(count):
        doc = base[i % len(base)]
        a = doc.article
        out.append(replace(a, guid=f"{a.guid}#{i}", text=f"{a.text} ({i})",
                           url=f"https://bench.example.org/{i}"))
    return out


def _fill(store: Repositories, articles: list, label: str) -> float:
    started = time.perf_counter()
    for i in range(0, len(articles), BATCH):
        store.articles.record_seen(articles[i : i + BATCH], filtered=True)
    took = time.perf_counter() - started
    print(f"{label}: {len(articles)} articles in {took:.1f}s = {len(articles) / took:,.0f} docs/s")
    return took


def _searches(store: Repositories, label: str) -> None:
    times: list[float] = []
    for _ in range(3):
        for q in QUERIES:
            started = time.perf_counter()
            store.search.seen(q)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{label}: {len(times)} searches, p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms (target p95 <= 200 ms)")


def main(count: int = ARTICLES) -> None:
    articles = _articles(count)
    with tempfile.TemporaryDirectory() as tmp:
        plain = open_store(f"sqlite:///{Path(tmp)}/plain.db")
        with plain.db.engine.begin() as conn:
            for trigger in ("insert", "delete", "update"):
                conn.execute(text(f"DROP TRIGGER articles_fts_{trigger}"))
        without = _fill(plain, articles, "sqlite ingest without the index")
        plain.close()
        store = open_store(f"sqlite:///{Path(tmp)}/search.db")
        with_index = _fill(store, articles, "sqlite ingest with the index")
        print(f"index cost: {100 * (with_index / without - 1):+.0f}% ingest time")
        _searches(store, "sqlite")
        store.close()
    url = os.environ.get("NEWSBOT_BENCH_POSTGRES")
    if url:
        pg = open_store(url)
        _fill(pg, articles, "postgresql ingest with the index")
        _searches(pg, "postgresql")
        pg.close()


if __name__ == "__main__":
    main()
