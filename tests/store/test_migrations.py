"""Migrations on SQLite and PostgreSQL: the schema they build is the models', a database an
earlier newsbot made keeps its rows, and instances starting together migrate once."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Engine,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    inspect,
    text,
)
from typer.testing import CliRunner

from bot.cli.main import app
from bot.models import Alert, Article, Target
from bot.store.db import make_engine, utcnow
from bot.store.migrate import MigrationError, current, downgrade, head, upgrade
from bot.store.repositories import open_store
from bot.store.schema import Base, alert_to_json
from bot.store.search import SEARCH_OBJECTS
from tests.store.helpers import is_seen

TABLES = {"feeds", "websub", "articles", "alerts", "deliveries", "subscriptions"}


def schema_differences(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models."""
    def ours(name: str | None, kind: str, parents: object) -> bool:
        # The search index lives outside the models, per backend (bot/store/search.py).
        return not (name and name.startswith(SEARCH_OBJECTS))

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": ours}
        )
        return list(compare_metadata(context, Base.metadata))


def test_an_empty_database_is_migrated_to_exactly_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        before = upgrade(engine)
        assert (before.revision, before.legacy) == (None, False)
        assert current(engine).revision == head() == HEAD
        assert schema_differences(engine) == []
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert upgrade(engine).up_to_date  # a second start finds nothing to do
    finally:
        engine.dispose()


# --- a database from before migrations -----------------------------------------------------

# Columns and a table that newsbot added over its life, all nullable, as add_missing_columns
# (the pre-migration upgrade path) required.
ADDED_LATER = {
    "feeds": {"current_url", "next_poll_at", "down_notified"},
    "articles": {"story_of"},
    "alerts": {"fingerprint"},
    "deliveries": {"kind", "refresh", "claimed_at", "in_doubt", "hold", "batch"},
}
TABLES_ADDED_LATER = {"websub"}
SINCE_MIGRATIONS = {
    "feeds": {"lease_owner", "lease_until", "paused_at"},
    "deliveries": {"claimed_by", "sending_since", "translation_pending", "thread_id", "followups"},
    "subscriptions": {"paused_at", "paused_reason", "lang"},
    "articles": {"source_name", "location", "text", "summary"},
}
TABLES_SINCE_MIGRATIONS = {"leases", "feedback", "mutes", "job_runs", "translations", "followups"}
"""Added by migrations after the baseline (0002 to 0008): no pre-migration newsbot had them."""
HEAD = "0008_threads"
"""The newest migration (the integrator re-chains parallel branches' migrations)."""
INDEXED_SINCE_MIGRATIONS = {("articles", "story_of"), ("alerts", "article_id")}


def earlier_schema() -> MetaData:
    """The models as an earlier newsbot had them: without the columns added later (nor the
    index of ``deliveries.batch``) and without the websub table."""
    meta = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name in TABLES_ADDED_LATER | TABLES_SINCE_MIGRATIONS:
            continue
        gone = ADDED_LATER.get(table.name, set()) | SINCE_MIGRATIONS.get(table.name, set())
        columns = [c._copy() for c in table.columns if c.name not in gone]
        for c in columns:
            if (table.name, c.name) in INDEXED_SINCE_MIGRATIONS:
                c.index = None
        constraints = [
            UniqueConstraint(*con.columns.keys(), name=con.name)
            for con in table.constraints
            if isinstance(con, UniqueConstraint) and con.name
        ] + [
            ForeignKeyConstraint(fk.column_keys, [e.target_fullname for e in fk.elements])
            for fk in table.foreign_key_constraints
        ]
        Table(table.name, meta, *columns, *constraints)
    return meta


def old_newsbot_database(url: str) -> None:
    """What an earlier newsbot left behind: a feed polled, an article alerted to a channel
    (its delivery still pending), a subscription."""
    meta = earlier_schema()
    engine = make_engine(url)
    seen = datetime(2024, 11, 5, 14, 3)
    alert = Alert("old-alert", "Pyongyang sends shells to Moscow", "Wire Example", "en", (), (),
                  url="https://wire.example.org/world/4711", created_at=seen.replace(tzinfo=UTC))
    try:
        meta.create_all(engine)
        t = meta.tables
        with engine.begin() as conn:
            conn.execute(t["feeds"].insert(), {
                "url": "https://wire.example.org/rss", "name": "Wire Example", "etag": '"v1"',
                "first_poll_done": True, "consecutive_failures": 0, "items_seen": 12,
                "last_polled_at": seen,
            })
            conn.execute(t["articles"].insert(), {
                "id": 1, "source_id": "feed:https://wire.example.org/rss",
                "guid": "urn:wire:4711", "url": "https://wire.example.org/world/4711",
                "content_hash": "ab" * 32, "title": alert.title, "language": "en",
                "seen_at": seen, "alerted": True,
            })
            conn.execute(t["alerts"].insert(), {
                "id": alert.id, "article_id": 1, "created_at": seen, "item_ids": ["north-korea"],
                "top_score": 3.5, "payload": alert_to_json(alert),
            })
            conn.execute(t["deliveries"].insert(), {
                "alert_id": alert.id, "platform": "slack", "channel": "C-news",
                "status": "pending", "attempts": 0, "next_attempt_at": seen, "created_at": seen,
            })
            conn.execute(t["subscriptions"].insert(), {
                "platform": "slack", "channel": "C-news", "item_id": "kursk",
                "created_by": "U1", "created_at": seen,
            })
        assert not inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def test_a_database_made_before_migrations_is_adopted_with_every_row(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    old_newsbot_database(db_url)
    engine = make_engine(db_url)
    state = current(engine)
    assert (state.revision, state.legacy) == (None, True)
    engine.dispose()

    with caplog.at_level(logging.INFO, logger="bot.store.migrate"):
        store = open_store(db_url)
    try:
        assert [r.getMessage() for r in caplog.records if "before migrations" in r.getMessage()]
        assert current(store.db.engine).up_to_date
        assert schema_differences(store.db.engine) == []
        # What it had seen, queued and subscribed is all there, and works with new columns.
        old = Article("feed:https://wire.example.org/rss", "Wire Example", "urn:wire:4711",
                      "Another headline", "Other words.")
        assert is_seen(store, old)
        feed = store.feeds.feed_state("https://wire.example.org/rss")
        assert feed is not None and (feed.etag, feed.items_seen) == ('"v1"', 12)
        assert store.subscriptions.subscriptions() == [(Target("slack", "C-news"), "kursk")]
        (delivery,) = store.outbox.claim_due(["slack"])
        assert delivery.alert.title == "Pyongyang sends shells to Moscow"
        store.outcomes.mark_sent(delivery.id, "1730815380.000100")
        assert store.outbox.delivery_counts() == {"sent": 1}
        store.websub.set_websub("https://wire.example.org/rss", hub="https://hub.example/",
                         topic="https://wire.example.org/rss", secret="s", state="requested")
    finally:
        store.close()


def test_downgrade_to_nothing_and_upgrade_again(db_url: str) -> None:
    store = open_store(db_url)
    a = Article("feed:x", "X", "g1", "Kursk offensive stalls", "Officials said so.")
    assert store.articles.record(a, None)
    store.close()

    engine = make_engine(db_url)
    try:
        downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        assert current(engine).revision is None
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()
    store = open_store(db_url)
    try:
        assert not is_seen(store, a)  # a new, empty schema
        assert store.articles.record(a, None)
    finally:
        store.close()


START_AND_MIGRATE = """
import sys
from bot.store.migrate import upgrade
from bot.store.db import make_engine
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(upgrade(engine).revision)
"""


@pytest.mark.slow
def test_instances_starting_together_migrate_once(db_url: str) -> None:
    """Four processes start at the same moment against one empty database: one creates the
    schema, the others wait for it and find it done (without the lock their CREATE TABLEs
    would collide)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", START_AND_MIGRATE, db_url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(4)
    ]
    # Every process imported and made its engine, then all are told to go at once (a
    # process that crashed instead ends its output, and its error is reported below).
    for p in procs:
        assert p.stdout is not None
        p.stdout.readline()
    for p in procs:
        assert p.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            p.stdin.write("go\n")
            p.stdin.flush()
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outcomes.append(out.strip() if p.returncode == 0 else err.strip()[-400:])
    # One found nothing (None) and migrated; three found it done.
    assert sorted(outcomes) == [HEAD] * 3 + ["None"], outcomes
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(HEAD,)]
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_database_a_newer_newsbot_migrated_is_refused_in_words(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    open_store(url).close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    with pytest.raises(MigrationError, match="0099_future.*newer newsbot"):
        open_store(url)


def test_db_current_and_upgrade_from_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    config = ["--config", str(tmp_path / "config" / "newsbot.yaml")]  # absent: defaults
    env = {"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/data/newsbot.db"}

    def db(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["db", *args, *config], env=env)
        return result.exit_code, result.stdout

    code, out = db("current")
    assert code == 1 and "no database" in out
    assert not (tmp_path / "data" / "newsbot.db").exists()  # looking created nothing
    assert db("upgrade") == (0, f"database: schema created ({HEAD})\n")
    assert db("current") == (0, f"{HEAD} (head)\n")
    assert db("upgrade") == (0, f"database: already at {HEAD} (head)\n")

    env["NEWSBOT_DATABASE_URL"] = f"sqlite:///{tmp_path}/old.db"
    old_newsbot_database(env["NEWSBOT_DATABASE_URL"])
    code, out = db("current")
    assert code == 1 and "before migrations" in out
    code, out = db("upgrade")
    assert code == 0 and f"adopted as {HEAD}, every row kept" in out
    store = open_store(env["NEWSBOT_DATABASE_URL"])
    try:
        assert store.subscriptions.subscriptions() == [(Target("slack", "C-news"), "kursk")]
    finally:
        store.close()


def test_the_command_line_says_when_the_database_cannot_be_reached(
    tmp_path: Path, closed_port: int
) -> None:
    result = CliRunner().invoke(
        app,
        ["db", "upgrade", "--config", str(tmp_path / "newsbot.yaml")],
        env={"NEWSBOT_DATABASE_URL": f"postgresql://newsbot:s3cret@127.0.0.1:{closed_port}/x"},
    )
    assert result.exit_code == 2
    assert "cannot reach the database" in result.stderr
    assert "s3cret" not in result.output


def test_recent_rows_keep_their_time_zone_after_a_migration(db_url: str) -> None:
    """The migration's plain DateTime columns hold what the models' UTC type writes."""
    store = open_store(db_url)
    try:
        a = Article("feed:x", "X", "g1", "Kursk", "Words.")
        alert = Alert("z1", a.title, "X", "en", (), (), created_at=utcnow())
        store.articles.record(a, alert, [Target("slack", "C1")])
        (got,) = store.history.recent_alerts(utcnow() - timedelta(minutes=1))
        assert got.created_at is not None and got.created_at.tzinfo is not None
    finally:
        store.close()


def test_a_baseline_database_gains_the_instance_columns_and_keeps_its_feeds(db_url: str) -> None:
    """0002_cluster on a database at 0001_baseline with rows: leases are added empty (every
    feed free to claim), the feed and its schedule stay; and it can be rolled back."""
    open_store(db_url).close()
    engine = make_engine(db_url)
    due = utcnow() - timedelta(minutes=1)
    try:
        downgrade(engine, "0001_baseline")
        assert "leases" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO feeds (url, first_poll_done, consecutive_failures, items_seen, "
                "next_poll_at) VALUES ('https://wire.example.org/rss', true, 2, 40, :due)"
            ), {"due": due.replace(tzinfo=None)})
    finally:
        engine.dispose()
    store = open_store(db_url)
    try:
        state = store.feeds.feed_state("https://wire.example.org/rss")
        assert state is not None and (state.items_seen, state.consecutive_failures) == (40, 2)
        url = "https://wire.example.org/rss"
        assert store.feeds.claim_feeds([url], "a", timedelta(seconds=30), 5) == [url]
        assert store.feeds.claim_feeds([url], "b", timedelta(seconds=30), 5) == []
        assert store.leases.take_lease("seeds /srv/newsbot/seeds", "a", timedelta(seconds=30))
        assert current(store.db.engine).revision == head() == HEAD
    finally:
        store.close()
