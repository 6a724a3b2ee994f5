"""The whole bot, one pass at a time: seed folder + a local feed -> store -> console alerts."""

from __future__ import annotations

import asyncio
import io
import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from rich.console import Console

from bot.chat.console import ConsoleAdapter
from bot.runtime.bot import NewsBot
from bot.settings.model import load_settings
from tests.localserver import FeedServer

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"


def rss(items: list[tuple[str, str, str, datetime]]) -> bytes:
    """An RSS 2.0 document in the shape a German outlet publishes (our own wording)."""
    entries = "".join(
        f"""
    <item>
      <title>{title}</title>
      <link>https://nachrichten.example.de/{guid}</link>
      <guid isPermaLink="false">{guid}</guid>
      <pubDate>{format_datetime(when)}</pubDate>
      <dc:creator>Redaktion</dc:creator>
      <description><![CDATA[<p>{body}</p>]]></description>
    </item>"""
        for guid, title, body, when in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Nachrichten Beispiel</title>
    <link>https://nachrichten.example.de/</link>
    <language>de-DE</language>
    <atom:link href="https://nachrichten.example.de/rss" rel="self" type="application/rss+xml"/>
    {entries}
  </channel>
</rss>""".encode()


NOW = datetime.now(UTC)
FRESH = (
    "nk-101",
    "Nordkorea liefert weitere Raketen an Russland",
    "Nordkorea hat nach Angaben aus Seoul weitere ballistische Raketen an Russland geliefert. "
    "„Die Lieferungen gehen weiter“, sagte ein Sprecher des Verteidigungsministeriums.",
    NOW - timedelta(hours=2),
)
OLD = (
    "nk-007",
    "Pjöngjang schickt Granaten nach Moskau",
    "Nordkorea hat Artilleriegranaten an Russland geliefert, berichteten Geheimdienste.",
    NOW - timedelta(days=10),
)
OTHER = (
    "wetter-1",
    "Sturmtief über Norddeutschland",
    "Der Deutsche Wetterdienst warnt vor Orkanböen an der Küste.",
    NOW - timedelta(hours=1),
)


def make_bot(tmp_path: Path, feeds: list[str]) -> tuple[NewsBot, io.StringIO]:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "seeds").mkdir(exist_ok=True)
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "config" / "watchlist.yaml")
    feed_yaml = "".join(f"  - url: {u}\n    interval: 1m\n" for u in feeds)
    (tmp_path / "config" / "newsbot.yaml").write_text(
        f"watchlist: config/watchlist.yaml\nseeds: [seeds]\nfeeds:\n{feed_yaml or '  []'}\n"
        "fetch_timeout: 3s\n"
    )
    settings = load_settings(
        tmp_path / "config" / "newsbot.yaml",
        env={"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/data/newsbot.db"},
    )
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False, color_system=None)
    return NewsBot(settings, {"console": ConsoleAdapter(console=console)}), out


def scan(bot: NewsBot) -> None:
    async def go() -> None:
        try:
            await bot.start()
            await bot.scan_once()
        finally:
            await bot.close()

    asyncio.run(go())


def test_seed_and_feed_become_console_alerts_once(
    tmp_path: Path, feed_server: FeedServer, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.static("/rss", rss([FRESH, OLD, OTHER]), etag='"v1"')
    dead = f"http://127.0.0.1:{closed_port}/rss"
    bot, out = make_bot(tmp_path, [feed_server.url("/rss"), dead])
    scan(bot)
    text = out.getvalue()

    # The seed: one alert naming the three mission items, with the two quoted speakers.
    assert text.count("La Corée du Nord sera aux côtés de la Russie") == 1
    for name in ("North Korea", "Kursk", "Arms transfers", "Choe Son Hui", "Antony Blinken"):
        assert name in text
    # The feed's fresh item alerts; the 10-day-old one is backlog; the weather is nothing.
    assert "Nordkorea liefert weitere Raketen an Russland" in text
    assert "Pjöngjang schickt Granaten" not in text
    assert "Sturmtief" not in text
    # The unreachable feed is one clear line, and did not stop the others.
    dead_lines = [r.getMessage() for r in caplog.records if dead in r.getMessage()]
    assert len(dead_lines) == 1 and "retrying" in dead_lines[0]

    # A second pass (a restart) alerts nothing again, and asks the feed conditionally.
    bot2, out2 = make_bot(tmp_path, [feed_server.url("/rss"), dead])
    scan(bot2)
    assert out2.getvalue().strip() == ""
    polls = [headers for path, headers in feed_server.requests if path == "/rss"]
    assert len(polls) == 2 and polls[-1].get("if-none-match") == '"v1"'


def test_items_the_feed_reorders_backdates_or_republishes_after_first_poll(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.static("/rss", rss([OTHER, OLD]))
    bot, _ = make_bot(tmp_path, [feed_server.url("/rss")])
    scan(bot)
    backdated = (
        "nk-202",
        "Russland erhält Artilleriegranaten aus Nordkorea",
        "Nordkorea hat Russland mit Granaten beliefert, hieß es in Kiew.",
        NOW - timedelta(days=30),
    )
    # New order, a back-dated new item, and the old one re-published with a fresh date.
    republished = (OLD[0], OLD[1], OLD[2], NOW)
    feed_server.static("/rss", rss([republished, backdated, OTHER]))
    bot2, out = make_bot(tmp_path, [feed_server.url("/rss")])
    scan(bot2)
    text = out.getvalue()
    assert "Russland erhält Artilleriegranaten aus Nordkorea" in text
    assert "Pjöngjang schickt Granaten" not in text


def test_an_invalid_watchlist_edit_keeps_the_last_good_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot, _ = make_bot(tmp_path, [])
    before = bot.watchlist
    path = tmp_path / "config" / "watchlist.yaml"
    path.write_text(path.read_text() + "\n  - id: [broken\n")
    assert not asyncio.run(bot.live.reload_watchlist_if_changed())
    assert bot.watchlist is before
    assert any(f"{path}:" in r.getMessage() for r in caplog.records)
    bot.store.close()
