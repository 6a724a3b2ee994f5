"""The database from the command line: ``newsbot backup`` and ``newsbot db upgrade|current``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, fail, load_settings

db_app = typer.Typer(
    help="The database schema: migrate it before a rollout, or see where it stands.",
    no_args_is_help=True,
)


def backup(
    dest: Annotated[Path, typer.Argument(help="The copy to write (must not exist yet).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Copy the SQLite database consistently, even while `newsbot run` writes to it."""
    from bot.runtime.backup import BackupError, backup_sqlite

    settings = load_settings(config)
    try:
        size = backup_sqlite(settings.database_url, dest)
    except BackupError as exc:
        raise fail(exc) from exc
    sys.stderr.write(f"backup: {dest} ({size / 1e6:.1f} MB)\n")


def _database(config: Path) -> Any:
    """The configured database's engine, or a clean exit if it cannot be reached."""
    from sqlalchemy.exc import OperationalError

    from bot.store.store import make_engine

    engine = make_engine(load_settings(config).database_url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        raise fail(ValueError(f"cannot reach the database: {exc.orig}")) from exc
    return engine


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Bring the database (NEWSBOT_DATABASE_URL) to this version's schema.

    `newsbot run` does the same at start; run this first to migrate before a rollout.
    """
    from bot.store.migrate import MigrationError, upgrade

    engine = _database(config)
    try:
        before = upgrade(engine)
    except MigrationError as exc:
        raise fail(exc) from exc
    finally:
        engine.dispose()
    if before.up_to_date:
        message = f"already at {before.head} (head)"
    elif before.legacy:
        message = f"made before migrations: adopted as {before.head}, every row kept"
    elif before.revision is None:
        message = f"schema created ({before.head})"
    else:
        message = f"migrated from {before.revision} to {before.head}"
    sys.stdout.write(f"database: {message}\n")


@db_app.command("current")
def db_current(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Print the database's migration; exit 1 unless it is this version's head."""
    from bot.store.migrate import current, head

    url = load_settings(config).database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            sys.stdout.write(f"none: no database at {path} yet (head {head()})\n")
            raise typer.Exit(1)
    engine = _database(config)
    try:
        state = current(engine)
    finally:
        engine.dispose()
    sys.stdout.write(state.describe() + "\n")
    if not state.up_to_date:
        raise typer.Exit(1)
