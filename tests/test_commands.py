"""Platform-neutral commands: what /brief and `newsbot brief` answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands import CommandError, brief, parse_since, resolve_item
from bot.models import Alert, Article, Match
from bot.nlp.watchlist import load_watchlist
from bot.store import Store, utcnow

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def watchlist():  # type: ignore[no-untyped-def]
    return load_watchlist(ROOT / "config" / "watchlist.yaml")


def test_items_resolve_by_id_or_name_and_typos_get_suggestions(watchlist) -> None:  # type: ignore[no-untyped-def]
    assert resolve_item(watchlist, "KURSK") == "kursk"
    assert resolve_item(watchlist, watchlist.get("north-korea").name) == "north-korea"
    with pytest.raises(CommandError, match="Did you mean north-korea"):
        resolve_item(watchlist, "north-corea")


def test_time_spans() -> None:
    assert parse_since(None) == timedelta(hours=24)
    assert parse_since("48h") == timedelta(hours=48)
    assert parse_since("90d") == timedelta(days=31)  # capped
    with pytest.raises(CommandError):
        parse_since("yesterday")


def test_brief_lists_recent_alerts_for_the_item(tmp_path: Path, watchlist) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path}/b.db")
    for i, item in enumerate(["kursk", "russia"]):
        a = Article("files:seeds", "seed file", f"{i}.txt", f"Headline about {item}", f"Text {i}")
        m = Match(item, item.title(), "entity", 1, 2.0, (item,))
        store.record(a, Alert(f"id{i}", a.title, a.source_name, "en", (m,), (), created_at=utcnow()))
    digest = brief(store, watchlist, "kursk", "6h")
    assert [al.title for al in digest.alerts] == ["Headline about kursk"]
    assert "Kursk" in digest.title and "6 h" in digest.title
    assert len(brief(store, watchlist).alerts) == 2
    store.close()
