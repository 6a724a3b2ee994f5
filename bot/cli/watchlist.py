"""``newsbot watchlist check|show``: validate the watchlist, list what can be watched."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, fail, load_settings
from bot.errors import ConfigError
from bot.text import plural

watchlist_app = typer.Typer(help="Inspect and validate the watchlist.", no_args_is_help=True)


@watchlist_app.command("check")
def watchlist_check(
    file: Annotated[Path | None, typer.Argument(help="Watchlist file (default: from config).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Validate a watchlist; errors are printed as file:line: message."""
    from bot.nlp.watchlist import load_watchlist

    if file is None:
        settings = load_settings(config)
        file = settings.resolve(settings.watchlist)
    path = file
    try:
        wl = load_watchlist(path)
    except ConfigError as exc:
        raise fail(exc, 1) from exc
    entities = sum(1 for i in wl.items if i.kind == "entity")
    topics = len(wl.items) - entities
    langs = sorted({lang for i in wl.items for lang in i.aliases} - {"any"})
    typer.echo(
        f"{path}: OK, {plural(entities, 'entity')} and {plural(topics, 'topic')}, "
        f"aliases in {plural(len(langs), 'language')} ({', '.join(langs)})"
    )


@watchlist_app.command("show")
def watchlist_show(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List what can be watched."""
    from bot.nlp.watchlist import load_watchlist

    settings = load_settings(config)
    try:
        wl = load_watchlist(settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise fail(exc, 1) from exc
    for item in wl.items:
        typer.echo(f"{item.id:<16} {item.kind:<7} {item.name}")


@watchlist_app.command("backtest")
def watchlist_backtest(
    edited_file: Annotated[Path, typer.Argument(help="The edited watchlist to try.")],
    days: Annotated[int, typer.Option(min=1, help="How far back to read the kept articles.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Processes reading articles again.")] = 2,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """What EDITED_FILE would have alerted more and fewer than the current watchlist, over
    the articles of the last DAYS days (their text is kept for `retention`), each with why."""
    import sys
    from datetime import UTC, datetime, timedelta

    from bot.backtest import backtest
    from bot.backtest.report import outcome
    from bot.cli.common import print_json
    from bot.nlp.watchlist import load_watchlist
    from bot.store.repositories import open_store

    settings = load_settings(config)
    try:
        current = load_watchlist(settings.resolve(settings.watchlist))
        edited = load_watchlist(edited_file)
    except ConfigError as exc:
        raise fail(exc, 1) from exc
    store = open_store(settings.database_url)
    try:
        since = datetime.now(UTC) - timedelta(days=days)

        def progress(done: int, total: int | None) -> None:
            if not as_json and sys.stderr.isatty():
                sys.stderr.write(f"\r{done:,} articles read")

        result = backtest(
            current, edited, store.history.retained(since), progress=progress,
            workers=workers, spacy_models=settings.spacy_models,
        )
    finally:
        store.close()
    if not as_json and sys.stderr.isatty():
        sys.stderr.write("\n")
    report = outcome(result, current, edited)
    if as_json:
        print_json({"days": days, **report})
        return
    typer.echo(
        f"Over {plural(report['articles'], 'article')} of the last {days} day{'' if days == 1 else 's'} "
        f"({report['rematched']:,} read again): would have alerted "
        f"{report['gained_count']} more and {report['lost_count']} fewer."
    )
    for line in report["changes"]:
        typer.echo(f"  edit: {line}")
    for side, head in (("gained", "would alert"), ("lost", "would no longer alert")):
        for entry in report[side]:
            typer.echo(f"{head}: {entry['date']}  {entry['feed']}  {entry['title']}")
            for why in entry["why"]:
                typer.echo(
                    f"    {why['name']}: {', '.join(why['evidence'])} (score {why['score']})"
                )
