"""The backtest's fast path gives exactly what the whole matcher run with both watchlists
gives: the same articles gained and lost, with the same matches as their why, over edits of
every kind an admin makes (an alias added or removed, an item added or removed, min_score,
a rule's none_of, an exclude, several at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from bot.backtest import backtest
from bot.models import Article, Match
from bot.nlp import Watchlist, analyze, load_watchlist
from bot.nlp.watchlist import TopicRule, WatchItem
from bot.quality.benchmarks.stream import make_stream
from tests.newsgen import generate

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Seen:
    article: Article
    item_ids: tuple[str, ...]


# Written for this test: what a week brings that the default watchlist does not watch.
EXTRA = (
    ("en", "Belgorod shelled again", "Shelling hit the outskirts of Belgorod overnight, the "
     "regional governor said. Two buildings were damaged and power was cut for hours."),
    ("fr", "Belgorod sous les obus", "La ville de Belgorod a de nouveau été bombardée dans la "
     "nuit, selon le gouverneur. Deux immeubles ont été endommagés."),
    ("en", "Council approves budget", "The city council approved a budget for road repairs. "
     "Forecasters expect rain until the weekend."),
    ("de", "Haushalt beschlossen", "Der Stadtrat hat einen Haushalt beschlossen. Die Meteorologen "
     "erwarten Gewitter im Süden."),
    ("en", "Governors meet at the border", "The governor of the Kursk region met his Belgorod "
     "counterpart on Tuesday to discuss evacuations along the border."),
    ("en", "Engine test reported", "North Korea tested a solid-fuel engine on Sunday, state "
     "media reported. The launch site lies on the west coast."),
    ("en", "Berlin makes a promise", "Germany will deliver more air defence missiles next "
     "month, officials said."),
)


def _articles() -> list[Article]:
    stories = [
        Article(f"feed:{s.language}", s.source, s.url, s.title, s.text, s.url, language=s.language)
        for s in generate(70)
    ]
    stream = [d.article for d in make_stream(60, seed=7, share=0.2)]
    extra = [
        Article("feed:x", "Extra", f"x{n}", title, text, language=lang,
                published=datetime(2026, 12, 1, tzinfo=UTC))
        for n, (lang, title, text) in enumerate(EXTRA)
    ]
    return stories + stream + extra


@cache
def _world() -> tuple[Watchlist, list[Article], list[tuple[Match, ...]]]:
    current = load_watchlist(ROOT / "config" / "watchlist.yaml")
    articles = _articles()
    before = [analyze(a.title, a.text, current, a.language, quotes=False).matches for a in articles]
    return current, articles, before


def _item(wl: Watchlist, item_id: str) -> WatchItem:
    item = wl.get(item_id)
    assert item is not None
    return item


def _replace(wl: Watchlist, item: WatchItem) -> Watchlist:
    return Watchlist(items=[item if i.id == item.id else i for i in wl.items])


def _add_alias(wl: Watchlist) -> Watchlist:
    kursk = _item(wl, "kursk")
    aliases = {**kursk.aliases, "en": [*kursk.aliases["en"], "Belgorod"], "fr": [*kursk.aliases["fr"], "Belgorod"]}
    return _replace(wl, kursk.model_copy(update={"aliases": aliases}))


def _remove_alias(wl: Watchlist) -> Watchlist:
    nk = _item(wl, "north-korea")
    aliases = {k: [p for p in v if p not in ("North Korea*", "N. Korea*")]
               for k, v in nk.aliases.items()}
    return _replace(wl, nk.model_copy(update={"aliases": aliases}))


def _add_item(wl: Watchlist) -> Watchlist:
    weather = WatchItem(
        id="weather", name="Weather",
        aliases={"en": ["forecasters"], "de": ["Meteorologen"], "fr": ["Météo-France"]},
    )
    return Watchlist(items=[*wl.items, weather])


def _remove_item(wl: Watchlist) -> Watchlist:
    return Watchlist(items=[i for i in wl.items if i.id != "kursk"])


def _min_score(wl: Watchlist) -> Watchlist:
    return _replace(wl, _item(wl, "north-korea").model_copy(update={"min_score": 4.0}))


def _none_of(wl: Watchlist) -> Watchlist:
    arms = _item(wl, "arms-transfers")
    assert arms.rule is not None
    veto = [*arms.rule.none_of, {"en": ["officials"], "fr": ["Kiev"], "de": ["Kiew"]}]
    rule = TopicRule.model_validate({**arms.rule.model_dump(), "none_of": veto})
    return _replace(wl, arms.model_copy(update={"rule": rule}))


def _exclude(wl: Watchlist) -> Watchlist:
    kursk = _item(wl, "kursk")
    exclude = {**kursk.exclude, "en": [*kursk.exclude.get("en", []), "Kursk region"]}
    return _replace(wl, kursk.model_copy(update={"exclude": exclude}))


def _rename(wl: Watchlist) -> Watchlist:
    return _replace(wl, _item(wl, "russia").model_copy(update={"name": "The Russian Federation"}))


def _everything(wl: Watchlist) -> Watchlist:
    return _add_item(_remove_item(_none_of(_min_score(_add_alias(_remove_alias(wl))))))


EDITS = {
    "add alias": _add_alias,
    "remove alias": _remove_alias,
    "add item": _add_item,
    "remove item": _remove_item,
    "min_score": _min_score,
    "none_of": _none_of,
    "exclude": _exclude,
    "rename only": _rename,
    "all at once": _everything,
}


def _full(edited: Watchlist) -> tuple[list[tuple[Article, tuple[Match, ...]]], list[tuple[Article, tuple[Match, ...]]]]:
    """Gained and lost with their why, by the whole matcher on every article, both lists."""
    current, articles, before = _world()
    gained, lost = [], []
    for article, old in zip(articles, before, strict=True):
        new = analyze(article.title, article.text, edited, article.language, quotes=False).matches
        if new and not old:
            gained.append((article, new))
        elif old and not new:
            lost.append((article, old))
    return gained, lost


@pytest.mark.parametrize("name", list(EDITS))
def test_the_fast_path_equals_the_whole_matcher_run_twice(name: str) -> None:
    current, articles, before = _world()
    edited = EDITS[name](current)
    seen = [Seen(a, tuple(m.id for m in b)) for a, b in zip(articles, before, strict=True)]
    result = backtest(current, edited, seen)
    gained, lost = _full(edited)
    assert [(c.record.article, c.after) for c in result.gained] == gained
    assert [(c.record.article, c.before) for c in result.lost] == lost
    assert result.articles == len(articles)
    if name == "rename only":
        assert not gained and not lost and result.rematched == 0
    else:
        assert gained or lost, "the edit should change something in this set"
        assert result.rematched < len(articles), "the fast path read everything again"


def test_an_added_alias_gains_the_article_that_names_it_and_says_why() -> None:
    current, articles, before = _world()
    seen = [Seen(a, tuple(m.id for m in b)) for a, b in zip(articles, before, strict=True)]
    result = backtest(current, _add_alias(current), seen)
    titles = {c.record.article.title: c.after for c in result.gained}
    assert set(titles) == {"Belgorod shelled again", "Belgorod sous les obus"}
    why = titles["Belgorod shelled again"][0]
    assert (why.id, why.evidence, why.in_title) == ("kursk", ("Belgorod",), True)
    assert not result.lost
    # The Kursk governor's story already alerted: it is not "gained" again.
    assert "Governors meet at the border" not in titles


def test_progress_counts_every_article_and_ends_at_the_total() -> None:
    current, articles, before = _world()
    seen = [Seen(a, tuple(m.id for m in b)) for a, b in zip(articles, before, strict=True)]
    calls: list[tuple[int, int | None]] = []
    backtest(current, _add_item(current), iter(seen), total=len(seen),
             progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(seen), len(seen))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_worker_processes_give_the_same_answer(monkeypatch: pytest.MonkeyPatch, start: str) -> None:
    """Forked (the CLI) or from the fork server (``newsbot run``, which has threads)."""
    import multiprocessing

    import bot.backtest as engine

    context = multiprocessing.get_context(start)
    if start == "forkserver":
        context.set_forkserver_preload(engine.PRELOAD)
    monkeypatch.setattr(engine, "_context", lambda: context)
    monkeypatch.setattr(engine, "POOL_AFTER", 0)
    monkeypatch.setattr(engine, "CHUNK", 16)
    current, articles, before = _world()
    seen = [Seen(a, tuple(m.id for m in b)) for a, b in zip(articles, before, strict=True)]
    edited = _everything(current)
    alone = backtest(current, edited, seen)
    pooled = backtest(current, edited, seen, workers=2)
    assert [(c.record, c.before, c.after) for c in pooled.gained] == [
        (c.record, c.before, c.after) for c in alone.gained
    ]
    assert [(c.record, c.before, c.after) for c in pooled.lost] == [
        (c.record, c.before, c.after) for c in alone.lost
    ]


def test_a_recorded_match_of_an_item_no_longer_in_the_watchlist_is_not_counted() -> None:
    current, articles, _ = _world()
    record = Seen(articles[-5], ("gone-item",))  # the council story, matched by a removed item
    result = backtest(current, _add_item(current), [record])
    assert [c.record for c in result.gained] == [record]


@pytest.mark.parametrize("workers", [1, 2])
def test_keep_holds_the_first_articles_of_each_side_and_counts_them_all(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """The console lists 200 per side: an edit that gains every article of the week must
    not hold every article (and its text) until the end, whatever order workers answer in."""
    import multiprocessing

    import bot.backtest as engine

    monkeypatch.setattr(engine, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(engine, "POOL_AFTER", 0)
    monkeypatch.setattr(engine, "CHUNK", 4)
    current, articles, before = _world()
    seen = [Seen(a, tuple(m.id for m in b)) for a, b in zip(articles, before, strict=True)]
    edited = _everything(current)
    whole = backtest(current, edited, seen)
    assert len(whole.gained) >= 3 and len(whole.lost) >= 3
    kept = backtest(current, edited, seen, keep=2, workers=workers)
    assert (kept.gained_count, kept.lost_count) == (len(whole.gained), len(whole.lost))
    assert [c.record for c in kept.gained] == [c.record for c in whole.gained[:2]]
    assert [c.record for c in kept.lost] == [c.record for c in whole.lost[:2]]
