"""``newsbot bench``: the benchmarks of ``bot/quality/benchmarks``, imported when run."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail

bench_app = typer.Typer(
    help="Benchmarks: print throughput, latency and memory (never run as timed tests)."
)


def _run_benchmark(name: str) -> None:
    """Benchmarks live in ``bot.quality.benchmarks.<name>`` and expose ``main()``."""
    import importlib

    try:
        module = importlib.import_module(f"bot.quality.benchmarks.{name}")
    except ModuleNotFoundError as exc:
        raise fail(ValueError(f"benchmark '{name}' is not available: {exc}")) from exc
    module.main()


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    docs: Annotated[int, typer.Option("--docs", min=10, help="Documents in the stream.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object of numbers.")] = False,
) -> None:
    """The matching benchmark: a 10,000-document stream, about 5% relevant."""
    if ctx.invoked_subcommand is None:
        from bot.quality.benchmarks.matching import main as matching

        matching(docs=docs, as_json=as_json)


@bench_app.command("feeds")
def bench_feeds() -> None:
    """Poll 1,000 local feeds twice and report cycle times, bytes and memory."""
    _run_benchmark("feeds")


@bench_app.command("fulltext")
def bench_fulltext() -> None:
    """Full-text extraction: a 0.4 MB page of 40,000 tags, and the largest page let through."""
    _run_benchmark("fulltext")


@bench_app.command("instances")
def bench_instances() -> None:
    """The 1,000-feed benchmark polled by one, then two instances on PostgreSQL."""
    _run_benchmark("instances")


@bench_app.command("console")
def bench_console() -> None:
    """Web console page loads over 1,000 feeds, 70,000 articles and 500 subscriptions."""
    _run_benchmark("console")


@bench_app.command("backtest")
def bench_backtest() -> None:
    """A watchlist edit backtested over 70,000 articles (a week of 1,000 feeds), typical and worst."""
    _run_benchmark("backtest")


@bench_app.command("search")
def bench_search() -> None:
    """Search over 100,000 stored articles (p95), and the index's cost to ingest."""
    _run_benchmark("search")
