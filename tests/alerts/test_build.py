"""Turning an analysed article into an alert: headline, lead, key quotes, why-lines."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.alerts.build import NEAR, alert_id, build_alert, choose_quotes, lead_of, quote_distance
from bot.chat.wording import (
    empty_digest_text,
    items_line,
    quote_line,
    source_line,
    why_line,
    why_parts,
)
from bot.models import Analysis, Article, Digest, Match, Quote

# A made-up French dispatch. The quote about the festival is far from anything that matched;
# three quotes sit next to "Koursk" and the shells; "renforts" is a scare-quoted fragment.
TITLE = "Pyongyang promet de nouveaux obus à Moscou"
FILLER_1 = (
    "Dans la capitale, la vie suit son cours. Les marchés ouvrent tôt, les tramways sont "
    "bondés et les terrasses se remplissent dès les premiers rayons de soleil. Les habitants "
    "parlent surtout de la récolte de pommes, exceptionnelle cette année après un printemps "
    "doux, et des travaux qui ferment depuis des semaines le grand pont sur le fleuve. Les "
    "commerçants se plaignent de la hausse du prix de l'énergie et attendent avec impatience "
    "la saison touristique, qui devrait commencer plus tôt que prévu."
)
FILLER_2 = (
    "La mairie a aussi annoncé la rénovation de la bibliothèque municipale, fermée depuis "
    "l'hiver dernier, ainsi que l'ouverture d'une nouvelle ligne de bus vers les quartiers du "
    "nord de la ville. Les écoles rouvriront lundi après les vacances. Les parents d'élèves "
    "réclament depuis longtemps davantage de places à la cantine et une piste cyclable devant "
    "le lycée principal, un projet que le conseil municipal examinera à l'automne."
)
TEXT = (
    f"{TITLE}, selon des responsables sud-coréens cités jeudi. La livraison porterait sur "
    "plusieurs centaines de milliers de munitions pour le régime nord-coréen.\n"
    f"{FILLER_1}\n"
    "« Le festival de musique aura lieu comme prévu en juillet », a précisé le maire Jean "
    "Martin.\n"
    f"{FILLER_2}\n"
    "Les soldats nord-coréens seraient déjà arrivés dans la région de Koursk comme "
    "« renforts ». « Nos troupes tiennent la ligne sans aucune aide », a affirmé Ivan Petrov, "
    "un commandant local. « Personne ne sait combien ils sont vraiment », confie un habitant "
    "de Koursk.\n"
    "« Nous enverrons des obus tant qu'il le faudra », a déclaré l'émissaire Ri Chol-min."
)
WHEN = datetime(2024, 11, 1, 9, 30, tzinfo=UTC)


def hits(text: str, pattern: str) -> tuple[tuple[int, int], ...]:
    return tuple(m.span() for m in re.finditer(pattern, text))


def quote(text: str, speaker: str | None, source: str = TEXT) -> Quote:
    start = source.index(text)
    return Quote(text=text, speaker=speaker, start=start, end=start + len(text))


NORTH_KOREA = Match(
    id="north-korea",
    name="North Korea",
    kind="entity",
    count=5,
    score=9.5,
    evidence=("Pyongyang", "nord-coréen", "nord-coréens"),
    spans=hits(TEXT, r"Pyongyang|nord-coréens?\b"),
    in_title=True,
)
KURSK = Match(
    id="kursk",
    name="Kursk",
    kind="entity",
    count=2,
    score=3.0,
    evidence=("Koursk",),
    spans=hits(TEXT, r"Koursk"),
)
ARMS = Match(
    id="arms-transfers",
    name="Arms transfers",
    kind="topic",
    count=2,
    score=2.5,
    evidence=("livraison … munitions", "enverrons des obus"),
    spans=hits(
        TEXT,
        r"livraison porterait sur plusieurs centaines de milliers de munitions|"
        r"enverrons des obus",
    ),
)

FESTIVAL = quote("Le festival de musique aura lieu comme prévu en juillet", "Jean Martin")
RENFORTS = quote("renforts", None)
PETROV = quote("Nos troupes tiennent la ligne sans aucune aide", "Ivan Petrov")
HABITANT = quote("Personne ne sait combien ils sont vraiment", None)
RI = quote("Nous enverrons des obus tant qu'il le faudra", "Ri Chol-min")
QUOTES = (FESTIVAL, RENFORTS, PETROV, HABITANT, RI)


def dispatch(**changes: object) -> Article:
    article = Article(
        source_id="feed:https://example.org/monde.xml",
        source_name="Le Quotidien (fictif)",
        guid="https://example.org/monde/2024/11/01/obus",
        title=TITLE,
        text=TEXT,
        url="https://example.org/monde/2024/11/01/obus",
        language="fr",
    )
    return replace(article, **changes)  # type: ignore[arg-type]


def analysis(quotes: tuple[Quote, ...] = QUOTES) -> Analysis:
    return Analysis(language="fr", matches=(NORTH_KOREA, KURSK, ARMS), quotes=quotes)


# --- ids ----------------------------------------------------------------------------------


def test_alert_id_is_stable_short_hex_and_depends_only_on_identity() -> None:
    article = dispatch()
    first = alert_id(article)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert alert_id(dispatch()) == first  # a restart computes the same id
    assert alert_id(dispatch(title="Titre corrigé", text="Autre texte.")) == first
    assert alert_id(dispatch(guid="https://example.org/autre")) != first
    assert alert_id(dispatch(source_id="feed:https://other.example/rss")) != first


# --- quotes -------------------------------------------------------------------------------


def test_the_test_dispatch_puts_the_festival_quote_away_from_every_hit() -> None:
    distance = quote_distance(FESTIVAL, (NORTH_KOREA, KURSK, ARMS))
    assert distance is not None and distance > NEAR
    assert quote_distance(PETROV, (KURSK,)) is not None


def test_key_quotes_are_the_ones_next_to_what_matched_in_text_order() -> None:
    alert = build_alert(dispatch(), analysis(), created_at=WHEN)
    assert [q.speaker for q in alert.quotes] == ["Ivan Petrov", None, "Ri Chol-min"]
    assert alert.quotes[0].text == "Nos troupes tiennent la ligne sans aucune aide"


def test_a_named_speaker_wins_over_an_anonymous_quote_equally_close() -> None:
    chosen = choose_quotes(QUOTES, (NORTH_KOREA, KURSK, ARMS), limit=2)
    assert chosen == (PETROV, RI)  # the anonymous villager drops out, order is the text's


def test_speaker_breaks_an_exact_tie_in_distance() -> None:
    hit = Match("kursk", "Kursk", "entity", 1, 1.0, ("Koursk",), spans=((150, 156),))
    before = Quote("Personne ne sait rien", None, start=100, end=140)  # 10 before the hit
    after = Quote("Tout le monde le sait", "Ivan Petrov", start=166, end=200)  # 10 after it
    assert choose_quotes((before, after), (hit,), limit=1) == (after,)
    assert choose_quotes((before, after), (hit,), limit=2) == (before, after)


def test_ties_in_everything_keep_text_order() -> None:
    hit = Match("kursk", "Kursk", "entity", 1, 1.0, ("Koursk",), spans=((50, 56),))
    first = Quote("un deux trois quatre", "A", start=0, end=40)
    second = Quote("cinq six sept huit", "B", start=66, end=100)
    assert choose_quotes((second, first), (hit,), limit=1) == (first,)


def test_far_quote_is_still_used_when_nothing_closer_exists() -> None:
    alert = build_alert(dispatch(), analysis(quotes=(FESTIVAL, HABITANT)), created_at=WHEN)
    assert [q.text for q in alert.quotes] == [FESTIVAL.text, HABITANT.text]


def test_a_scare_quote_or_title_nobody_said_is_never_a_key_quote() -> None:
    near = PETROV.start  # all three stand where a statement would be chosen
    scare = Quote("« intelligente »", None, start=near, end=near + 16)
    title = Quote("« Le Monde »", None, start=near + 20, end=near + 32)
    said_one_word = Quote("« inacceptable »", "Antony Blinken", start=near + 40, end=near + 56)
    alert = build_alert(
        dispatch(), analysis(quotes=(scare, title, said_one_word)), created_at=WHEN
    )
    assert [(q.text, q.speaker) for q in alert.quotes] == [("inacceptable", "Antony Blinken")]
    assert choose_quotes((scare, title), (KURSK,)) == ()


def test_quotes_without_offsets_or_title_only_matches_fall_back_to_text_order() -> None:
    a = Quote("première déclaration assez longue", "A")
    b = Quote("seconde déclaration assez longue", None)
    c = Quote("troisième déclaration assez longue", "C")
    title_only = replace(KURSK, spans=(), in_title=True)
    assert choose_quotes((a, b, c), (title_only,), limit=2) == (a, c)


def test_duplicate_quotes_are_shown_once() -> None:
    again = replace(PETROV, start=PETROV.start + 1000, end=PETROV.end + 1000)
    chosen = choose_quotes((PETROV, again, RI), (NORTH_KOREA, KURSK, ARMS), limit=3)
    assert chosen == (PETROV, RI)


def test_long_quotes_are_cut_at_a_word_with_an_ellipsis() -> None:
    words = "nous ne céderons jamais devant la pression " * 20
    long = Quote(words.strip(), "Ivan Petrov", start=PETROV.start, end=PETROV.end)
    alert = build_alert(dispatch(), analysis(quotes=(long,)), created_at=WHEN)
    shown = alert.quotes[0].text
    assert len(shown) <= 300 and shown.endswith(" …")
    assert words.startswith(shown[:-2])  # nothing cut mid-word


def test_quote_line_uses_the_languages_marks_and_names_the_speaker() -> None:
    assert quote_line(PETROV, "fr") == (
        "«\u00a0Nos troupes tiennent la ligne sans aucune aide\u00a0» — Ivan Petrov"
    )
    assert quote_line(HABITANT, "en") == "“Personne ne sait combien ils sont vraiment”"
    assert quote_line(replace(HABITANT, text="“Already quoted”"), "de") == "“Already quoted”"


# --- headline and lead --------------------------------------------------------------------


def test_alert_carries_headline_language_matches_and_where_to_read() -> None:
    alert = build_alert(dispatch(), analysis(), created_at=WHEN)
    assert alert.id == alert_id(dispatch())
    assert alert.title == TITLE
    assert alert.language == "fr"
    assert alert.matches == (NORTH_KOREA, KURSK, ARMS)
    assert alert.source_name == "Le Quotidien (fictif)"
    assert alert.location == alert.url == "https://example.org/monde/2024/11/01/obus"
    assert alert.created_at == WHEN
    assert alert.item_ids == ("north-korea", "kursk", "arms-transfers")


def test_location_prefers_the_file_path() -> None:
    article = dispatch(url=None, location="seeds/001_obus.txt")
    assert build_alert(article, analysis(), created_at=WHEN).location == "seeds/001_obus.txt"


def test_lead_continues_after_a_title_that_opens_the_text() -> None:
    lead = lead_of(dispatch())
    assert not lead.startswith(TITLE)
    assert lead == (
        "… selon des responsables sud-coréens cités jeudi. La livraison porterait sur plusieurs "
        "centaines de milliers de munitions pour le régime nord-coréen."
    )


def test_lead_skips_a_title_line_typeset_differently() -> None:
    text = "PYONGYANG PROMET DE NOUVEAUX OBUS A MOSCOU\nLes livraisons ont commencé. Rien d'autre."
    assert lead_of(dispatch(text=text)) == "Les livraisons ont commencé. Rien d'autre."


def test_lead_is_the_opening_when_the_title_is_not_repeated() -> None:
    text = "M. Kim a quitté Moscou jeudi. Il rentre à Pyongyang. " + FILLER_1
    assert lead_of(dispatch(text=text)) == "M. Kim a quitté Moscou jeudi. Il rentre à Pyongyang."


def test_absurdly_long_or_hostile_titles_are_tamed() -> None:
    long = build_alert(dispatch(title="Très " * 200), analysis(), created_at=WHEN)
    assert len(long.title) <= 200 and long.title.endswith("…")
    evil = build_alert(dispatch(title="Obus\x1b[2J\x1b[31m livrés\r\n à\x07 Moscou"), analysis())
    assert evil.title == "Obus livrés à Moscou"
    assert evil.created_at is not None


# --- why-lines and other shared wording ---------------------------------------------------


def test_why_line_says_what_how_often_where_and_which_words() -> None:
    assert why_line(NORTH_KOREA, in_lead=True) == (
        'North Korea ×5 in title and lead ("Pyongyang", "nord-coréen", "nord-coréens")'
    )
    assert why_line(KURSK) == 'Kursk ×2 ("Koursk")'
    assert why_line(ARMS, in_lead=True) == (
        'Arms transfers ×2 in lead ("livraison … munitions", "enverrons des obus")'
    )


def test_why_line_caps_forms_and_skips_the_items_own_name() -> None:
    many = replace(
        NORTH_KOREA,
        evidence=(
            "North Korea",
            "Corée du Nord",
            "corée du nord",
            "nord-coréen",
            "Pyongyang",
            "nord-coréenne",
            "RPDC",
        ),
        in_title=False,
    )
    assert why_line(many) == (
        'North Korea ×5 ("Corée du Nord", "nord-coréen", "Pyongyang", +2 more)'
    )
    assert why_line(replace(KURSK, evidence=("Kursk",))) == "Kursk ×2"


def test_why_parts_find_the_lead_from_the_alert_itself() -> None:
    alert = build_alert(dispatch(), analysis(), created_at=WHEN)
    assert why_parts(alert) == (
        'North Korea ×5 in title and lead ("Pyongyang", "nord-coréen", "nord-coréens")',
        'Kursk ×2 ("Koursk")',
        'Arms transfers ×2 in lead ("livraison … munitions", "enverrons des obus")',
    )


def test_header_pieces() -> None:
    alert = build_alert(dispatch(published=WHEN), analysis(), created_at=WHEN)
    assert items_line(alert) == "North Korea · Kursk · Arms transfers"
    assert source_line(alert) == "fr · Le Quotidien (fictif) · 2024-11-01 09:30"


def test_empty_digest_says_what_was_asked() -> None:
    digest = Digest("Brief: Kursk", (), since=WHEN - timedelta(hours=24), item_id="kursk")
    assert empty_digest_text(digest, now=WHEN) == "No alerts for kursk in the last 24 h."
    week = Digest("Brief", (), since=WHEN - timedelta(days=7))
    assert empty_digest_text(week, now=WHEN) == "No alerts in the last 7 days."
    assert empty_digest_text(Digest("Brief", ())) == "No alerts yet."


def test_a_speakers_own_statement_beats_a_few_words_woven_into_reported_speech() -> None:
    """The partial quote sits right on the hit, the statement a sentence later: an analyst
    still wants the statement, and a scare-quoted word comes last."""
    text = (
        "Officials said troops had been « moved toward the Kursk border » overnight. "
        "« We have not yet seen them fight, but we expect it within days », Blinken said. "
        "Moscow called it a « provocation »."
    )
    hit = Match("kursk", "Kursk", "entity", 1, 1.0, ("Kursk",), spans=((text.index("Kursk"), text.index("Kursk") + 5),))

    def q(s: str, speaker: str | None) -> Quote:
        return Quote(s, speaker, text.index(s), text.index(s) + len(s))

    partial = q("« moved toward the Kursk border »", None)
    statement = q("« We have not yet seen them fight, but we expect it within days »", "Blinken")
    scare = q("« provocation »", None)
    assert choose_quotes((partial, statement, scare), (hit,), limit=1) == (statement,)
    assert choose_quotes((partial, statement, scare), (hit,), limit=2) == (partial, statement)
