"""``newsbot bench`` runs on a short stream too (``--docs 300`` crashed when a language had no
relevant document to warm its compiled watchlist with)."""

from __future__ import annotations

import pytest

from bot.quality.benchmarks.matching import run


def test_a_short_stream_where_some_language_has_no_relevant_document_is_measured() -> None:
    result = run(docs=40)
    assert result["docs"] == 40
    assert result["relevant_generated"] < 7  # fewer than the stream's languages
    assert result["paths"]["full path"]["docs"] == 40
    assert result["relevant_not_alerted"] == 0
    # CPU time beside wall time: what a shared machine's other processes leave out
    for name, path in result["paths"].items():
        if name.strip() in ("full path", "passed, no match", "alerted"):
            assert path["cpu_docs_per_s"] > 0, name


@pytest.mark.network
def test_the_console_benchmark_loads_every_page(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.quality.benchmarks import console

    console.main(feeds=20, articles=200, subscriptions=8, rounds=1)
    out = capsys.readouterr().out
    for page in ("/try (seed article)", "/feeds", "/subscriptions", "/login"):
        assert page in out
    assert "20 feeds, 200 articles" in out and "median" in out
