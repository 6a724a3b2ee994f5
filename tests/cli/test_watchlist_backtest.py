"""``newsbot watchlist backtest EDITED.yaml``: what an edit would have alerted more or fewer
over the articles kept, without the web console."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.backtest.stored import BELGOROD_ITEM, BELGOROD_TITLE, store_articles
from tests.clirun import newsbot

ROOT = Path(__file__).resolve().parents[2]


def _home(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "config" / "newsbot.yaml").write_text(
        "watchlist: config/watchlist.yaml\nseeds: []\nfeeds: []\nops: {enabled: false}\n"
    )
    url = f"sqlite:///{tmp_path}/newsbot.db"
    store_articles(url, tmp_path / "config" / "watchlist.yaml")
    return tmp_path, {"NEWSBOT_DATABASE_URL": url}


def test_an_added_item_gains_the_stored_article_that_names_it(tmp_path: Path) -> None:
    home, env = _home(tmp_path)
    current = (home / "config" / "watchlist.yaml").read_text(encoding="utf-8")
    (home / "edited.yaml").write_text(current + BELGOROD_ITEM, encoding="utf-8")
    res = newsbot("watchlist", "backtest", "edited.yaml", "--json", "--workers", "1",
                  cwd=home, env=env)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert (report["articles"], report["gained_count"], report["lost_count"]) == (3, 1, 0)
    assert report["changes"] == ["added belgorod (Belgorod)"]
    gained = report["gained"][0]
    assert (gained["title"], gained["feed"]) == (BELGOROD_TITLE, "Wire Example")
    assert gained["why"][0]["item"] == "belgorod" and gained["why"][0]["evidence"] == ["Belgorod"]

    res = newsbot("watchlist", "backtest", "edited.yaml", "--workers", "1", cwd=home, env=env)
    assert res.returncode == 0, res.stderr
    assert "would have alerted 1 more and 0 fewer" in res.stdout
    assert "would alert: " in res.stdout and BELGOROD_TITLE in res.stdout
    assert "Belgorod: Belgorod (score 5.0)" in res.stdout


def test_a_removed_item_loses_what_only_it_alerted(tmp_path: Path) -> None:
    home, env = _home(tmp_path)
    current = (home / "config" / "watchlist.yaml").read_text(encoding="utf-8")
    start = current.index("  - id: kursk\n")
    end = current.index("  - id: arms-transfers\n")
    (home / "edited.yaml").write_text(current[:start] + current[end:], encoding="utf-8")
    res = newsbot("watchlist", "backtest", "edited.yaml", "--json", "--workers", "1",
                  cwd=home, env=env)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert (report["gained_count"], report["lost_count"]) == (0, 1)
    lost = report["lost"][0]
    assert lost["title"] == "Fighting in Kursk"
    assert lost["why"][0]["item"] == "kursk" and "Kursk" in lost["why"][0]["evidence"]


def test_an_invalid_edit_is_reported_by_line(tmp_path: Path) -> None:
    home, env = _home(tmp_path)
    (home / "edited.yaml").write_text("items:\n  - id: Bad\n    name: x\n", encoding="utf-8")
    res = newsbot("watchlist", "backtest", "edited.yaml", cwd=home, env=env)
    assert res.returncode == 1
    assert "edited.yaml:2:" in res.stderr
