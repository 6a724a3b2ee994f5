"""``newsbot watchlist check|show``: validate the watchlist, list what can be watched."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, fail, load_settings
from bot.settings.errors import ConfigError
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
