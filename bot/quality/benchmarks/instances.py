"""Instances benchmark: the 1,000-feed benchmark polled by one, then two ``newsbot``
instances sharing a PostgreSQL database.

Each instance is a process of its own running the real feed scheduler (leases taken with
``SELECT ... FOR UPDATE SKIP LOCKED``, renewed by its heartbeat). The publisher is the
feeds benchmark's (1,000 feeds x 20 items, 50 ms per response, 50 loopback hosts), and
counts requests per feed. A cycle makes every feed due at once and ends when the store
says each one was polled; a feed requested twice in a cycle is a double poll (target 0).

The database: ``NEWSBOT_BENCH_POSTGRES`` (default the local server's ``test`` database);
a throwaway database is created on it per run and dropped after.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.quality.benchmarks.feeds import FEEDS, ITEMS, LATENCY, publishing

SERVER = os.environ.get(
    "NEWSBOT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CYCLES = 2


def _instance(config: str, db: str, name: str, ready: Any, go: Any, quit_: Any, polls: Any,
              slot: int) -> None:
    """One bot process: the feed scheduler and the lease heartbeat, until told to quit."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    os.environ["NEWSBOT_INSTANCE_ID"] = name

    import bot.runtime.scheduler
    from bot.nlp import analyze
    from bot.runtime.bot import NewsBot
    from bot.settings.model import load_settings

    bot.runtime.scheduler.RECHECK = 0.2  # notice at once that the benchmark made every feed due

    async def main() -> None:
        settings = load_settings(config, env={"NEWSBOT_DATABASE_URL": db})
        newsbot = NewsBot(settings, {})
        analyze("Warm-up", "The pipelines load once per process.", newsbot.watchlist, "en")
        real_poll = newsbot.poll_feed

        async def counted(feed: Any) -> Any:
            with polls.get_lock():
                polls[slot] += 1
            return await real_poll(feed)

        newsbot.poll_feed = counted  # type: ignore[method-assign]
        await newsbot.cluster.start()
        ready.put(name)
        while not go.is_set():
            await asyncio.sleep(0.01)
        scheduler = newsbot.make_feed_scheduler()
        tasks = [asyncio.create_task(scheduler.run()),
                 asyncio.create_task(newsbot.cluster.heartbeat())]
        while not quit_.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await newsbot.close()

    asyncio.run(main())


def _database() -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"newsbot_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return SERVER.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _drop(handle: Any) -> None:
    from sqlalchemy import text

    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(n: int, config: Path, ctx: Any, per_feed: Any) -> list[dict[str, Any]]:
    """``n`` instances, CYCLES cycles: wall time, double polls and each instance's share."""
    from sqlalchemy import text

    from bot.settings.model import load_settings
    from bot.store.db import utcnow
    from bot.store.repositories import open_store

    db, handle = _database()
    store = open_store(db)
    try:
        settings = load_settings(config, env={"NEWSBOT_DATABASE_URL": db})
        later = utcnow() + timedelta(days=1)  # nothing is due until a cycle starts
        store.feeds.ensure_feeds({f.url: later for f in settings.feeds})
        ready, go, quit_ = ctx.Queue(), ctx.Event(), ctx.Event()
        polls = ctx.Array("q", [0] * n)
        procs = [
            ctx.Process(target=_instance, args=(str(config), db, f"bench-{k}", ready, go, quit_,
                                                polls, k), daemon=True)
            for k in range(n)
        ]
        for p in procs:
            p.start()
        for _ in procs:
            ready.get(timeout=300)
        go.set()
        out = []
        for _cycle in range(CYCLES):
            with per_feed.get_lock():
                for i in range(FEEDS):
                    per_feed[i] = 0
            before = list(polls)
            with store.db.engine.begin() as conn:
                start = utcnow()
                conn.execute(text("UPDATE feeds SET next_poll_at = :t"), {"t": start.replace(tzinfo=None)})
            t0 = time.perf_counter()
            while True:
                with store.db.engine.connect() as conn:
                    done = conn.execute(
                        text("SELECT count(*) FROM feeds WHERE last_polled_at >= :t "
                             "AND lease_owner IS NULL"),
                        {"t": start.replace(tzinfo=None)},
                    ).scalar()
                if done == FEEDS:
                    break
                if time.perf_counter() - t0 > 600:
                    raise RuntimeError(f"cycle did not finish: {done} of {FEEDS} feeds polled")
                time.sleep(0.02)
            wall = time.perf_counter() - t0
            counts = list(per_feed)
            out.append({
                "wall": wall,
                "requests": sum(counts),
                "double": sum(max(0, c - 1) for c in counts),
                "unpolled": sum(1 for c in counts if c == 0),
                "shares": [polls[k] - before[k] for k in range(n)],
            })
        quit_.set()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
        return out
    finally:
        store.close()
        _drop(handle)


def main() -> None:
    ctx = mp.get_context("spawn")
    per_feed = ctx.Array("q", [0] * FEEDS)
    with publishing(ctx, "1h", per_feed) as (config, hosts, _counters):
        results = {n: _run(n, config, ctx, per_feed) for n in (1, 2)}

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"instances benchmark: {FEEDS} feeds x {ITEMS} items on {len(hosts)} loopback hosts, "
          f"{LATENCY * 1000:.0f} ms per response, PostgreSQL store; load average {load} on "
          f"{os.cpu_count()} cores")
    print(f"{'instances':<11}{'cycle':<20}{'wall s':>8}{'requests':>10}{'double polls':>14}"
          f"{'not polled':>12}  polls per instance")
    for n, cycles in results.items():
        for k, c in enumerate(cycles):
            label = "1 (all new)" if k == 0 else f"{k + 1} (unchanged, 304)"
            print(f"{n:<11}{label:<20}{c['wall']:>8.2f}{c['requests']:>10}{c['double']:>14}"
                  f"{c['unpolled']:>12}  {' / '.join(map(str, c['shares']))}")
    for k in range(CYCLES):
        one, two = results[1][k]["wall"], results[2][k]["wall"]
        print(f"cycle {k + 1}: two instances take {two / one:.2f}x the time of one")
    print("target: 0 double polls")


if __name__ == "__main__":  # pragma: no cover
    main()
