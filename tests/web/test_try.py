"""The Try page: an article pasted or fetched, matched and rendered by the functions
``newsbot match`` and ``newsbot preview`` use, with nothing stored or posted."""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import re

import pytest

from bot.nlp import MAX_TEXT_CHARS
from tests.web.conftest import HOSTILE_TITLE, SEED, Client, Console

pytestmark = pytest.mark.network


def try_pages(console: Console, *forms: dict[str, str]) -> list[tuple[int, str]]:
    """Each form tried in turn, in one session (the start-up token logs in once)."""
    async def go() -> list[tuple[int, str]]:
        async with Client(console) as c:
            await c.login()
            return [await c.submit("/try", form) for form in forms]

    return asyncio.run(go())


def try_page(console: Console, form: dict[str, str]) -> tuple[int, str]:
    return try_pages(console, form)[0]


def between(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_the_seed_article_matches_and_shows_as_each_platform_would_post_it(console: Console) -> None:
    status, html = try_page(console, {"text": SEED.read_text(encoding="utf-8")})
    assert status == 200, html
    assert "Would alert" in html and 'id="language-found">fr<' in html
    matches = between(html, 'id="matches"', "</table>")
    for item in ("north-korea", "kursk", "arms-transfers"):
        assert f'data-item="{item}"' in matches
    assert "Koursk" in matches  # the evidence as written
    # Every hit of the evidence is marked in the text, labelled with its item.
    article = between(html, 'id="article">', "</div>")
    assert '<mark class="hit" title="Kursk">Koursk</mark>' in article
    assert '<mark class="hit" title="North Korea">Corée du Nord</mark>' in article
    assert "Choe Son Hui" in between(html, 'id="quotes"', "</ul>")
    targets = between(html, 'id="targets"', "</ul>")
    assert "console · terminal" in targets and "slack · C0KURSK" in targets
    slack = json.loads(htmllib.unescape(between(html, 'id="slack-json">', "</pre>")))
    discord = json.loads(htmllib.unescape(between(html, 'id="discord-json">', "</pre>")))
    assert slack["blocks"][0]["type"] == "header"
    assert any("Choe Son Hui" in json.dumps(b, ensure_ascii=False) for b in slack["blocks"])
    assert discord["embeds"][0]["fields"][1]["name"] == "Choe Son Hui"
    assert discord["allowed_mentions"] == {"parse": []}
    terminal = htmllib.unescape(between(html, 'id="terminal">', "</pre>"))
    assert "Choe Son Hui" in terminal and "Kursk" in terminal


def test_the_platforms_show_the_feedback_buttons_their_adapters_post(console: Console) -> None:
    status, html = try_page(console, {"text": SEED.read_text(encoding="utf-8")})
    assert status == 200, html
    slack = json.loads(htmllib.unescape(between(html, 'id="slack-json">', "</pre>")))
    discord = json.loads(htmllib.unescape(between(html, 'id="discord-json">', "</pre>")))
    labels = ["👍 Useful", "Not relevant", "Mute this story here"]
    assert [e["text"]["text"] for e in slack["blocks"][-1]["elements"]] == labels
    assert [b["label"] for b in discord["components"][0]["components"]] == labels
    for pane in ('id="slack-preview"', 'id="discord-preview"'):
        shown = between(html, pane, "</pre>")
        assert all(f'<span class="button">{label}</span>' in shown for label in labels), pane


def test_what_is_tried_is_not_stored_or_queued(console: Console) -> None:
    status, _ = try_page(console, {"text": SEED.read_text(encoding="utf-8")})
    assert status == 200
    from sqlalchemy import func, select

    from bot.store.schema import AlertRow, ArticleRow

    assert console.bot.store.outbox.outbox_pending() == 0
    with console.bot.store.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ArticleRow)) == 0
        assert s.scalar(select(func.count()).select_from(AlertRow)) == 0


def test_a_hostile_title_is_shown_as_text(console: Console) -> None:
    text = "North Korea sent shells to Russia, officials said on Monday in Seoul."
    status, html = try_page(console, {"title": HOSTILE_TITLE, "text": text, "language": "en"})
    assert status == 200
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert htmllib.escape(HOSTILE_TITLE, quote=False) in html.replace("&#34;", '"').replace("&#39;", "'")


def test_an_article_that_matches_nothing_says_so(console: Console) -> None:
    status, html = try_page(console, {"text": "The village fair opens on Saturday with a cake contest."})
    assert status == 200
    assert "No alert" in html and 'id="matches"' not in html and 'id="slack-json"' not in html


def test_bad_input_is_refused_with_why_and_the_form_kept(console: Console) -> None:
    (long, bad_language, empty) = try_pages(
        console,
        {"text": "x" * (MAX_TEXT_CHARS + 1)},
        {"text": "Seoul", "language": "french!"},
        {"text": "  "},
    )
    assert long[0] == 400 and "Too long" in long[1]
    assert bad_language[0] == 400 and "two- or three-letter code" in bad_language[1]
    assert ">Seoul</textarea>" in bad_language[1]
    assert empty[0] == 400 and "Paste an article" in empty[1]


def test_a_url_on_a_private_address_is_refused_like_a_feeds_link(console: Console) -> None:
    (private, scheme) = try_pages(
        console, {"url": "http://127.0.0.1:9/article.html"}, {"url": "file:///etc/passwd"}
    )
    assert private[0] == 422
    error = re.search(r'id="error">([^<]+)<', private[1])
    assert error and "private address refused" in error.group(1)
    assert scheme[0] == 400 and "http:// or https://" in scheme[1]
