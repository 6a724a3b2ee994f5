"""``/search`` over the real store on both backends: the seed dispatch goes through the
pipeline, is posted to a Slack channel, and a user there finds it by a word of it in French
("Koursk"), with the link to the message; a channel it was not sent to is told nothing was."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

from bot.chat.links import message_link
from bot.commands.core import Caller, Reply
from bot.commands.dispatch import Commands
from bot.ingest.pipeline import ingest
from bot.models import Article, Target
from bot.settings.sections import RouteConfig
from bot.store.db import utcnow
from bot.store.repositories import open_store
from bot.store.schema import DeliveryRow
from tests.commands.test_search import WATCHLIST

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"  # the repository's copy, in any checkout
TS = "1765000000.123456"


def link(target: Target, message_id: str | None) -> str | None:
    return message_link(target.platform, target.channel, message_id,
                        workspace_url="https://acme.slack.com")


def test_search_finds_the_seed_alert_sent_here_by_a_french_word(db_url: str) -> None:
    store = open_store(db_url)
    try:
        seed = Article(
            source_id="feed:https://wire.example.org/rss", source_name="Wire Example",
            guid="wire-1", title="La Corée du Nord sera aux côtés de la Russie",
            text=SEED.read_text(encoding="utf-8"), url="https://wire.example.org/coree",
            published=utcnow(), language="fr",
        )
        routes = [RouteConfig(platform="slack", channel="C0NEWS", items=["all"])]
        report = ingest([seed], store=store.articles, subscriptions=store.subscriptions,
                        watchlist=WATCHLIST, routes=routes)
        assert report.alerted == 1
        with store.db.session.begin() as s:
            s.execute(update(DeliveryRow).values(status="sent", external_id=TS, sent_at=utcnow()))
        commands = Commands(store.subscriptions, store.history, store.feeds, lambda: WATCHLIST,
                            search=store.search)

        here = Caller("slack", "C0NEWS", "U0ALICE", "#news")
        found = asyncio.run(commands.run_text("/search", "Koursk", here, link=link))
        assert isinstance(found, Reply) and found.ok, found
        assert "La Corée du Nord sera aux côtés de la Russie" in found.text
        assert f"https://acme.slack.com/archives/C0NEWS/p{TS.replace('.', '')}" in found.text

        narrowed = asyncio.run(commands.run_text("/search", "Koursk submarine", here, link=link))
        assert isinstance(narrowed, Reply) and narrowed.text.startswith("No alert sent here")

        elsewhere = Caller("discord", "1100000000000000001", "1200000000000000001", "#news")
        other = asyncio.run(commands.run_text("/search", "Koursk", elsewhere, link=link))
        assert isinstance(other, Reply) and "La Corée du Nord" not in other.text
    finally:
        store.close()
