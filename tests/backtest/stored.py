"""A few articles written for these tests, stored the way the bot stores what it reads
(``ingest``, text kept), for backtests from the CLI and the console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.models import Article

BELGOROD_TITLE = "Belgorod shelled again"
BELGOROD_ITEM = "  - id: belgorod\n    name: Belgorod\n    aliases:\n      en: [Belgorod]\n"
"""An item appended to the default watchlist: it alerts the Belgorod story only."""


def articles() -> list[Article]:
    now = datetime.now(UTC)
    return [
        Article(
            "feed:http://127.0.0.1:9/wire.xml", "Wire Example", "wire-1", BELGOROD_TITLE,
            "Shelling hit the outskirts of Belgorod overnight, the regional governor said. "
            "Two buildings were damaged and power was cut for hours.",
            url="https://wire.example.org/en/belgorod", published=now, language="en",
        ),
        Article(
            "feed:http://127.0.0.1:9/wire.xml", "Wire Example", "wire-2", "Council approves budget",
            "The city council approved a budget for road repairs on Monday. Forecasters "
            "expect rain until the weekend.",
            url="https://wire.example.org/en/budget", published=now, language="en",
        ),
        Article(
            "feed:http://127.0.0.1:9/wire.xml", "Wire Example", "wire-3", "Fighting in Kursk",
            "Fighting continued in the Kursk region on Tuesday, according to local officials.",
            url="https://wire.example.org/en/kursk", published=now, language="en",
        ),
    ]


def store_articles(url: str, watchlist_file: Path) -> None:
    """Ingest ``articles()`` into the database at ``url`` with the watchlist of that file."""
    from bot.ingest.pipeline import ingest
    from bot.nlp import load_watchlist
    from bot.store.repositories import open_store

    store = open_store(url)
    try:
        ingest(
            articles(), store=store.articles, subscriptions=store.subscriptions,
            watchlist=load_watchlist(watchlist_file), routes=[],
        )
    finally:
        store.close()
