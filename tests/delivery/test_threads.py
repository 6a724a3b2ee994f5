"""Follow-ups in an alert's thread: a story that another outlet carries too is told as a
reply under the alert (Slack ``thread_ts``; Discord a thread started on the alert's
message), instead of or besides the edit, as each route's ``followups`` says. Through the
real ingest, outbox, delivery worker and slack_sdk / discord.py clients, against the fakes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat.base import ChatAdapter
from bot.chat.discord.render import followup_payload as discord_followup
from bot.chat.slack.adapter import SlackAdapter
from bot.chat.slack.blocks import FOLLOWUP_EVENT
from bot.chat.slack.blocks import followup_payload as slack_followup
from bot.commands.dispatch import Commands
from bot.delivery.pacing import Pacing
from bot.delivery.worker import DeliveryWorker
from bot.ingest.pipeline import ingest
from bot.models import Article, FollowUp
from bot.nlp.watchlist import load_watchlist
from bot.settings.sections import RouteConfig, SlackConfig
from bot.store.repositories import Repositories, open_store
from tests.chat.discord.test_adapter import running as discord_running
from tests.fakes.discord import ALERTS, FakeDiscord, serve
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.fakes.slack import running as slack_running
from tests.ingest.test_stories import WIRE_BODY
from tests.ingest.test_stories import _outlet as outlet_article

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
WATCHLIST = load_watchlist(ROOT / "config" / "watchlist.yaml")
NEWS = "C0NEWS"
COMMANDS: Any = Commands(None, None, None, watchlist=lambda: WATCHLIST)  # type: ignore[arg-type]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with slack_running() as fake:
        yield fake


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Repositories]:
    repos = open_store(f"sqlite:///{tmp_path / 'newsbot.db'}")
    yield repos
    repos.close()


def slack_adapter(fake: FakeSlack) -> SlackAdapter:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "NEWSBOT_SLACK_API_URL": fake.api_url}
    return SlackAdapter.from_env(env, SlackConfig(), COMMANDS)


SIGN_OFFS = ("", " (Reporting by the Seoul bureau.)", " (Edited by the world desk.)")


def _outlet(n: int, body: str = WIRE_BODY) -> Article:
    """Outlet ``n``'s copy of the wire story: its own sign-off, so not the same text."""
    return outlet_article(n, body + SIGN_OFFS[n % 3])


class Newsdesk:
    """The wire story and its copies through ingest, then a drain of the outbox."""

    def __init__(self, store: Repositories, routes: list[RouteConfig], adapter: ChatAdapter) -> None:
        self.store = store
        self.routes = routes
        self.worker = DeliveryWorker(
            store.outbox, store.outcomes, {adapter.platform: adapter}, pacing=Pacing
        )

    async def publish(self, article: Article) -> None:
        await asyncio.to_thread(
            ingest, [article], store=self.store.articles, subscriptions=self.store.subscriptions,
            watchlist=WATCHLIST, routes=self.routes,
        )
        await self.worker.drain()


def slack_route(mode: str | None) -> RouteConfig:
    return RouteConfig(platform="slack", channel=NEWS, items=["north-korea"], followups=mode)


@pytest.mark.parametrize("mode", ["thread", "both", "edit", None])
def test_slack_another_outlet_is_told_as_the_route_says(
    fake_slack: FakeSlack, store: Repositories, mode: str | None
) -> None:
    """thread: a reply under the alert (``thread_ts`` = its ts), the alert untouched;
    both: the alert edited and the reply; edit (and unset): the edit alone, as before."""

    async def scenario() -> None:
        adapter = slack_adapter(fake_slack)
        await adapter.start()
        try:
            desk = Newsdesk(store, [slack_route(mode)], adapter)
            await desk.publish(_outlet(0, WIRE_BODY))
            await desk.publish(_outlet(1, WIRE_BODY))
            await desk.publish(_outlet(2, WIRE_BODY))
        finally:
            await adapter.stop()

    asyncio.run(asyncio.wait_for(scenario(), 90))
    (alert,) = fake_slack.messages(NEWS)
    ts = alert["ts"]
    replies = fake_slack.replies(NEWS, ts)
    edits = fake_slack.received("chat.update")
    threaded = fake_slack.received("chat.postMessage", thread_ts=ts)
    if mode in ("thread", "both"):
        assert len(replies) == len(threaded) == 2
        first, second = replies
        assert first["text"] == "Also carried by Outlet 1"
        assert "<https://outlet1.example/world/nk-shells|" in json.dumps(first["blocks"])
        assert "Outlet 2" in second["text"] and "outlet2.example" in json.dumps(second["blocks"])
        assert first["metadata"]["event_type"] == FOLLOWUP_EVENT
    else:
        assert replies == [] and threaded == []
    if mode == "thread":
        assert edits == []
        assert "Outlet 1" not in json.dumps(alert["blocks"])  # told in the thread instead
    else:
        assert len(edits) == 2 and all(c.body["ts"] == ts for c in edits)
        assert "Outlet 1" in json.dumps(alert["blocks"]) and "Outlet 2" in json.dumps(alert["blocks"])
    assert store.outbox.delivery_counts() == {"sent": 1}


def test_the_config_default_applies_where_the_route_says_nothing(
    fake_slack: FakeSlack, store: Repositories
) -> None:
    """A channel subscribed in chat (no route of its own) follows ``followups`` at the top
    of the config."""

    async def scenario() -> None:
        adapter = slack_adapter(fake_slack)
        await adapter.start()
        try:
            await asyncio.to_thread(
                store.subscriptions.subscribe, _target("slack", NEWS), "north-korea"
            )
            worker = DeliveryWorker(store.outbox, store.outcomes, {"slack": adapter}, pacing=Pacing)
            for n in (0, 1):
                await asyncio.to_thread(
                    ingest, [_outlet(n, WIRE_BODY)], store=store.articles,
                    subscriptions=store.subscriptions, watchlist=WATCHLIST, routes=[],
                    followups="thread",
                )
                await worker.drain()
        finally:
            await adapter.stop()

    asyncio.run(asyncio.wait_for(scenario(), 90))
    (alert,) = fake_slack.messages(NEWS)
    assert [r["text"] for r in fake_slack.replies(NEWS, alert["ts"])] == ["Also carried by Outlet 1"]
    assert fake_slack.received("chat.update") == []


def _target(platform: str, channel: str) -> Any:
    from bot.models import Target

    return Target(platform, channel)


def test_a_reply_that_arrived_unanswered_is_found_in_the_thread_not_posted_twice(
    fake_slack: FakeSlack, store: Repositories
) -> None:
    """The reply reaches Slack and the answer is lost (a 500 after storing it: what a
    kill at that moment leaves): the next attempt reads the thread
    (``conversations.replies``) and finds it."""
    lost: list[str] = []

    def lose_the_answer(channel: str, message: dict[str, Any]) -> None:
        if message.get("thread_ts") and not lost:
            lost.append(message["ts"])
            raise RuntimeError("the connection dropped before the answer")

    async def scenario() -> None:
        adapter = slack_adapter(fake_slack)
        await adapter.start()
        try:
            desk = Newsdesk(store, [slack_route("thread")], adapter)
            desk.worker.sender.policy = type(desk.worker.sender.policy)(base_delay=0.0)
            await desk.publish(_outlet(0, WIRE_BODY))
            fake_slack.on_post(lose_the_answer)
            await desk.publish(_outlet(1, WIRE_BODY))
            assert lost, "the reply was posted and its answer lost"
            assert store.outbox.delivery_counts() == {"pending": 1}
            await desk.worker.drain()  # the retry: in doubt, so it reads the thread first
        finally:
            fake_slack.on_post(None)
            await adapter.stop()

    asyncio.run(asyncio.wait_for(scenario(), 90))
    (alert,) = fake_slack.messages(NEWS)
    assert [r["ts"] for r in fake_slack.replies(NEWS, alert["ts"])] == lost
    assert fake_slack.received("conversations.replies")
    assert store.outbox.delivery_counts() == {"sent": 1}


@pytest.mark.parametrize("mode", ["thread", "both"])
def test_discord_starts_a_thread_on_the_alert_and_reuses_it(
    fake_discord: FakeDiscord, store: Repositories, mode: str
) -> None:
    route = RouteConfig(platform="discord", channel=ALERTS, items=["north-korea"], followups=mode)

    async def scenario() -> None:
        async with discord_running(fake_discord, COMMANDS) as adapter:
            desk = Newsdesk(store, [route], adapter)
            for n in range(3):
                await desk.publish(_outlet(n, WIRE_BODY))

    asyncio.run(asyncio.wait_for(scenario(), 90))
    (alert,) = fake_discord.messages(ALERTS)
    started = fake_discord.received("POST", rf"/channels/{ALERTS}/messages/{alert['id']}/threads")
    assert len(started) == 1, "one thread, reused by the second follow-up"
    assert started[0].body["name"].startswith("North Korea ships more artillery")
    thread = fake_discord.threads[alert["id"]]
    assert thread["parent_id"] == ALERTS
    replies = fake_discord.messages(thread["id"])
    assert [r["content"].split(":")[0] for r in replies] == [
        "Also carried by Outlet 1", "Also carried by Outlet 2"
    ]
    assert "(https://outlet1.example/world/nk-shells)" in replies[0]["content"]
    assert all(r["flags"] & 4 for r in replies)  # no link preview under a reply
    edits = fake_discord.received("PATCH", rf"/channels/{ALERTS}/messages/\d+")
    assert len(edits) == (2 if mode == "both" else 0)
    assert store.outbox.delivery_counts() == {"sent": 1}


def test_a_hostile_outlet_name_pings_nobody_and_a_bad_link_is_left_out() -> None:
    followup = FollowUp(
        key="a1:followup:7", alert_id="a1", kind="source",
        source_name="<!channel> @everyone *Wire* <@U0BOSS> <@123456789> [x](https://evil.example)",
        url="javascript:alert(1)",
    )
    slack = slack_followup(followup)
    text = json.dumps(slack)
    assert "<!channel>" not in text and "<@U0BOSS>" not in text and "javascript" not in text
    assert "@\u200beveryone" in slack["text"]
    discord = discord_followup(followup)["content"]
    assert "@everyone" not in discord and "<@123456789>" not in discord
    assert "javascript" not in discord
    assert "\\[x](https://evil.example)" in discord  # escaped: shown, not a masked link
    linked = discord_followup(FollowUp("k", "a1", "source", "Wire", "https://wire.example/a b"))
    assert "](" not in linked["content"]  # a URL with a space is no link


def test_the_terminal_prints_a_follow_up_under_the_alert_without_escape_codes() -> None:
    import io

    from rich.console import Console

    from bot.chat.console import ConsoleAdapter
    from bot.models import Target

    out = io.StringIO()
    console = ConsoleAdapter(Console(file=out, width=120, color_system=None))
    followup = FollowUp("k", "a1", "source", "Outlet\x1b[2J 1", "https://outlet1.example/a?key=secret")
    posted = asyncio.run(console.send_followup(Target("console", "terminal"), "a1", None, followup))
    assert posted is not None and posted.message_id == "a1"
    assert "↳ Also carried by Outlet 1: https://outlet1.example/a" in out.getvalue()
    assert "\x1b" not in out.getvalue() and "secret" not in out.getvalue()


def test_discord_dms_have_no_threads_so_the_follow_up_answers_the_alert(
    fake_discord: FakeDiscord, store: Repositories
) -> None:
    from tests.fakes.discord import USER_ID

    route = RouteConfig(platform="discord", channel=f"dm:{USER_ID}", items=["north-korea"],
                        followups="thread")

    async def scenario() -> None:
        async with discord_running(fake_discord, COMMANDS) as adapter:
            desk = Newsdesk(store, [route], adapter)
            for n in range(2):
                await desk.publish(_outlet(n, WIRE_BODY))

    asyncio.run(asyncio.wait_for(scenario(), 90))
    dm = f"9{USER_ID[1:]}"
    alert, reply = fake_discord.messages(dm)
    assert reply["content"].startswith("Also carried by Outlet 1")
    (sent,) = [r for r in fake_discord.received("POST", rf"/channels/{dm}/messages")
               if "Also carried" in (r.body or {}).get("content", "")]
    assert str(sent.body["message_reference"]["message_id"]) == alert["id"]
    assert fake_discord.threads == {}
    assert store.outbox.delivery_counts() == {"sent": 1}
