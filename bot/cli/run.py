"""``newsbot run`` and ``newsbot scan --once``: the bot built from the config and the
environment, run until stopped or for one pass."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    analysis_json,
    err,
    fail,
    load_settings,
    print_json,
    setup_logging,
)
from bot.settings.errors import ConfigError
from bot.text import plural


def make_bot(config: Path, console: bool = True) -> Any:
    """The bot with every chat platform the environment has credentials for."""
    import os

    from sqlalchemy.exc import OperationalError

    from bot.chat import build_adapters
    from bot.runtime.bot import NewsBot
    from bot.store.migrate import MigrationError

    settings = load_settings(config)
    try:
        bot = NewsBot(settings, {}, config_path=config)
        for adapter in build_adapters(settings, os.environ, bot.commands, console=console).values():
            bot.add_adapter(adapter)
    except (ConfigError, ValueError, MigrationError) as exc:
        raise fail(exc) from exc
    except OperationalError as exc:  # the database is down or refuses us: say so, exit
        raise fail(ValueError(f"cannot reach the database: {exc.orig}")) from exc
    return bot


def run(
    config: ConfigOpt = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the bot: poll feeds and seed folders, post alerts, until stopped."""
    setup_logging(verbose)
    bot = make_bot(config)
    from bot.chat.base import ChatStartError
    from bot.runtime.cluster import LostLock

    try:
        import asyncio

        asyncio.run(bot.run_forever())
    except (ValueError, ChatStartError, LostLock) as exc:  # a platform refused us at connect time
        raise fail(exc) from exc


def scan(
    once: Annotated[bool, typer.Option("--once", help="One pass over every source, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each new document as JSON.")] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Scan all sources once, record what is new, and post what is queued.

    With --json each new document is printed in the format of `newsbot match --json`
    and its alerts stay queued, for the next `newsbot run` or `newsbot scan --once`.
    """
    if not once:
        err.print("newsbot scan runs a single pass: use --once (or `newsbot run` to keep polling).")
        raise typer.Exit(2)
    setup_logging(verbose)
    bot = make_bot(config, console=not as_json)
    if as_json:
        bot.worker.adapters.clear()

    async def go() -> Any:
        try:
            await bot.start(standby=False)
            return await bot.scan_once()
        finally:
            await bot.close()

    import asyncio

    summary = asyncio.run(go())
    if as_json:
        for report in summary.reports:
            for article, analysis in report.results:
                print_json(analysis_json(article.location or article.guid, article, analysis))
    sys.stderr.write(
        f"scan: {plural(summary.new, 'new document')}, {plural(summary.alerted, 'alert')}, "
        f"{plural(summary.feed_errors, 'feed')} unreachable\n"
    )
