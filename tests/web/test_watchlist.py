"""The Watchlist page over HTTP: the items per language, validation by line, Save through
the ``/watch`` path (refused without the CSRF token, when invalid, or when the file changed
since it was loaded), and the backtest of an edit over the articles kept."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backtest.stored import BELGOROD_ITEM, BELGOROD_TITLE, articles
from tests.web.conftest import Client, Console, csrf_of

pytestmark = pytest.mark.network

LOADED = re.compile(r'name="loaded" value="([0-9a-f]{64})"')


def path_of(console: Console) -> Path:
    return console.bot.live.watchlist_path


def in_session(console: Console, work: Callable[[Client], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with Client(console) as c:
            await c.login()
            return await work(c)

    return asyncio.run(go())


async def editor(c: Client) -> tuple[str, str]:
    """The page's CSRF token and the digest of the text it loaded."""
    status, html = await c.page("/watchlist")
    assert status == 200, html
    found = LOADED.search(html)
    assert found, "the editor does not say what it loaded"
    return csrf_of(html), found.group(1)


async def check(c: Client, text: str, csrf: str | None) -> tuple[int, Any]:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    async with c.session.post("/watchlist/check", json={"text": text}, headers=headers) as resp:
        return resp.status, (await resp.json() if resp.status == 200 else await resp.text())


def test_the_page_lists_every_item_with_its_aliases_per_language(console: Console) -> None:
    status, html = in_session(console, lambda c: c.page("/watchlist"))
    assert status == 200
    for item in ("north-korea", "kursk", "arms-transfers", "russia", "ukraine"):
        assert f'data-item="{item}"' in html
    kursk = html.split('data-item="kursk"', 1)[1].split("</tr>", 1)[0]
    assert '<span data-lang="fr">Koursk*, Kursk*</span>' in kursk
    assert "<textarea" in html and "id: north-korea" in html  # the file itself, to edit


def test_validation_names_the_line_of_each_problem(console: Console) -> None:
    text = path_of(console).read_text(encoding="utf-8")
    broken = text.replace("  - id: kursk\n", "  - id: Kursk Oblast\n", 1)
    line = broken.splitlines().index("  - id: Kursk Oblast") + 1

    async def work(c: Client) -> Any:
        csrf, _ = await editor(c)
        return await check(c, broken, csrf), await check(c, text, csrf), await check(c, text, None)

    (status, answer), (_, fine), (refused, _) = in_session(console, work)
    assert status == 200 and answer["ok"] is False
    assert [e["line"] for e in answer["errors"]] == [line]
    assert "lowercase" in answer["errors"][0]["message"]
    assert fine == {"ok": True, "errors": [], "summary": "5 items, valid"}
    assert refused == 403  # no CSRF token


def test_save_without_the_csrf_token_is_refused(console: Console) -> None:
    before = path_of(console).read_text(encoding="utf-8")

    async def work(c: Client) -> Any:
        _, loaded = await editor(c)
        return await c.post("/watchlist", {"text": before + BELGOROD_ITEM, "loaded": loaded})

    resp = in_session(console, work)
    assert resp.status == 403
    assert path_of(console).read_text(encoding="utf-8") == before


def test_an_invalid_watchlist_is_not_saved_and_its_problem_is_shown(console: Console) -> None:
    before = path_of(console).read_text(encoding="utf-8")
    broken = before + "  - id: belgorod\n    name: Belgorod\n    min_score: -1\n    aliases:\n      en: [Belgorod]\n"

    async def work(c: Client) -> Any:
        csrf, loaded = await editor(c)
        resp = await c.post("/watchlist", {"text": broken, "loaded": loaded, "csrf": csrf})
        return resp.status, await resp.text()

    status, html = in_session(console, work)
    assert status == 400
    assert "Not saved" in html and "min_score" in html
    assert f'data-line="{len(before.splitlines()) + 3}"' in html  # the line of min_score
    assert "id: belgorod" in html  # the edit is kept in the editor, not lost
    assert path_of(console).read_text(encoding="utf-8") == before
    assert console.bot.live.watchlist.get("belgorod") is None


def test_a_save_is_refused_when_the_file_changed_since_it_was_loaded(console: Console) -> None:
    path = path_of(console)
    original = path.read_text(encoding="utf-8")
    by_hand = original.replace("Kursk, Kursks, Kursker", "Kursk, Kursks, Kursker, Kurskem")
    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    console.bot.live.notify = notify

    async def work(c: Client) -> Any:
        csrf, loaded = await editor(c)
        path.write_text(by_hand, encoding="utf-8")  # someone edits the file meanwhile
        resp = await c.post(
            "/watchlist", {"text": original + BELGOROD_ITEM, "loaded": loaded, "csrf": csrf}
        )
        return resp.status, await resp.text()

    status, html = in_session(console, work)
    assert status == 409
    assert "changed on disk since you loaded it" in html
    assert "id: belgorod" in html  # the admin's edit is still there to copy
    assert path.read_text(encoding="utf-8") == by_hand
    # The admin copies the edit into the file by hand: the console did not write it.
    path.write_text(original + BELGOROD_ITEM, encoding="utf-8")
    assert console.call(console.bot.live.reload_watchlist_if_changed())
    assert console.bot.live.watchlist.get("belgorod") is not None
    assert told[-1].startswith("newsbot: watchlist updated (6 items):"), told


def test_a_save_is_written_reloaded_by_the_bot_and_announced(console: Console) -> None:
    path = path_of(console)
    before = path.read_text(encoding="utf-8")
    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    console.bot.live.notify = notify

    async def work(c: Client) -> Any:
        csrf, loaded = await editor(c)
        resp = await c.post(
            "/watchlist", {"text": before + BELGOROD_ITEM, "loaded": loaded, "csrf": csrf}
        )
        page = await c.page("/watchlist")
        return resp, page

    resp, (_, html) = in_session(console, work)
    assert resp.status == 303 and resp.headers["Location"] == "/watchlist"
    assert path.read_text(encoding="utf-8") == before + BELGOROD_ITEM
    assert console.bot.live.watchlist.get("belgorod") is not None
    assert 'data-item="belgorod"' in html
    assert "Saved; the bot reloaded it: added belgorod (Belgorod)" in html
    assert told == [
        "newsbot: watchlist updated by an admin (web console) (6 items):\n• added belgorod (Belgorod)"
    ]
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, nothing left behind


def store_week(console: Console) -> None:
    from bot.ingest.pipeline import ingest

    store = console.bot.store
    ingest(articles(), store=store.articles, subscriptions=store.subscriptions,
           watchlist=console.bot.live.watchlist, routes=[])


async def backtest_of(c: Client, text: str) -> dict[str, Any]:
    """Start a backtest as the page does and poll it until it is done."""
    csrf, _ = await editor(c)
    async with c.session.post(
        "/watchlist/backtest", json={"text": text}, headers={"X-CSRF-Token": csrf}
    ) as resp:
        assert resp.status == 202, await resp.text()
        job = (await resp.json())["job"]
    views: list[dict[str, Any]] = []

    async def finished() -> bool:
        async with c.session.get(f"/watchlist/backtest/{job}") as resp:
            assert resp.status == 200
            views.append(await resp.json())
        return views[-1]["state"] != "running"

    await wait_until_async(finished)
    return views[-1]


async def wait_until_async(condition: Callable[[], Awaitable[bool]], timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, "the backtest did not finish"
        await asyncio.sleep(0.05)


def test_a_backtest_lists_the_stored_article_the_edit_would_alert(console: Console) -> None:
    store_week(console)
    text = path_of(console).read_text(encoding="utf-8")
    view = in_session(console, lambda c: backtest_of(c, text + BELGOROD_ITEM))
    assert view["state"] == "done", view
    result = view["result"]
    assert (result["articles"], result["gained_count"], result["lost_count"]) == (3, 1, 0)
    gained = result["gained"][0]
    assert gained["title"] == BELGOROD_TITLE and gained["feed"] == "Wire Example"
    assert gained["url"] == "https://wire.example.org/en/belgorod"
    assert gained["why"] == [{
        "item": "belgorod", "name": "Belgorod", "evidence": ["Belgorod"], "score": 5.0,
        "min_score": 1.0, "in_title": True,
    }]
    assert view["done"] == 3
    assert path_of(console).read_text(encoding="utf-8") == text  # a backtest saves nothing


def test_a_backtest_of_an_invalid_edit_answers_its_problems(console: Console) -> None:
    async def work(c: Client) -> Any:
        csrf, _ = await editor(c)
        async with c.session.post(
            "/watchlist/backtest", json={"text": "items:\n  - id: x\n"},
            headers={"X-CSRF-Token": csrf},
        ) as resp:
            return resp.status, await resp.json()

    status, answer = in_session(console, work)
    assert status == 400 and answer["errors"][0]["line"] == 2
