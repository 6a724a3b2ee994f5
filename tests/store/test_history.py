"""Kept article text and search, on SQLite and PostgreSQL: what a backtest reads, what
pruning forgets, and what an analyst finds when searching past alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.models import Alert, Article, Match, Quote, Target
from bot.store.db import utcnow
from bot.store.repositories import Repositories, open_store
from bot.store.schema import ArticleRow
from bot.store.search import SearchError
from tests.store.helpers import is_seen

SEED_TEXT = (
    "La Corée du Nord sera aux côtés de la Russie jusqu'à sa victoire, a déclaré la "
    "ministre nord-coréenne. Des soldats nord-coréens ont été vus dans la région de Koursk, "
    "selon les services de renseignement. « Nous serons toujours aux côtés de nos camarades "
    "russes », a dit Choe Son Hui."
)


@pytest.fixture()
def store(db_url: str) -> Any:
    s = open_store(db_url)
    yield s
    s.close()


def article(guid: str, title: str, text: str, **kw: Any) -> Article:
    base = Article(
        source_id="feed:https://presse.example.fr/rss",
        source_name="Presse Exemple",
        guid=guid,
        title=title,
        text=text,
        url=f"https://presse.example.fr/{guid}",
        published=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        language="fr",
        location=f"https://presse.example.fr/{guid}",
    )
    return replace(base, **kw)


def alert_of(a: Article, alert_id: str, items: tuple[str, ...]) -> Alert:
    return Alert(
        id=alert_id, title=a.title, source_name=a.source_name, language="fr",
        matches=tuple(Match(i, i, "entity", 2, 3.0, ("x",)) for i in items),
        quotes=(Quote("Nous serons toujours aux côtés de nos camarades russes", "Choe Son Hui"),),
        url=a.url, created_at=utcnow(), lead=a.text[:120],
    )


def seed(store: Repositories) -> Article:
    a = article("corea-1", "La Corée du Nord aux côtés de la Russie", SEED_TEXT)
    assert store.articles.record(
        a, alert_of(a, "alert-seed", ("north-korea", "kursk")),
        [Target("slack", "C-news"), Target("discord", "123")],
    )
    return a


def test_the_text_is_kept_and_read_back_in_batches_for_a_backtest(store: Repositories) -> None:
    alerted = seed(store)
    quiet = [article(f"q{i}", f"Météo du jour {i}", f"Il pleuvra sur Lyon, jour {i}.") for i in range(7)]
    assert store.articles.record_seen(quiet) == 7
    copy = article("copy-1", "Pyongyang soutient Moscou", SEED_TEXT + " Mise à jour.",
                   source_id="feed:https://autre.example.org/rss", source_name="Autre")
    assert store.articles.join_story(copy, "alert-seed") is not None

    kept = list(store.history.retained(utcnow() - timedelta(days=7), batch=3))
    assert len(kept) == 9
    first = next(k for k in kept if k.article.guid == "corea-1")
    assert first.article.text == alerted.text and first.article.source_name == "Presse Exemple"
    assert first.alerted and set(first.item_ids) == {"north-korea", "kursk"}
    joined = next(k for k in kept if k.article.guid == "copy-1")
    assert joined.alerted and joined.alert_id == "alert-seed"
    assert not any(k.alerted for k in kept if k.article.guid.startswith("q"))
    assert list(store.history.retained(utcnow() + timedelta(minutes=1))) == []


def test_old_text_is_pruned_in_batches_and_the_article_stays_seen(store: Repositories) -> None:
    a = seed(store)
    store.articles.record_seen([article(f"q{i}", f"Brève {i}", f"Texte {i} sur Koursk") for i in range(5)])
    with store.db.session.begin() as s:  # seen ten days ago
        s.execute(update(ArticleRow).values(seen_at=utcnow() - timedelta(days=10)))
    cutoff = utcnow() - timedelta(days=7)
    assert [store.articles.prune_text(cutoff, batch=4) for _ in range(3)] == [4, 2, 0]
    assert list(store.history.retained(utcnow() - timedelta(days=30))) == []
    assert is_seen(store, a)
    # The alert is still found by what it quoted; the pruned bodies no longer match.
    assert [h.alert.id for h in store.search.alerts("camarades russes")] == ["alert-seed"]
    assert store.search.seen("Koursk") == []


def test_retention_zero_keeps_no_text(store: Repositories) -> None:
    store.articles.record_seen([article("q1", "Brève", "Texte sur Koursk")], keep_text=False)
    assert list(store.history.retained(utcnow() - timedelta(days=1))) == []
    assert store.search.seen("Koursk") == []
    assert [h.title for h in store.search.seen("brève")] == ["Brève"]


def test_koursk_finds_the_seed_alert_with_its_story_and_deliveries(store: Repositories) -> None:
    seed(store)
    copy = article("copy-1", "Pyongyang soutient Moscou", "Une autre dépêche sur le même sujet.",
                   source_id="feed:https://autre.example.org/rss", source_name="Autre Journal")
    store.articles.join_story(copy, "alert-seed")
    store.articles.record_seen([article("q1", "Météo", "Il pleut à Lyon.")])

    hits = store.search.alerts("Koursk")
    assert [h.alert.id for h in hits] == ["alert-seed"]
    hit = hits[0]
    assert "Koursk" in hit.snippet
    assert [(s.source_name, s.first) for s in hit.sources] == [("Presse Exemple", True), ("Autre Journal", False)]
    assert {(d.target, d.status) for d in hit.deliveries} == {
        (Target("slack", "C-news"), "pending"), (Target("discord", "123"), "pending")}
    # accents and case folded both ways; a prefix finds the inflected form
    assert store.search.alerts("coree NORD")[0].alert.id == "alert-seed"
    assert store.search.alerts("Corée")[0].alert.id == "alert-seed"
    assert store.search.alerts("koursk camarades")[0].alert.id == "alert-seed"
    assert store.search.alerts("Kours")[0].alert.id == "alert-seed"
    # a copy's outlet finds the story; unrelated words find nothing
    assert store.search.alerts("Pyongyang")[0].alert.id == "alert-seed"
    assert store.search.alerts("Lyon") == []
    assert [h.title for h in store.search.seen("Lyon")] == ["Météo"]


def test_filters(store: Repositories) -> None:
    seed(store)
    search = store.search
    assert search.alerts("Koursk", item="kursk")
    assert search.alerts("Koursk", item="russia") == []
    assert search.alerts("Koursk", language="fr") and search.alerts("Koursk", language="en") == []
    assert search.alerts("Koursk", feed="https://presse.example.fr/rss")
    assert search.alerts("Koursk", feed="https://autre.example.org/rss") == []
    assert search.alerts("Koursk", channel=Target("slack", "C-news"))
    assert search.alerts("Koursk", channel=Target("slack", "C-other")) == []
    assert search.alerts("Koursk", since=utcnow() - timedelta(hours=1))
    assert search.alerts("Koursk", until=utcnow() - timedelta(hours=1)) == []
    assert [h.alert.id for h in search.alerts("")] == ["alert-seed"]  # no words: newest


@pytest.mark.parametrize(
    "words",
    ['"', "*", "NEAR(", "OR", "AND NOT", "Koursk*", "'; DROP TABLE articles; --", "a:b & !c | d",
     "(Koursk)", "Koursk NEAR/3 Corée", "^Koursk", "-Koursk", "\x00Koursk", "ko\u0301ursk",
     "이스라엘 북한", "_"],
)
def test_hostile_words_answer_or_are_refused_clearly(store: Repositories, words: str) -> None:
    seed(store)
    try:
        store.search.alerts(words)
        store.search.seen(words)
    except SearchError as exc:
        assert str(exc)


def test_too_many_or_too_long_words_are_refused(store: Repositories) -> None:
    with pytest.raises(SearchError, match="at most 4000 characters"):
        store.search.alerts(" ".join(f"mot{i}" for i in range(1000)))
    with pytest.raises(SearchError, match="at most 16 words"):
        store.search.alerts(" ".join(f"mot{i}" for i in range(20)))
    with pytest.raises(SearchError, match="at most 64 characters"):
        store.search.alerts("x" * 65)
    with pytest.raises(SearchError, match="nothing to search"):
        store.search.alerts('" * (')


def test_seen_filters_rank_and_bound_like_alerts(store: Repositories) -> None:
    """Both searches share their set-up: the same window, language and feed filters, best
    first with words and newest first without, and a limit kept between 1 and 100."""
    seed(store)
    older = article("q-old", "Koursk sous la neige", "Le froid s'installe.",
                    source_id="feed:https://autre.example.org/rss", source_name="Autre")
    newer = article("q-new", "Brève météo", "Il neige aussi à Koursk, dit-on.", language="uk")
    store.articles.record_seen([older])
    with store.db.session.begin() as s:  # seen two days ago
        s.execute(update(ArticleRow).where(ArticleRow.guid == "q-old")
                  .values(seen_at=utcnow() - timedelta(days=2)))
    store.articles.record_seen([newer])
    search = store.search
    # best first: the older one has the word in its title; without words, the newest first
    assert [h.title for h in search.seen("Koursk")] == ["Koursk sous la neige", "Brève météo"]
    assert [h.title for h in search.seen("")] == ["Brève météo", "Koursk sous la neige"]
    assert [h.title for h in search.seen("Koursk", since=utcnow() - timedelta(days=1))] == ["Brève météo"]
    assert [h.title for h in search.seen("Koursk", until=utcnow() - timedelta(days=1))] == ["Koursk sous la neige"]
    assert [h.title for h in search.seen("Koursk", language="uk")] == ["Brève météo"]
    assert [h.title for h in search.seen("Koursk", feed="https://autre.example.org/rss")] == ["Koursk sous la neige"]
    assert [h.title for h in search.seen("Koursk", feed="feed:https://autre.example.org/rss")] == ["Koursk sous la neige"]
    assert [h.title for h in search.seen("Koursk", limit=0)] == ["Koursk sous la neige"]
    assert len(search.alerts("", limit=-3)) == 1
    store.articles.record_seen([article(f"n{i}", f"Neige {i}", "Neige.") for i in range(105)])
    assert len(search.seen("neige", limit=1000)) == 100
    assert len(search.seen("", limit=1000)) == 100
