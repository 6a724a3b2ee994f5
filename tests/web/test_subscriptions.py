"""The Subscriptions page: routes from the config, chat subscriptions from the store, and
removing one the way ``/unsubscribe`` does."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import Target
from tests.web.conftest import Client, Console

pytestmark = pytest.mark.network


def test_who_receives_what_and_removing_one(console: Console) -> None:
    subs = console.bot.store.subscriptions
    news, dm = Target("slack", "C0NEWS"), Target("discord", "dm:1234")
    subs.subscribe(news, "kursk", user="U1")
    subs.subscribe(news, "north-korea", user="U1")
    subs.subscribe(dm, "all", user="1234")
    subs.subscribe(Target("slack", "C0OLD"), "gone-item", user="U2")  # no longer watched

    async def go() -> list[tuple[int, str]]:
        async with Client(console) as c:
            await c.login()
            pages = [await c.page("/subscriptions")]
            form = {"platform": "slack", "channel": "C0NEWS", "item": "kursk"}
            resp = await c.post("/subscriptions/remove", form, csrf_from="/subscriptions")
            assert resp.status == 303
            pages.append(await c.page("/subscriptions"))
            form = {"platform": "slack", "channel": "C0OLD", "item": "gone-item"}
            resp = await c.post("/subscriptions/remove", form, csrf_from="/subscriptions")
            pages.append(await c.page("/subscriptions"))
            return pages

    before, after, last = asyncio.run(go())
    routes = before[1].split('id="routes"')[1].split("</table>")[0]
    assert "slack</td><td>C0KURSK" in routes and "Kursk (kursk)" in routes
    subscribed = before[1].split('id="subscribed"')[1]
    for shown in ("C0NEWS", "Kursk (kursk)", "North Korea (north-korea)", "dm:1234",
                  "every watch item", "gone-item"):
        assert shown in subscribed
    assert "Unsubscribed C0NEWS from Kursk (kursk)." in after[1]  # /unsubscribe's own reply
    assert subs.subscriptions(news) == [(news, "north-korea")]
    assert "Unsubscribed C0OLD from gone-item." in last[1]
    assert subs.subscriptions(Target("slack", "C0OLD")) == []
    # The notice is shown once, not on every later visit.
    assert "Unsubscribed C0NEWS" not in last[1]


def test_a_channel_the_bot_could_not_post_to_shows_paused_and_why(console: Console) -> None:
    gone = Target("slack", "C0GONE")
    console.bot.store.subscriptions.subscribe(gone, "kursk", user="U1")
    console.bot.store.outcomes.pause_target(gone, "channel_not_found: <b>archived</b>")

    async def go() -> str:
        async with Client(console) as c:
            await c.login()
            return (await c.page("/subscriptions"))[1]

    html = asyncio.run(go())
    row = html.split('id="subscribed"')[1].split("</tr>", 2)[1]
    assert "C0GONE" in row and "paused since" in row
    assert "channel_not_found: &lt;b&gt;archived&lt;/b&gt;" in row
