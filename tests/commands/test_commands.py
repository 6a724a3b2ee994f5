"""Platform-neutral commands: what /brief and `newsbot brief` answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.core import Caller, CommandError, Reply, is_admin, resolve_item
from bot.commands.dispatch import Commands
from bot.commands.queries import brief, feeds_overview, item_choices, parse_brief_args, parse_since
from bot.commands.subscriptions import parse_subscribe_args, subscribe, subscriptions, unsubscribe
from bot.models import Alert, Article, Match
from bot.nlp.watchlist import load_watchlist
from bot.store.store import Store, utcnow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def watchlist():  # type: ignore[no-untyped-def]
    return load_watchlist(ROOT / "config" / "watchlist.yaml")


def test_items_resolve_by_id_or_name_and_typos_get_suggestions(watchlist) -> None:  # type: ignore[no-untyped-def]
    assert resolve_item(watchlist, "KURSK") == "kursk"
    assert resolve_item(watchlist, watchlist.get("north-korea").name) == "north-korea"
    with pytest.raises(CommandError, match="Did you mean north-korea"):
        resolve_item(watchlist, "north-corea")


def test_time_spans() -> None:
    assert parse_since(None) == timedelta(hours=24)
    assert parse_since("48h") == timedelta(hours=48)
    assert parse_since("90d") == timedelta(days=31)  # capped
    with pytest.raises(CommandError):
        parse_since("yesterday")


def test_brief_lists_recent_alerts_for_the_item(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    store = Store(db_url)
    for i, item in enumerate(["kursk", "russia"]):
        a = Article("files:seeds", "seed file", f"{i}.txt", f"Headline about {item}", f"Text {i}")
        m = Match(item, item.title(), "entity", 1, 2.0, (item,))
        store.record(a, Alert(f"id{i}", a.title, a.source_name, "en", (m,), (), created_at=utcnow()))
    digest = brief(store, watchlist, "kursk", "6h")
    assert [al.title for al in digest.alerts] == ["Headline about kursk"]
    assert "Kursk" in digest.title and "6 h" in digest.title
    assert len(brief(store, watchlist).alerts) == 2
    store.close()


# -- subscriptions, as /subscribe, /unsubscribe and /subscriptions answer them ----------


def _caller() -> Caller:
    return Caller("slack", "C1", "U1", channel_name="#news", dm_channel="U1", can_manage_channel=True)


def test_subscribe_names_the_channel_and_the_alerts_follow(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = Store(db_url)
    reply = subscribe(store, watchlist, _caller(), "Kursk")
    assert reply.ok and "#news" in reply.text and "kursk" in reply.text
    assert store.subscribed_targets(["kursk"]) == [Target("slack", "C1")]
    again = subscribe(store, watchlist, _caller(), "kursk")
    assert "already" in again.text
    # Someone else's channel stays untouched by this one's unsubscribe.
    other = Caller("slack", "C2", "U2", channel_name="#other", can_manage_channel=True)
    subscribe(store, watchlist, other, "all")
    assert "Unsubscribed #news" in unsubscribe(store, watchlist, _caller(), "kursk").text
    assert store.subscribed_targets(["kursk"]) == [Target("slack", "C2")]
    store.close()


def test_only_who_manages_a_channel_changes_it_and_a_dm_is_its_owners(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = Store(db_url)
    subscribe(store, watchlist, _caller(), "kursk")
    member = Caller("slack", "C1", "U2", channel_name="#news", dm_channel="U2")
    for change in (
        lambda: subscribe(store, watchlist, member, "all"),
        lambda: unsubscribe(store, watchlist, member),
        lambda: unsubscribe(store, watchlist, member, "kursk"),
    ):
        with pytest.raises(CommandError, match="need to have created this channel"):
            change()
    assert store.subscriptions() == [(Target("slack", "C1"), "kursk")]
    assert subscribe(store, watchlist, member, "kursk", dm=True).ok
    # An admin listed for this platform may change any channel.
    assert unsubscribe(store, watchlist, member, "kursk", admins=["slack:U2"]).ok
    with pytest.raises(CommandError, match="Manage Channels"):
        subscribe(store, watchlist, Caller("discord", "123", "U2"), "kursk", admins=["slack:U2"])
    assert store.subscriptions() == [(Target("slack", "U2"), "kursk")]
    store.close()


def test_dm_subscriptions_go_to_the_callers_dm_target(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = Store(db_url)
    subscribe(store, watchlist, _caller(), "north-korea", dm=True)
    assert store.subscribed_targets(["north-korea"]) == [Target("slack", "U1")]
    listing = subscriptions(store, watchlist, _caller())
    assert "Your direct messages" in listing.text and "north-korea" in listing.text
    no_dm = Caller("console", "terminal", "me")
    with pytest.raises(CommandError, match="Direct messages"):
        subscribe(store, watchlist, no_dm, "kursk", dm=True)
    store.close()


def test_unknown_items_get_close_matches_through_the_text_interface(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    store = Store(db_url)
    cmds = Commands(store, lambda: watchlist)
    reply = asyncio.run(cmds.run_text("/subscribe", "kursc", _caller()))
    assert isinstance(reply, Reply) and not reply.ok
    assert "Did you mean kursk" in reply.text
    assert store.subscriptions() == []
    empty = asyncio.run(cmds.run_text("/subscriptions", "", _caller()))
    assert isinstance(empty, Reply) and "no subscriptions" in empty.text
    overview = asyncio.run(cmds.run_text("/watchlist", "", _caller()))
    assert isinstance(overview, Reply)
    assert all(i in overview.text for i in watchlist.ids())
    store.close()


def test_command_argument_parsing() -> None:
    assert parse_brief_args("kursk 48h") == ("kursk", "48h")
    assert parse_brief_args("48h") == (None, "48h")
    assert parse_brief_args("North Korea") == ("North Korea", None)
    assert parse_brief_args("") == (None, None)
    assert parse_subscribe_args("kursk dm") == ("kursk", True)
    assert parse_subscribe_args("all") == ("all", False)


def test_autocomplete_prefers_prefix_matches(watchlist) -> None:  # type: ignore[no-untyped-def]
    ids = [i for i, _ in item_choices(watchlist, "ku")]
    assert ids[0] == "kursk"
    assert [i for i, _ in item_choices(watchlist, "")][: len(watchlist.ids())] == list(watchlist.ids())


def test_feeds_overview_puts_failing_feeds_first_in_words(db_url: str) -> None:
    store = Store(db_url)
    now = utcnow()
    store.update_feed(
        "https://a.example/rss", name="Wire A", last_success_at=now - timedelta(hours=2),
        items_seen=40,
    )
    store.update_feed(
        "https://b.example/rss", last_success_at=now - timedelta(days=2),
        consecutive_failures=7, last_error="HTTP 503",
    )
    text = feeds_overview(store, now=now).text.splitlines()
    assert text[0] == "ok   Wire A: polled 2 h ago, 40 items seen"
    assert text[1].startswith("DOWN https://b.example/rss: 7 failed polls since 2 days ago")
    assert "HTTP 503" in text[1]
    store.close()


def test_a_paused_channel_says_so_and_subscribing_there_again_resumes_it(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = Store(db_url)
    try:
        subscribe(store, watchlist, _caller(), "kursk")
        subscribe(store, watchlist, _caller(), "north-korea")
        paused = store.pause_target(Target("slack", "C1"), "Slack channel C1: not_in_channel")
        assert paused.items == ("kursk", "north-korea")
        assert store.pause_target(Target("slack", "C1"), "again").items == ()  # told once
        listing = subscriptions(store, watchlist, _caller()).text
        assert "paused since" in listing and "not_in_channel" in listing
        assert "/subscribe <item> there again to resume" in listing
        assert store.subscribed_targets(["kursk"]) == []

        reply = subscribe(store, watchlist, _caller(), "kursk")
        assert "already subscribed" in reply.text and "Resumed 2 paused subscriptions" in reply.text
        assert store.subscribed_targets(["kursk", "north-korea"]) == [Target("slack", "C1")]
        assert "paused" not in subscriptions(store, watchlist, _caller()).text
    finally:
        store.close()


def test_admins_are_plain_or_platform_qualified_ids() -> None:
    admins = ["U0ALICE", "discord:1100000000000000004", "slack:U0CAROL"]
    assert is_admin(admins, "slack", "U0ALICE")
    assert is_admin(admins, "discord", "U0ALICE")
    assert is_admin(admins, "discord", "1100000000000000004")
    assert not is_admin(admins, "slack", "1100000000000000004")
    assert is_admin(admins, "slack", "U0CAROL")
    assert not is_admin(admins, "discord", "U0CAROL")
    assert not is_admin(admins, "slack", "U0BOB")
    assert not is_admin(admins, "slack", "")
    assert not is_admin([], "slack", "U0ALICE")
