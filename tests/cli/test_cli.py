"""The command line as users and other tools call it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.clirun import newsbot

ROOT = Path(__file__).resolve().parents[2]
SEED = "seeds/000_b5e3709a28e5c677.txt"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "config" / "newsbot.yaml").write_text(
        "watchlist: config/watchlist.yaml\nseeds: [seeds]\nfeeds: []\nops: {listen_port: 0}\n"
    )
    (tmp_path / "seeds").mkdir()
    return tmp_path


def test_match_json_contract_on_the_seed() -> None:
    res = newsbot("match", SEED, "--json")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert set(doc) == {"source", "title", "language", "alert", "matches", "quotes"}
    assert doc["source"] == SEED and doc["language"] == "fr" and doc["alert"] is True
    by_id = {m["id"]: m for m in doc["matches"]}
    assert {"north-korea", "kursk", "arms-transfers"} <= set(by_id)
    for m in doc["matches"]:
        assert set(m) == {"id", "name", "kind", "count", "score", "evidence"}
        assert m["kind"] in ("entity", "topic") and m["count"] >= 1
    assert "Corée du Nord" in by_id["north-korea"]["evidence"]
    assert any("nord-coréen" in e for e in by_id["north-korea"]["evidence"])
    assert "Koursk" in by_id["kursk"]["evidence"]
    speakers = {q["speaker"] for q in doc["quotes"]}
    assert {"Choe Son Hui", "Antony Blinken"} <= speakers


def test_match_reads_a_folder_and_reports_unreadable_files(workdir: Path) -> None:
    seeds = workdir / "seeds"
    (seeds / "note.md").write_text(
        "---\ntitle: Kiew meldet Angriffe\nlanguage: de\n---\n"
        "Die ukrainische Armee meldete neue Drohnenangriffe nahe Kursk.\n"
    )
    (seeds / "weather.txt").write_text(
        "Sunny spells\n\n\"We expect a quiet weekend along the coast,\" Jane Doe said.\n"
    )
    (seeds / "blob.txt").write_bytes(b"\x00\x01\x02binary\xff" * 50)
    res = newsbot("match", "seeds", "--json", cwd=workdir)
    assert res.returncode == 0, res.stderr
    docs = [json.loads(line) for line in res.stdout.splitlines()]
    assert [Path(d["source"]).name for d in docs] == ["note.md", "weather.txt"]
    assert docs[0]["alert"] and {m["id"] for m in docs[0]["matches"]} >= {"ukraine", "kursk"}
    assert docs[1]["alert"] is False and docs[1]["matches"] == []
    # `match` shows the quotes of every document, matching or not, for tuning.
    assert [q["speaker"] for q in docs[1]["quotes"]] == ["Jane Doe"]
    assert "quiet weekend along the coast" in docs[1]["quotes"][0]["text"]
    assert "blob.txt" in res.stderr


def test_watchlist_check_names_file_and_line(workdir: Path) -> None:
    ok = newsbot("watchlist", "check", cwd=workdir)
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = workdir / "bad.yaml"
    bad.write_text("items:\n  - id: kursk\n    name: Kursk\n    colour: red\n")
    res = newsbot("watchlist", "check", str(bad), cwd=workdir)
    assert res.returncode != 0
    assert f"{bad}:4:" in res.stderr and "colour" in res.stderr
    broken = workdir / "broken.yaml"
    broken.write_text("items:\n  - id: kursk\n    name: [Kursk\n")
    res = newsbot("watchlist", "check", str(broken), cwd=workdir)
    assert res.returncode != 0 and f"{broken}:" in res.stderr


def test_scan_once_survives_bad_seed_files_and_brief_shows_the_alert(workdir: Path) -> None:
    seeds = workdir / "seeds"
    shutil.copy(ROOT / SEED, seeds)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "image.html").write_bytes(bytes(range(256)) * 64)
    with open(seeds / "huge.txt", "wb") as f:
        f.truncate(20 * 1024 * 1024)
    env = {"NEWSBOT_DATABASE_URL": f"sqlite:///{workdir}/data/newsbot.db"}
    # --json: the new document as JSON; its alert stays queued for the bot to post.
    first = newsbot("scan", "--once", "--json", cwd=workdir, env=env)
    assert first.returncode == 0, first.stderr
    docs = [json.loads(line) for line in first.stdout.splitlines()]
    assert [Path(d["source"]).name for d in docs] == [Path(SEED).name]
    assert docs[0]["alert"] is True
    for bad in ("empty.txt", "image.html", "huge.txt"):
        assert sum(bad in line for line in first.stderr.splitlines()) == 1, first.stderr
    assert "scan: 1 new document, 1 alert, 0 feeds unreachable" in first.stderr

    # The next pass finds nothing new, and posts the alert that was queued.
    again = newsbot("scan", "--once", cwd=workdir, env=env)
    assert again.returncode == 0, again.stderr
    assert "scan: 0 new documents, 0 alerts" in again.stderr
    assert again.stdout.count("La Corée du Nord sera aux côtés de la Russie") == 1
    third = newsbot("scan", "--once", cwd=workdir, env=env)
    assert "La Corée du Nord" not in third.stdout

    brief = newsbot("brief", "kursk", "--since", "48h", cwd=workdir, env=env)
    assert brief.returncode == 0, brief.stderr
    assert "La Corée du Nord sera aux côtés de la Russie" in brief.stdout
    unknown = newsbot("brief", "kursks", cwd=workdir, env=env)
    assert unknown.returncode != 0 and "kursk" in unknown.stderr


def test_log_lines_cannot_carry_terminal_escapes(workdir: Path, closed_port: int) -> None:
    """A feed name is quoted in log lines; a hostile one must not move the cursor."""
    (workdir / "config" / "newsbot.yaml").write_text(
        "seeds: [seeds]\nops: {listen_port: 0}\nfeeds:\n"
        f"  - url: http://127.0.0.1:{closed_port}/rss\n"
        '    name: "Evil\\e[2J\\e]0;pwned\\a feed"\n'
    )
    env = {"NEWSBOT_DATABASE_URL": f"sqlite:///{workdir}/data/newsbot.db"}
    res = newsbot("scan", "--once", cwd=workdir, env=env)
    assert res.returncode == 0, res.stderr
    assert "feed" in res.stderr and "connection refused" in res.stderr
    assert "\x1b" not in res.stderr and "\x07" not in res.stderr


def test_a_feed_paused_in_the_console_is_shown_paused_and_not_polled(
    workdir: Path, closed_port: int
) -> None:
    from bot.store.repositories import open_store

    url = f"http://127.0.0.1:{closed_port}/rss"
    (workdir / "config" / "newsbot.yaml").write_text(
        f"seeds: [seeds]\nops: {{listen_port: 0}}\nfeeds:\n  - url: {url}\n    name: Wire Example\n"
    )
    env = {"NEWSBOT_DATABASE_URL": f"sqlite:///{workdir}/data/newsbot.db"}
    (workdir / "data").mkdir()
    store = open_store(env["NEWSBOT_DATABASE_URL"])
    store.feeds.pause_feed(url, True)
    store.close()
    res = newsbot("scan", "--once", cwd=workdir, env=env)
    assert res.returncode == 0, res.stderr
    assert "0 feeds unreachable" in res.stderr and "connection refused" not in res.stderr
    table = newsbot("feeds", cwd=workdir, env=env)
    assert table.returncode == 0, table.stderr
    assert "Wire Example" in table.stdout and "paused" in table.stdout
