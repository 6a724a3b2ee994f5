"""The fault tests' 200 stories are 200 alerts: each matches the item it is written about,
in its own language, and no two are near-copies the bot would merge into one story."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from bot.ingest.stories import MAX_DISTANCE, distance, fingerprint
from bot.nlp import analyze
from bot.nlp.watchlist import load_watchlist
from bot.sources.files import read_document
from tests.botproc import ROOT, BotHome
from tests.newsgen import ITEMS, LANGUAGES, MIN_GAP, generate, rss


def test_two_hundred_stories_each_alert_for_their_item_in_their_language() -> None:
    stories = generate(200)
    watchlist = load_watchlist(ROOT / "config" / "watchlist.yaml")
    assert len({s.url for s in stories}) == len({s.text for s in stories}) == 200
    assert Counter(s.language for s in stories).keys() == set(LANGUAGES)
    assert Counter(s.focus for s in stories) == {item: 40 for item in ITEMS}
    wrong = []
    for story in stories:
        analysis = analyze(story.title, story.text, watchlist, story.language)
        ids = [m.id for m in analysis.matches]
        if not analysis.alert or story.focus not in ids or analysis.language != story.language:
            wrong.append((story.index, story.language, story.focus, ids, analysis.language))
    assert not wrong


def test_no_two_stories_are_one_story_to_the_bot() -> None:
    prints = [fingerprint(s.title, s.text) or "" for s in generate(200)]
    assert all(prints), "a story under 25 words escapes the SimHash"
    closest = min(distance(a, b) for a, b in itertools.combinations(prints, 2))
    assert closest >= MIN_GAP > MAX_DISTANCE


def test_generation_is_deterministic() -> None:
    assert generate(20) == generate(20)
    assert generate(20, seed=1) != generate(20)


def test_a_story_reads_back_as_the_bot_reads_seed_files_and_feeds(tmp_path: Path) -> None:
    story = generate(3)[2]
    home = BotHome(tmp_path)
    path = home.add_seed("story.md", story.markdown())
    article = read_document(path, 1_000_000, home.root / "seeds")
    assert (article.title, article.url, article.language) == (story.title, story.url, story.language)
    assert story.text.split("\n\n")[1] in article.text

    parsed = feedparser.parse(rss(story.language, [(story, datetime.now(UTC))]))
    (entry,) = parsed.entries
    assert (entry.title, entry.link) == (story.title, story.url)
    assert parsed.feed.language == story.language
