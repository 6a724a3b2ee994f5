from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp.watchlist import Watchlist, load_watchlist

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def watchlist() -> Watchlist:
    return load_watchlist(ROOT / "config" / "watchlist.yaml")
