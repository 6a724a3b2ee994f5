"""``/search``: what people type becomes words (never a query language), and the answer
lists the alerts sent on the caller's platform, best first, each with a link to where it
was posted. Against a small in-memory search that keeps the store's search protocol."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.commands.core import Caller, CommandError, Reply
from bot.commands.dispatch import Commands
from bot.commands.queries import parse_since
from bot.commands.search import MAX_WORDS, SearchQuery, build_query, parse_search_args, search
from bot.models import Alert, Match, Target
from bot.nlp.watchlist import load_watchlist

ROOT = Path(__file__).resolve().parents[2]
WATCHLIST = load_watchlist(ROOT / "config" / "watchlist.yaml")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CALLER = Caller("slack", "C0NEWS", "U0ALICE", "#news")


@dataclass(frozen=True)
class Sent:
    target: Target
    status: str
    external_id: str | None


@dataclass(frozen=True)
class Found:
    alert: Alert
    snippet: str
    deliveries: tuple[Sent, ...]
    sources: tuple[str, ...] = ()


@dataclass
class MemorySearch:
    """The store's search, as small as a test needs: any word in the headline or lead,
    newest first; records what it was asked."""

    hits: list[Found] = field(default_factory=list)
    asked: list[dict[str, object]] = field(default_factory=list)

    def alerts(
        self,
        words: str,
        *,
        item: str | None = None,
        language: str | None = None,
        feed: str | None = None,
        channel: Target | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> Sequence[Found]:
        self.asked.append({"words": words, "item": item, "since": since, "limit": limit})
        wanted = words.split()
        out = [
            h for h in self.hits
            if any(w in f"{h.alert.title} {h.alert.lead}".casefold() for w in wanted)
            and (item is None or item in h.alert.item_ids)
            and (since is None or (h.alert.created_at or NOW) >= since)
        ]
        return out[:limit]


def alert(n: int, title: str, *, item: str = "kursk", days_ago: int = 1, url: str | None = None) -> Alert:
    names = {"kursk": "Kursk", "north-korea": "North Korea"}
    when = NOW - timedelta(days=days_ago)
    return Alert(
        id=f"al{n}", title=title, source_name=f"Outlet {n}", language="en",
        matches=(Match(item, names[item], "entity", 2, 4.0, (names[item],)),), quotes=(),
        url=url or f"https://outlet{n}.example/story", created_at=when, published=when,
        lead="Shelling continued overnight, regional officials said.",
    )


def link(target: Target, message_id: str | None) -> str | None:
    return f"https://acme.slack.com/archives/{target.channel}/p{(message_id or '').replace('.', '')}"


def test_words_item_and_since_are_read_from_what_was_typed() -> None:
    q = parse_search_args("artillery shells kursk 7d", WATCHLIST, now=NOW)
    assert q == SearchQuery(("artillery", "shells"), "kursk", NOW - timedelta(days=7), "7d")
    assert parse_search_args("kursk", WATCHLIST, now=NOW).words == ("kursk",)  # a word, alone
    dated = parse_search_args("Shells 2026-12-01", WATCHLIST, now=NOW)
    assert dated.words == ("shells",) and dated.since == datetime(2026, 12, 1, tzinfo=UTC)
    named = parse_search_args("item:north-korea since:48h rail cargo", WATCHLIST, now=NOW)
    assert (named.words, named.item, named.since_text) == (("rail", "cargo"), "north-korea", "48h")


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [
        ("", "What should I look for?"),
        ("   ", "What should I look for?"),
        ("7d", "What should I look for?"),
        ('"*" OR ( ) ^ -', "What should I look for?"),
        ("<@U0BOSS> <!channel> @everyone <#C0NEWS|news>", "What should I look for?"),
        (" ".join(["shells"] * 1000), "long search"),
        (" ".join(f"w{i}" for i in range(MAX_WORDS + 1)), f"at most {MAX_WORDS}"),
        ("x" * 80, "over 60 characters"),
        ("shells 2030-01-01", "has not happened yet"),
        ("shells 2026-02-31", "is not a date"),
        ("shells 0h", "must be positive"),
    ],
)
def test_bad_input_is_refused_in_words(typed: str, refusal: str) -> None:
    with pytest.raises(CommandError, match=refusal):
        parse_search_args(typed, WATCHLIST, now=NOW)


@pytest.mark.parametrize(
    ("since", "reply"),
    [
        ("last tuesday", "'last tuesday' is not a time span or a date; try 7d or 2026-12-01."),
        ("0h", "The time span must be positive, e.g. 7d."),
        ("2026-02-31", "'2026-02-31' is not a date; try 2026-12-01 or 7d."),
        ("2026-12-07", "2026-12-07 has not happened yet; try an earlier date or 7d."),
        ("x" * 5000, "'" + "x" * 39 + "…' is not a time span or a date; try 7d or 2026-12-01."),
    ],
)
def test_a_since_that_cannot_be_read_is_refused_with_what_it_accepts(since: str, reply: str) -> None:
    with pytest.raises(CommandError) as refused:
        build_query("shells", WATCHLIST, since=since, now=NOW)
    assert str(refused.value) == reply


def test_since_reads_spans_as_brief_does_uncapped_and_dates_as_that_day() -> None:
    for typed, start in [
        ("90 min", NOW - timedelta(minutes=90)),
        ("1.5h", NOW - timedelta(hours=1.5)),
        ("2w", NOW - timedelta(weeks=2)),
        ("400d", NOW - timedelta(days=400)),  # /brief caps at 31 days; a search looks back further
        ("99999999d", datetime.min.replace(tzinfo=UTC)),  # before the calendar: everything
        ("2026-12-06", datetime(2026, 12, 6, tzinfo=UTC)),  # today
    ]:
        assert build_query("shells", WATCHLIST, since=typed, now=NOW).since == start, typed
    assert parse_since("1.5h") == timedelta(hours=1.5)  # the same reading in /brief


def test_query_syntax_and_mentions_reach_the_search_as_plain_words() -> None:
    q = parse_search_args('"shells" NEAR(kursk*) title:rail <@U0BOSS> OR', WATCHLIST, now=NOW)
    assert q.words == ("shells", "kursk", "title", "rail")
    assert parse_search_args("near or far", WATCHLIST, now=NOW).words == ("near", "or", "far")
    assert build_query("Kursk", WATCHLIST, item="Kursk").item == "kursk"
    with pytest.raises(CommandError, match="Unknown watch item"):
        build_query("shells", WATCHLIST, item="atlantis")
    with pytest.raises(CommandError, match="not a time span or a date"):
        build_query("shells", WATCHLIST, since="last tuesday")


def test_the_answer_lists_what_was_sent_here_with_links_best_first() -> None:
    here = Target("slack", "C0NEWS")
    repo = MemorySearch([
        Found(alert(1, "Shells hit a depot near Kursk"), "…shells hit a depot…",
              (Sent(Target("slack", "C0OTHER"), "sent", "1733400000.000100"),
               Sent(here, "sent", "1733400001.000200"))),
        Found(alert(2, "Shells stockpiled by rail", item="north-korea"), "",
              (Sent(Target("discord", "1200000000000000001"), "sent", "1300000000000000001"),)),
        Found(alert(3, "Shells queued, never sent"), "", (Sent(here, "failed", None),)),
        Found(alert(4, "Shells in a channel the bot cannot link"), "",
              (Sent(Target("slack", "U0ALICE"), "sent", "1733400002.000300"),)),
    ])
    reply = search(repo, WATCHLIST, CALLER, parse_search_args("shells 7d", WATCHLIST, now=NOW),
                   lambda t, m: link(t, m) if t.channel.startswith("C") else None)
    assert reply.ok
    lines = reply.text.splitlines()
    assert lines[0] == "2 alerts for “shells” (since 7d), best first:"
    assert lines[1] == "1. 2026-12-05 · Kursk · Outlet 1"
    assert lines[2] == "   Shells hit a depot near Kursk"
    assert lines[4] == "   https://acme.slack.com/archives/C0NEWS/p1733400001000200"  # this channel's
    assert "Outlet 4" in reply.text and "https://outlet4.example/story" in reply.text  # no link: the article
    assert "stockpiled" not in reply.text  # sent on Discord only
    assert "never sent" not in reply.text
    assert repo.asked[0]["since"] == NOW - timedelta(days=7)


def test_nothing_found_says_so_and_what_was_asked() -> None:
    reply = search(MemorySearch(), WATCHLIST, CALLER, parse_search_args("rail kursk 3d", WATCHLIST, now=NOW))
    assert reply.ok and reply.text.startswith("No alert sent here matches “rail” (Kursk, since 3d).")


def test_run_text_answers_search_in_words_and_without_a_search_says_so() -> None:
    repo = MemorySearch([Found(alert(1, "Shells near Kursk"), "", (Sent(Target("slack", "C0NEWS"), "sent", "1.000001"),))])
    with_search = Commands(None, None, None, lambda: WATCHLIST, search=repo)  # type: ignore[arg-type]
    found = asyncio.run(with_search.run_text("/search", "shells", CALLER, link=link))
    assert isinstance(found, Reply) and found.ok and "Shells near Kursk" in found.text
    refused = asyncio.run(with_search.run_text("/search", "", CALLER))
    assert isinstance(refused, Reply) and not refused.ok
    without = Commands(None, None, None, lambda: WATCHLIST)  # type: ignore[arg-type]
    absent = asyncio.run(without.run_text("/search", "shells", CALLER))
    assert isinstance(absent, Reply) and not absent.ok and "not available" in absent.text


def test_words_the_store_cannot_search_are_refused_in_words() -> None:
    class Refusing(MemorySearch):
        def alerts(self, words: str, **kw: object) -> Sequence[Found]:  # type: ignore[override]
            raise ValueError("every word is too common")

    with pytest.raises(CommandError, match="cannot be searched .every word is too common"):
        search(Refusing(), WATCHLIST, CALLER, parse_search_args("the", WATCHLIST, now=NOW))
