"""The weekly feedback note: once a week in the admin channels, never twice after a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.models import Alert, Article, Match, Target
from bot.nlp.watchlist import load_watchlist
from bot.runtime.weekly import WeeklyNote
from bot.store.db import utcnow
from bot.store.repositories import open_store

ROOT = Path(__file__).resolve().parents[2]
NEWS = Target("slack", "C0NEWS")


def test_the_note_goes_out_once_a_week_across_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newsbot.db'}"
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    sent: list[str] = []

    async def notify(text: str) -> None:
        sent.append(text)

    start = utcnow()
    store = open_store(url)
    note = WeeklyNote(store.feedback, lambda: watchlist, notify)
    assert asyncio.run(note.run(start)) is None  # a new database: the clock starts
    kursk = Match("kursk", "Kursk", "entity", 1, 0.9, ("Kursk",))
    alert = Alert("00000000000000b1", "Sailors remember the Kursk", "Wire", "en", (kursk,), (),
                  created_at=start)
    assert store.articles.record(Article("feed:w", "Wire", "g1", alert.title, "Text."), alert, [NEWS])
    store.feedback.rate(alert.id, NEWS, "U1", "not_relevant", "entity")
    assert asyncio.run(note.run(start + timedelta(days=6))) is None
    store.close()

    store = open_store(url)  # a restart
    note = WeeklyNote(store.feedback, lambda: watchlist, notify)
    weekly = asyncio.run(note.run(start + timedelta(days=7, minutes=1)))
    assert weekly is not None and sent == [weekly]
    assert '• Kursk (kursk): 1 click, matched on "Kursk" ×1 (reasons: entity 1)' in weekly
    assert asyncio.run(note.run(start + timedelta(days=7, hours=5))) is None
    store.close()

    store = open_store(url)
    note = WeeklyNote(store.feedback, lambda: watchlist, notify)
    assert asyncio.run(note.run(start + timedelta(days=8))) is None
    store.close()
    assert len(sent) == 1
