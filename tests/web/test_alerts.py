"""The Alerts page: search what was alerted and where it went, over articles the pipeline
itself turned into alerts and deliveries."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import update

from bot.chat.links import message_link
from bot.models import Article, Target
from bot.store.db import utcnow
from bot.store.schema import DeliveryRow
from tests.web.conftest import FEEDS, HOSTILE_TITLE, SEED, Client, Console

pytestmark = pytest.mark.network

WIRE, HOSTILE_FEED = FEEDS[0]["url"], FEEDS[1]["url"]
SLACK_TS = "1765000000.123456"
HOSTILE_TEXT = (
    "<script>alert(3)</script> Des tirs d'artillerie ont été signalés près de Koursk dans la "
    "nuit, selon le gouverneur régional. <img src=x onerror=alert(4)> Les écoles restent fermées."
)


class SlackLinks:
    """What a connected Slack adapter contributes to the page: links in its workspace."""

    platform = "slack"

    def message_link(self, target: Target, external_id: str | None) -> str | None:
        return message_link("slack", target.channel, external_id,
                            workspace_url="https://acme.slack.com")


def seed_alerts(console: Console) -> None:
    """The seed article and a hostile one through the pipeline (alerts and deliveries as
    the bot makes them), an unmatched one seen; then the Slack post sent, the terminal's
    failed."""
    from bot.ingest.pipeline import ingest

    now = utcnow()
    store = console.bot.store
    seed = Article(
        source_id=f"feed:{WIRE}", source_name="Wire Example", guid="wire-1",
        title="La Corée du Nord sera aux côtés de la Russie",
        text=SEED.read_text(encoding="utf-8"), url="https://wire.example.org/coree",
        published=now, language="fr", location="https://wire.example.org/coree",
    )
    hostile = Article(
        source_id=f"feed:{HOSTILE_FEED}", source_name=HOSTILE_TITLE, guid="hostile-1",
        title=HOSTILE_TITLE + " Koursk", text=HOSTILE_TEXT, url="javascript:alert(5)",
        published=now, language="fr", location="javascript:alert(5)",
    )
    rain = Article(
        source_id=f"feed:{WIRE}", source_name="Wire Example", guid="wire-2",
        title="Pluie sur Lyon", text="Il pleut à Lyon depuis ce matin, rien de grave.",
        published=now, language="fr",
    )
    report = ingest([seed, hostile, rain], store=store.articles,
                    subscriptions=store.subscriptions, watchlist=console.bot.live.watchlist,
                    routes=console.bot.settings.routes)
    assert report.alerted == 2 and report.queued == 4, report
    with store.db.session.begin() as s:
        s.execute(update(DeliveryRow).where(DeliveryRow.platform == "slack")
                  .values(status="sent", external_id=SLACK_TS, sent_at=now))
        s.execute(update(DeliveryRow).where(DeliveryRow.platform == "console")
                  .values(status="failed", last_error="terminal closed <b>EOF</b>"))
    console.bot.adapters["slack"] = SlackLinks()  # type: ignore[assignment]


def pages(console: Console, *queries: dict[str, str]) -> list[tuple[int, str]]:
    async def go() -> list[tuple[int, str]]:
        async with Client(console) as c:
            await c.login()
            return [await c.page("/alerts?" + urlencode(q)) for q in queries]

    return asyncio.run(go())


def alerts_in(html: str) -> list[str]:
    """The headlines listed, in order."""
    return re.findall(r'<strong class="headline">(?:<a [^>]*>)?(.*?)(?:</a>)?</strong>', html)


def test_the_page_needs_a_login(console: Console) -> None:
    async def go() -> tuple[int, str]:
        async with Client(console) as c, c.session.get(
            "/alerts?q=Koursk", allow_redirects=False
        ) as resp:
            return resp.status, resp.headers["Location"]

    status, location = asyncio.run(go())
    assert status == 303 and location.startswith("/login?")


def test_koursk_finds_the_seed_alert_with_where_it_was_posted(console: Console) -> None:
    seed_alerts(console)
    (status, html), = pages(console, {"q": "Koursk"})
    assert status == 200
    hits = alerts_in(html)
    assert "La Corée du Nord sera aux côtés de la Russie" in hits and len(hits) == 2
    seed = html.split('class="hit"')[1:]
    seed = [h for h in seed if "La Corée du Nord sera" in h][0]
    assert "Koursk" in seed.split('class="snippet">')[1].split("</p>")[0]
    assert '<span class="badge">kursk</span>' in seed
    assert '<a href="https://wire.example.org/coree" rel="noreferrer noopener">Wire Example</a>' in seed
    slack = seed.split('data-channel="slack:C0KURSK"')[1].split("</tr>")[0]
    assert ">sent<" in slack
    assert f'href="https://acme.slack.com/archives/C0KURSK/p{SLACK_TS.replace(".", "")}"' in slack
    terminal = seed.split('data-channel="console:terminal"')[1].split("</tr>")[0]
    assert "failed: terminal closed &lt;b&gt;EOF&lt;/b&gt;" in terminal
    assert "href=" not in terminal  # nothing to open where nothing was posted


def test_feed_text_stays_text(console: Console) -> None:
    seed_alerts(console)
    (status, html), = pages(console, {"q": "gouverneur écoles", "seen": "1"})
    assert status == 200
    assert len(alerts_in(html)) == 1
    for hostile in ("<script>alert(", "<img src=x", "javascript:"):
        assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title and source, as text
    assert "&lt;img src=x onerror=alert(4)&gt;" in html  # the snippet, as text


def test_a_bad_search_says_why_with_400(console: Console) -> None:
    seed_alerts(console)
    answers = pages(console, {"q": "* ( )"}, {"q": "Koursk", "from": "yesterday"},
                    {"q": "Koursk", "channel": "C0KURSK"}, {"q": "x" * 5000},
                    {"q": "Koursk", "from": "2026-12-02", "to": "2026-12-01"})
    assert [status for status, _ in answers] == [400] * 5
    messages = [html.split('id="search-error">')[1].split("</p>")[0] for _, html in answers]
    assert "give words" in messages[0]
    assert "not a date" in messages[1]
    assert "platform:channel" in messages[2]
    assert "at most 4000 characters" in messages[3]
    assert "the first day is after the last" in messages[4]
    assert all("Traceback" not in html for _, html in answers)
    assert 'value="Koursk"' in answers[1][1]  # the form keeps what was typed


def test_filters_narrow_and_no_words_lists_the_latest(console: Console) -> None:
    seed_alerts(console)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    today = datetime.now(UTC).date().isoformat()
    found = [alerts_in(html) for _, html in pages(
        console,
        {"q": ""},
        {"q": "Koursk", "feed": HOSTILE_FEED},
        {"q": "Koursk", "item": "belgorod"},
        {"q": "Koursk", "language": "en"},
        {"q": "Koursk", "channel": "slack:C0KURSK", "from": today, "to": today},
        {"q": "Koursk", "channel": "discord:123456789012345678"},
        {"q": "Koursk", "from": tomorrow},
    )]
    assert len(found[0]) == 2  # no words: the latest alerts
    assert len(found[1]) == 1 and "Corée" not in found[1][0] and "Koursk" in found[1][0]
    assert found[2] == [] and found[3] == []
    assert len(found[4]) == 2
    assert found[5] == [] and found[6] == []


def test_seen_but_not_alerted_on_request(console: Console) -> None:
    seed_alerts(console)
    (_, without), (_, with_seen) = pages(console, {"q": "Lyon"}, {"q": "Lyon", "seen": "1"})
    assert alerts_in(without) == [] and "Seen, not alerted" not in without
    seen = with_seen.split('id="seen"')[1]
    assert "Pluie sur Lyon" in seen and "Il pleut à Lyon" in seen


def test_the_last_day_of_the_calendar_is_a_date_like_any_other(console: Console) -> None:
    """``to=9999-12-31`` ends after every alert (the day after it has no date: it was a 500)."""
    seed_alerts(console)
    (status, html), (status_from, nothing) = pages(
        console, {"q": "Koursk", "to": "9999-12-31"}, {"q": "Koursk", "from": "9999-12-31"})
    assert status == 200 and len(alerts_in(html)) == 2
    assert status_from == 200 and alerts_in(nothing) == []
