"""`newsbot backup PATH`: a consistent copy of the SQLite database while the bot writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.models import Alert, Article, Target
from bot.runtime.backup import BackupError, backup_sqlite
from bot.store.db import utcnow
from bot.store.repositories import open_store
from tests.clirun import newsbot

ROOT = Path(__file__).resolve().parents[2]


def fill(url: str, n: int) -> None:
    store = open_store(url)
    try:
        for i in range(n):
            a = Article("files:seeds", "seed file", f"doc{i}.txt", f"Headline {i}", f"Body {i}.")
            alert = Alert(f"al{i}", a.title, a.source_name, "en", (), (), created_at=utcnow())
            store.articles.record(a, alert, [Target("slack", "C1")])
    finally:
        store.close()


def count(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def test_backup_is_a_snapshot_taken_while_another_writer_holds_a_transaction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newsbot.db"
    fill(url, 3)
    writer = sqlite3.connect(tmp_path / "newsbot.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the bot in the middle of recording an article
    writer.execute(
        "INSERT INTO subscriptions (platform, channel, item_id, created_at) "
        "VALUES ('slack', 'C9', 'kursk', '2024-01-01 00:00:00')"
    )
    size = backup_sqlite(url, tmp_path / "copy.db")
    writer.execute("COMMIT")
    writer.close()
    assert size == (tmp_path / "copy.db").stat().st_size > 0
    assert count(tmp_path / "copy.db", "deliveries") == 3
    assert count(tmp_path / "copy.db", "subscriptions") == 0, "half a transaction copied"
    assert not (tmp_path / "copy.db-wal").exists(), "the copy is one file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backup_refuses_to_overwrite_and_points_postgres_to_pg_dump(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newsbot.db"
    fill(url, 1)
    (tmp_path / "copy.db").write_text("precious")
    with pytest.raises(BackupError, match="already exists"):
        backup_sqlite(url, tmp_path / "copy.db")
    assert (tmp_path / "copy.db").read_text() == "precious"
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql://newsbot@db/newsbot", tmp_path / "pg.db")


def test_newsbot_backup_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/newsbot.db"
    (tmp_path / "data").mkdir()
    fill(url, 2)
    env = {"NEWSBOT_DATABASE_URL": url}
    done = newsbot("backup", str(tmp_path / "b.db"), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert f"backup: {tmp_path / 'b.db'}" in done.stderr
    assert count(tmp_path / "b.db", "alerts") == 2
    again = newsbot("backup", str(tmp_path / "b.db"), cwd=tmp_path, env=env)
    assert again.returncode == 2 and "already exists" in again.stderr
