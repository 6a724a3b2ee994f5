"""The ``newsbot`` command line: run the bot, scan once, match files, brief, check config.

This module only assembles the app; each group of commands lives in a module of its own
(``run``, ``match``, ``feeds``, ``evaluate``, ``db``, ``feedback``, ``watchlist``, ``bench``). They import
nothing heavy at the top, so ``newsbot --help`` stays fast: spaCy, the store and the chat
SDKs are imported inside the command that needs them.
"""

from __future__ import annotations

import typer

from bot.cli import bench, db, evaluate, feedback, feeds, match, run, watchlist

app = typer.Typer(
    help="Self-hosted news alerts for Slack and Discord, in every language the news is in.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(watchlist.watchlist_app, name="watchlist")
app.add_typer(bench.bench_app, name="bench")
app.add_typer(db.db_app, name="db")
app.add_typer(feedback.feedback_app, name="feedback")
app.command()(run.run)
app.command()(run.scan)
app.command()(match.match)
app.command()(match.preview)
app.command()(match.brief)
app.command()(feeds.feeds)
app.command("eval")(evaluate.eval_command)
app.command()(db.backup)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
