"""The matcher's warm-up (what the web console runs in the background when it starts):
afterwards matching a document in a watchlist language loads nothing more, Korean's
analyser still waits for a Korean document, and a warm-up told to stop stops."""

from __future__ import annotations

import threading

import pytest

from bot.nlp.matcher.plans import compiled_for
from bot.nlp.warmup import warm_up, watchlist_languages
from bot.nlp.watchlist import parse_watchlist
from tests.nlp.test_cold_start import ROOT, _run

WATCHLIST = """
items:
  - id: kursk
    name: Kursk
    aliases:
      any: [Kursk]
      fr: [Koursk]
      ru: [Курск]
  - id: north-korea
    name: North Korea
    aliases:
      en: [North Korea]
      ko: [북한]
      fr: [Corée du Nord]
"""


def test_the_languages_are_the_watchlists_own_in_order() -> None:
    assert watchlist_languages(parse_watchlist(WATCHLIST)) == ["fr", "ru", "en", "ko"]


def test_a_stopped_warm_up_loads_nothing_more() -> None:
    watchlist = parse_watchlist(WATCHLIST)
    stop = threading.Event()
    stop.set()
    assert warm_up(watchlist, stop) == []
    assert compiled_for(watchlist).plans == {} and compiled_for(watchlist).screen is None


@pytest.mark.slow
def test_after_the_warm_up_the_first_document_loads_nothing_and_korean_waits() -> None:
    seed = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"
    found = _run(
        "import json, sys\n"
        "from pathlib import Path\n"
        "from bot.nlp import analyze\n"
        "from bot.nlp.pipelines import built_languages\n"
        "from bot.nlp.warmup import warm_up\n"
        "from bot.nlp.watchlist import load_watchlist\n"
        "wl = load_watchlist(Path('config/watchlist.yaml'))\n"
        "ready = warm_up(wl)\n"
        "built, modules = built_languages(), set(sys.modules)\n"
        f"analysis = analyze('', Path({str(seed)!r}).read_text(encoding='utf-8'), wl, quotes=True)\n"
        "print(json.dumps({'ready': ready, 'built': built, 'after': built_languages(),\n"
        "    'new_modules': sorted(set(sys.modules) - modules), 'language': analysis.language,\n"
        "    'alert': analysis.alert, 'mecab': 'mecab' in sys.modules}))\n"
    )
    assert found["language"] == "fr" and found["alert"]
    assert "fr" in found["ready"] and "en" in found["ready"] and "ko" not in found["ready"]
    assert set(found["ready"]) <= set(found["built"])
    assert found["after"] == found["built"] and found["new_modules"] == []
    assert found["mecab"] is False  # Korean's analyser waits for a Korean document
