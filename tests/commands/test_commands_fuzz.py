"""Whatever a user types after a slash command, the commands answer in words, never raise.

``Commands.run_text`` is what both chat adapters call; here it gets arbitrary text, names
and callers from hypothesis, thousands of times, against a real store and the default
watchlist. The platform paths (signed Slack requests, Socket Mode frames, Discord
interactions) are fuzzed end to end in ``tests/chat/test_chat_fuzz.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.core import Caller, CommandError, Reply
from bot.commands.dispatch import Commands
from bot.commands.queries import item_choices, parse_brief_args, parse_since
from bot.commands.search import MAX_WORDS, parse_search_args
from bot.commands.subscriptions import parse_subscribe_args
from bot.models import Digest, Target
from bot.nlp.watchlist import load_watchlist
from bot.settings.sections import parse_duration
from bot.store.repositories import open_store
from tests.commands.test_search import Found, MemorySearch, Sent, alert
from tests.fuzzing import FUZZ, command_names, command_text, ids

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Commands]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'newsbot.db'}")
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    found = MemorySearch([Found(alert(1, "Shells near Kursk"), "…shells…",
                                (Sent(Target("slack", "C0NEWS"), "sent", "1733400000.000100"),))])
    yield Commands(store.subscriptions, store.history, store.feeds, lambda: watchlist, search=found)
    store.close()


callers = st.builds(
    Caller,
    platform=st.sampled_from(["slack", "discord"]),
    channel=ids,
    user=ids,
    channel_name=st.none() | st.text(max_size=30),
    dm_channel=st.none() | ids,
)


def test_run_text_answers_any_text_with_a_reply(commands: Commands) -> None:
    """1,500 commands as typed (known names mostly, with any text): a Reply or a Digest."""
    loop = asyncio.new_event_loop()
    seen = {"ok": 0, "refused": 0, "digest": 0}

    @settings(FUZZ, max_examples=1500)
    @given(name=command_names, text=command_text, caller=callers)
    def typed(name: str, text: str, caller: Caller) -> None:
        result = loop.run_until_complete(commands.run_text(name, text, caller))
        assert isinstance(result, Reply | Digest)
        if isinstance(result, Digest):
            seen["digest"] += 1
        else:
            assert result.text.strip(), "an empty answer"
            seen["ok" if result.ok else "refused"] += 1

    try:
        typed()
    finally:
        loop.close()
    # Garbage never became a subscription nobody can receive.
    assert all(t.channel.strip() for t, _ in commands.subs.subscriptions())
    # The strategies reach every kind of answer, not only the refusals.
    assert all(seen.values()), seen


_WATCHLIST = load_watchlist(ROOT / "config" / "watchlist.yaml")


@settings(FUZZ, max_examples=2000)
@given(text=command_text)
def test_parsers_take_any_text(text: str) -> None:
    """The argument parsers split anything; what they call a time span is one."""
    item, since = parse_brief_args(text)
    assert item is None or item.strip()
    if since is not None:
        with contextlib.suppress(CommandError):  # "0h" is a span, just not a positive one
            assert parse_since(since) > timedelta(0)
    try:
        query = parse_search_args(text, _WATCHLIST)
    except CommandError as refusal:
        assert str(refusal).strip()
    else:  # only words reach the search: no query syntax, no mention, none too many
        assert 0 < len(query.words) <= MAX_WORDS
        assert all(w.isalnum() or "_" in w for w in query.words), query.words
    item_text, dm = parse_subscribe_args(text)
    assert isinstance(item_text, str) and isinstance(dm, bool)
    assert len(item_choices(_WATCHLIST, text)) <= 25


# -- what the fuzzers found, one regular test each ----------------------------------------


def test_a_time_span_too_long_for_a_timedelta_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999999999d")
    with pytest.raises(ValueError, match="too long"):
        parse_duration(float("inf"))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Commands]:
    store = open_store(f"sqlite:///{tmp_path / 'newsbot.db'}")
    yield Commands(store.subscriptions, store.history, store.feeds, lambda: _WATCHLIST)
    store.close()


def test_brief_with_an_absurd_time_span_is_refused_in_words(fresh: Commands) -> None:
    caller = Caller("slack", "C0NEWS", "U0ALICE")
    for text in ("kursk 99999999999999999999d", "99999999999999999999d"):
        reply = asyncio.run(fresh.run_text("/brief", text, caller))
        assert isinstance(reply, Reply) and not reply.ok
        assert "Unknown watch item" in reply.text


@pytest.mark.parametrize("channel", ["", "  "])
def test_subscribe_without_a_channel_subscribes_nothing(fresh: Commands, channel: str) -> None:
    commands = fresh
    caller = Caller("slack", channel, "U0ALICE", dm_channel=" ")
    for text in ("kursk", "kursk dm"):
        reply = asyncio.run(commands.run_text("/subscribe", text, caller))
        assert isinstance(reply, Reply) and not reply.ok
    assert "needs a channel" in asyncio.run(commands.run_text("/subscribe", "all", caller)).text  # type: ignore[union-attr]
    assert commands.subs.subscriptions() == []
