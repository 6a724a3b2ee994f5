"""``newsbot feedback export DIR``: the team's ratings of alerts as a labelled set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, fail, load_settings

feedback_app = typer.Typer(
    help="What the team said about alerts (the buttons under each one).",
    no_args_is_help=True,
)


@feedback_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="A new or empty folder to write the set to.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Write the rated alerts as a labelled set that `newsbot eval DIR` scores."""
    from bot.quality.feedback_export import ExportError, export_ratings
    from bot.store.repositories import open_store

    settings = load_settings(config)
    store = open_store(settings.database_url)
    try:
        ratings = store.feedback.ratings()
        if not ratings:
            raise fail(ValueError("no rated alerts yet: nothing to export"), 1)
        texts = store.history.kept_texts(r.alert.id for r in ratings)
        done = export_ratings(ratings, directory, full_texts=texts)
    except (ExportError, OSError) as exc:
        raise fail(exc) from exc
    finally:
        store.close()
    sys.stderr.write(
        f"feedback: {done.articles} rated alerts written to {directory} "
        f"({done.true} items labelled true, {done.false} false, {done.ambiguous} ambiguous); "
        f"score it with: newsbot eval {directory}\n"
    )
