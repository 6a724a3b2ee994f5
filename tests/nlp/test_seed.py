"""The first real input: the French seed must give the alert DESIGN.md describes."""

from __future__ import annotations

import re

from bot.nlp import analyze
from bot.nlp.watchlist import Watchlist

from .conftest import ROOT

SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"


def _seed() -> tuple[str, str]:
    text = SEED.read_text(encoding="utf-8")
    title = re.split(r"(?<=[.!?])\s", text.split("\n", 1)[0])[0]
    return title, text


def test_seed_matches_with_french_evidence(watchlist: Watchlist) -> None:
    title, text = _seed()
    result = analyze(title, text, watchlist)
    assert result.language == "fr"
    found = {m.id: m for m in result.matches}
    assert {"north-korea", "kursk", "arms-transfers", "russia", "ukraine"} <= set(found)
    nk = found["north-korea"]
    assert "Corée du Nord" in nk.evidence and "nord-coréens" in nk.evidence
    assert nk.in_title
    assert found["kursk"].evidence == ("Koursk",)
    assert any("obus" in e and "missiles" in e for e in found["arms-transfers"].evidence)
    for m in result.matches:
        for start, end in m.spans:
            assert 0 <= start < end <= len(text)
    # South Korea's paragraph must not count for north-korea
    south = text.index("Corée du Sud")
    assert all(not (s <= south < e) for s, e in nk.spans)


def test_seed_title_hits_counted_once(watchlist: Watchlist) -> None:
    title, text = _seed()
    with_title = {m.id: m for m in analyze(title, text, watchlist, "fr").matches}
    without = {m.id: m for m in analyze("", text, watchlist, "fr").matches}
    assert with_title["north-korea"].count == without["north-korea"].count
    assert with_title["north-korea"].score > without["north-korea"].score


def test_seed_quotes_and_speakers(watchlist: Watchlist) -> None:
    title, text = _seed()
    quotes = analyze(title, text, watchlist, "fr").quotes
    by_start = {q.text[:25]: q for q in quotes}
    choe = by_start["Nous réaffirmons que nous"]
    assert choe.speaker == "Choe Son Hui"
    assert choe.text.endswith("jusqu’au jour de la victoire")
    blinken = by_start["Nous n’avons pas encore v"]
    assert blinken.speaker == "Antony Blinken"
    assert text[blinken.start : blinken.end] == blinken.text
    # scare-quoted words are wording, found but never shown before real statements
    from bot.alerts.build import build_alert
    from bot.models import Article

    article = Article("files:seeds", "seed file", str(SEED), title, text)
    shown = build_alert(article, analyze(title, text, watchlist, "fr")).quotes
    assert len(shown) == 3
    assert not any(q.text in ("victoire", "zéro") for q in shown)
    assert {"Choe Son Hui", "Antony Blinken"} <= {q.speaker for q in shown}
    # Blinken's own statement, not the few words of his quoted inside reported speech
    (blinken_shown,) = [q for q in shown if q.speaker == "Antony Blinken"]
    assert blinken_shown.text.startswith("Nous n")


def test_wrong_declared_language_is_corrected(watchlist: Watchlist) -> None:
    title, text = _seed()
    result = analyze(title, text, watchlist, "en")
    assert result.language == "fr"
    assert "kursk" in {m.id for m in result.matches}


def test_an_endless_article_is_analysed_up_to_the_cap(watchlist: Watchlist) -> None:
    """A broken feed that pastes a whole archive into one item must not stall the bot."""
    lead = "Nordkorea liefert Artilleriegranaten an Russland, sagen Geheimdienste in Seoul. "
    filler = "Der Ausschuss tagte am Nachmittag ohne weitere Ergebnisse. " * 60_000  # ~3.5 MB
    result = analyze("Lieferungen aus Pjöngjang", lead + filler, watchlist, "de")
    assert len(lead + filler) > 3_000_000
    assert {"north-korea", "arms-transfers", "russia"} <= {m.id for m in result.matches}


def test_quotes_only_for_matching_documents_unless_asked(watchlist: Watchlist) -> None:
    title = "Météo : du soleil pour le week-end"
    text = (
        "Météo : du soleil pour le week-end. "
        "« Il fera beau et chaud samedi », a déclaré Jean Dupont, prévisionniste."
    )
    default = analyze(title, text, watchlist, "fr")
    assert default.matches == () and default.quotes == ()
    forced = analyze(title, text, watchlist, "fr", quotes=True)
    assert forced.matches == ()
    assert [q.text for q in forced.quotes] == ["Il fera beau et chaud samedi"]
    assert forced.quotes[0].speaker == "Jean Dupont"
    seed_title, seed_text = _seed()
    assert analyze(seed_title, seed_text, watchlist).quotes  # matched: quotes by default
    assert analyze(seed_title, seed_text, watchlist, quotes=False).quotes == ()
