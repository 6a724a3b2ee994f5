"""How Alembic reaches the database when newsbot migrates it (``bot/store/migrate.py``).

newsbot passes the connection it migrates on (``config.attributes["connection"]``), already in
the transaction that holds the migration lock; without one (Alembic driven by hand), the
database is the configured ``sqlalchemy.url`` or else ``NEWSBOT_DATABASE_URL``, under the same
lock. Logging is
left alone: the bot has set it up already, and ``fileConfig`` would replace its handlers.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.settings.model import DEFAULT_DATABASE_URL
from bot.store.db import database_url, make_engine
from bot.store.migrate import migrating
from bot.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _configured_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("NEWSBOT_DATABASE_URL")
    return database_url(url or DEFAULT_DATABASE_URL)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters little in place: later migrations rebuild a table there instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():  # `--sql`: print the statements instead of running them
        url = _configured_url()
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_configured_url())
    try:
        with migrating(engine) as conn:  # the same lock newsbot takes
            _run(conn)
    finally:
        engine.dispose()


run()
