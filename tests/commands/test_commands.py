"""Platform-neutral commands: what /brief and `newsbot brief` answer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.commands.core import Caller, CommandError, Reply, is_admin, resolve_item
from bot.commands.dispatch import Commands
from bot.commands.queries import brief, feeds_overview, item_choices, parse_brief_args, parse_since
from bot.commands.subscriptions import (
    parse_subscribe_args,
    parse_subscribe_options,
    subscribe,
    subscriptions,
    unsubscribe,
)
from bot.models import Alert, Article, Match, Target
from bot.nlp.watchlist import load_watchlist
from bot.store.db import utcnow
from bot.store.repositories import open_store

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
    with pytest.raises(CommandError) as pasted:  # a Discord option takes thousands of characters
        parse_since("last\nweek " + "x" * 6000)
    assert str(pasted.value) == f"'last week {'x' * 29}…' is not a time span; try 6h, 48h or 7d."


def test_brief_lists_recent_alerts_for_the_item(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    store = open_store(db_url)
    for i, item in enumerate(["kursk", "russia"]):
        a = Article("files:seeds", "seed file", f"{i}.txt", f"Headline about {item}", f"Text {i}")
        m = Match(item, item.title(), "entity", 1, 2.0, (item,))
        store.articles.record(a, Alert(f"id{i}", a.title, a.source_name, "en", (m,), (), created_at=utcnow()))
    digest = brief(store.history, watchlist, "kursk", "6h")
    assert [al.title for al in digest.alerts] == ["Headline about kursk"]
    assert "Kursk" in digest.title and "6 h" in digest.title
    assert len(brief(store.history, watchlist).alerts) == 2
    store.close()


# -- subscriptions, as /subscribe, /unsubscribe and /subscriptions answer them ----------


def _caller() -> Caller:
    return Caller("slack", "C1", "U1", channel_name="#news", dm_channel="U1", can_manage_channel=True)


def test_subscribe_names_the_channel_and_the_alerts_follow(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = open_store(db_url)
    reply = subscribe(store.subscriptions, watchlist, _caller(), "Kursk")
    assert reply.ok and "#news" in reply.text and "kursk" in reply.text
    assert store.subscriptions.subscribed_targets(["kursk"]) == [Target("slack", "C1")]
    again = subscribe(store.subscriptions, watchlist, _caller(), "kursk")
    assert "already" in again.text
    # Someone else's channel stays untouched by this one's unsubscribe.
    other = Caller("slack", "C2", "U2", channel_name="#other", can_manage_channel=True)
    subscribe(store.subscriptions, watchlist, other, "all")
    assert "Unsubscribed #news" in unsubscribe(store.subscriptions, watchlist, _caller(), "kursk").text
    assert store.subscriptions.subscribed_targets(["kursk"]) == [Target("slack", "C2")]
    store.close()


def test_only_who_manages_a_channel_changes_it_and_a_dm_is_its_owners(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = open_store(db_url)
    subscribe(store.subscriptions, watchlist, _caller(), "kursk")
    member = Caller("slack", "C1", "U2", channel_name="#news", dm_channel="U2")
    for change in (
        lambda: subscribe(store.subscriptions, watchlist, member, "all"),
        lambda: unsubscribe(store.subscriptions, watchlist, member),
        lambda: unsubscribe(store.subscriptions, watchlist, member, "kursk"),
    ):
        with pytest.raises(CommandError, match="need to have created this channel"):
            change()
    assert store.subscriptions.subscriptions() == [(Target("slack", "C1"), "kursk")]
    assert subscribe(store.subscriptions, watchlist, member, "kursk", dm=True).ok
    # An admin listed for this platform may change any channel.
    assert unsubscribe(store.subscriptions, watchlist, member, "kursk", admins=["slack:U2"]).ok
    with pytest.raises(CommandError, match="Manage Channels"):
        subscribe(store.subscriptions, watchlist, Caller("discord", "123", "U2"), "kursk", admins=["slack:U2"])
    assert store.subscriptions.subscriptions() == [(Target("slack", "U2"), "kursk")]
    store.close()


def test_dm_subscriptions_go_to_the_callers_dm_target(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = open_store(db_url)
    subscribe(store.subscriptions, watchlist, _caller(), "north-korea", dm=True)
    assert store.subscriptions.subscribed_targets(["north-korea"]) == [Target("slack", "U1")]
    listing = subscriptions(store.subscriptions, watchlist, _caller())
    assert "Your direct messages" in listing.text and "north-korea" in listing.text
    no_dm = Caller("console", "terminal", "me")
    with pytest.raises(CommandError, match="Direct messages"):
        subscribe(store.subscriptions, watchlist, no_dm, "kursk", dm=True)
    store.close()


def test_unknown_items_get_close_matches_through_the_text_interface(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    store = open_store(db_url)
    cmds = Commands(store.subscriptions, store.history, store.feeds, lambda: watchlist)
    reply = asyncio.run(cmds.run_text("/subscribe", "kursc", _caller()))
    assert isinstance(reply, Reply) and not reply.ok
    assert "Did you mean kursk" in reply.text
    assert store.subscriptions.subscriptions() == []
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
    store = open_store(db_url)
    now = utcnow()
    store.feeds.update_feed(
        "https://a.example/rss", name="Wire A", last_success_at=now - timedelta(hours=2),
        items_seen=40,
    )
    store.feeds.update_feed(
        "https://b.example/rss", last_success_at=now - timedelta(days=2),
        consecutive_failures=7, last_error="HTTP 503",
    )
    text = feeds_overview(store.feeds, now=now).text.splitlines()
    assert text[0] == "ok   Wire A: polled 2 h ago, 40 items seen"
    assert text[1].startswith("DOWN https://b.example/rss: 7 failed polls since 2 days ago")
    assert "HTTP 503" in text[1]
    store.close()


def test_a_paused_channel_says_so_and_subscribing_there_again_resumes_it(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Target

    store = open_store(db_url)
    try:
        subscribe(store.subscriptions, watchlist, _caller(), "kursk")
        subscribe(store.subscriptions, watchlist, _caller(), "north-korea")
        paused = store.outcomes.pause_target(Target("slack", "C1"), "Slack channel C1: not_in_channel")
        assert paused.items == ("kursk", "north-korea")
        assert store.outcomes.pause_target(Target("slack", "C1"), "again").items == ()  # told once
        listing = subscriptions(store.subscriptions, watchlist, _caller()).text
        assert "paused since" in listing and "not_in_channel" in listing
        assert "/subscribe <item> there again to resume" in listing
        assert store.subscriptions.subscribed_targets(["kursk"]) == []

        reply = subscribe(store.subscriptions, watchlist, _caller(), "kursk")
        assert "already subscribed" in reply.text and "Resumed 2 paused subscriptions" in reply.text
        assert store.subscriptions.subscribed_targets(["kursk", "north-korea"]) == [Target("slack", "C1")]
        assert "paused" not in subscriptions(store.subscriptions, watchlist, _caller()).text
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


def test_subscribe_with_a_language(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    assert parse_subscribe_options("kursk lang:fr") == ("kursk", False, "fr")
    assert parse_subscribe_options("north korea lang=DE dm") == ("north korea", True, "DE")
    assert parse_subscribe_options("kursk dm") == ("kursk", True, None)
    store = open_store(db_url)
    try:
        reply = subscribe(store.subscriptions, watchlist, _caller(), "kursk", lang="FR")
        assert "translated into French" in reply.text
        assert store.subscriptions.languages(Target("slack", "C1")) == {"kursk": "fr"}
        listing = subscriptions(store.subscriptions, watchlist, _caller()).text
        assert "(in French)" in listing
        again = subscribe(store.subscriptions, watchlist, _caller(), "kursk", lang="de")
        assert "now translated into German" in again.text
        assert store.subscriptions.languages(Target("slack", "C1")) == {"kursk": "de"}
        with pytest.raises(CommandError, match="'xx' is not a language code"):
            subscribe(store.subscriptions, watchlist, _caller(), "kursk", lang="xx")
    finally:
        store.close()


def test_brief_shows_stored_translations_of_headlines(db_url: str, watchlist) -> None:  # type: ignore[no-untyped-def]
    from bot.translate.texts import text_key

    store = open_store(db_url)
    try:
        a = Article("files:seeds", "seed file", "k.txt", "쿠르스크 전선 소식", "본문")
        m = Match("kursk", "Kursk", "entity", 1, 2.0, ("쿠르스크",))
        store.articles.record(a, Alert("k1", a.title, a.source_name, "ko", (m,), (), created_at=utcnow()))
        store.translations.remember("ko", "en", "DeepL", {text_key(a.title): "News from the Kursk front"})
        digest = brief(store.history, watchlist, translated=(store.translations.cached, "en", "DeepL"))
        (alert,) = digest.alerts
        assert alert.title == "쿠르스크 전선 소식"
        assert alert.translation is not None and alert.translation.title == "News from the Kursk front"
        assert brief(store.history, watchlist).alerts[0].translation is None
    finally:
        store.close()
