"""``newsbot bench backtest``: a watchlist edit backtested over a week of a 1,000-feed
deployment, about 70,000 articles in seven languages (``stream.py``, 5% relevant, a fifth
with a near miss), on every core (the console's setting: two worker processes).

It first records what the default watchlist decided for each article, the way the bot
stored it: that is the backtest of adding every item to an empty watchlist, so it is also
timed and printed (the whole matcher over the week). Then, against that record:

- a typical edit: one alias added to one item (``kursk`` gains ``Belgorod``);
- the worst case: every item changed (one alias added to each), so every article any item
  could match is read again.

The target is a typical edit in 15 s or less. The machine may be shared: read the numbers
as an order of magnitude.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bot.models import Article

ARTICLES = 70_000
TARGET_S = 15.0
ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Recorded:
    article: Article
    item_ids: tuple[str, ...]


def _with_alias(watchlist: Any, item_ids: Sequence[str], alias: str) -> Any:
    from bot.nlp.watchlist import Watchlist

    items = []
    for item in watchlist.items:
        if item.id in item_ids:
            aliases = {**item.aliases, "en": [*item.aliases.get("en", []), alias]}
            item = item.model_copy(update={"aliases": aliases})
        items.append(item)
    return Watchlist(items=items)


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(label: str, fn: Callable[[], Any], progress: bool) -> tuple[Any, float, float]:
    """(what ``fn`` returns, wall seconds, CPU seconds): on a shared machine the CPU time
    says what the work costs, the wall time what this run waited."""
    if progress:
        sys.stderr.write(f"{label}…\n")
    start, cpu = time.perf_counter(), _cpu_s()
    out = fn()
    return out, time.perf_counter() - start, _cpu_s() - cpu


def run(articles: int = ARTICLES, workers: int | None = None, progress: bool = True) -> dict[str, Any]:
    from bot.backtest import backtest
    from bot.nlp import load_watchlist
    from bot.nlp.watchlist import Watchlist
    from bot.quality.benchmarks.stream import make_stream

    workers = workers or min(2, os.cpu_count() or 1)
    current = load_watchlist(ROOT / "config" / "watchlist.yaml")
    docs, _, _ = _timed(f"generating {articles:,} articles", lambda: make_stream(articles), progress)
    blank = [Recorded(d.article, ()) for d in docs]
    recorded, record_s, record_cpu = _timed(
        "recording what the default watchlist decides (every item added to an empty list)",
        lambda: backtest(Watchlist(items=[]), current, blank, workers=workers),
        progress,
    )
    ids = {id(c.record): tuple(m.id for m in c.after) for c in recorded.gained}
    seen = [Recorded(r.article, ids.get(id(r), ())) for r in blank]
    results: dict[str, Any] = {
        "articles": len(seen),
        "alerted": len(recorded.gained),
        "workers": workers,
        "record_all_items_s": round(record_s, 2),
        "record_all_items_cpu_s": round(record_cpu, 2),
        "edits": {},
    }
    edits = {
        "typical: one alias added to kursk": _with_alias(current, ["kursk"], "Belgorod"),
        "worst: every item changed": _with_alias(current, current.ids(), "Belgorod"),
    }
    for name, edited in edits.items():
        result, seconds, cpu = _timed(
            name, partial(backtest, current, edited, seen, workers=workers), progress
        )
        results["edits"][name] = {
            "seconds": round(seconds, 2),
            "cpu_s": round(cpu, 2),
            "rematched": result.rematched,
            "gained": len(result.gained),
            "lost": len(result.lost),
        }
    typical = results["edits"]["typical: one alias added to kursk"]["seconds"]
    results["target_s"] = TARGET_S
    results["typical_within_target"] = typical <= TARGET_S
    return results


def main(articles: int = ARTICLES, as_json: bool = False) -> None:
    """Print the numbers (lines, or one JSON object with ``as_json``)."""
    result = run(articles, progress=not as_json)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    out = sys.stdout
    out.write(
        f"{result['articles']:,} articles, {result['alerted']:,} alerted by the default watchlist; "
        f"{result['workers']} worker process(es)\n"
        f"recording them (every item, the whole matcher): {result['record_all_items_s']:.1f} s "
        f"({result['record_all_items_cpu_s']:.1f} CPU s)\n"
    )
    for name, r in result["edits"].items():
        out.write(
            f"{name}: {r['seconds']:.1f} s ({r['cpu_s']:.1f} CPU s), {r['rematched']:,} read again, "
            f"{r['gained']:,} gained, {r['lost']:,} lost\n"
        )
    verdict = "within" if result["typical_within_target"] else "OVER"
    out.write(
        f"typical edit {verdict} the {result['target_s']:.0f} s target "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end)\n"
    )
