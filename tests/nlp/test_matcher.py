"""Short passages per language: what must match, and the look-alikes that must not."""

from __future__ import annotations

import pytest

from bot.nlp import analyze, match
from bot.nlp.watchlist import Watchlist, parse_watchlist


def ids(title: str, text: str, wl: Watchlist, lang: str) -> set[str]:
    return {m.id for m in match(title, text, wl, lang)}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "North Korean troops were sent to the Kursk region, Seoul said.",
            {"north-korea", "kursk"},
        ),
        (
            "en",
            "Pyongyang has supplied artillery shells to Moscow.",
            {"north-korea", "russia", "arms-transfers"},
        ),
        (
            "fr",
            "Les soldats nord-coréens combattent dans la région de Koursk.",
            {"north-korea", "kursk"},
        ),
        (
            "fr",
            "Pyongyang a livré des missiles à la Russie.",
            {"north-korea", "russia", "arms-transfers"},
        ),
        (
            "de",
            "Nordkoreas Machthaber traf den russischen Präsidenten in Moskau.",
            {"north-korea", "russia"},
        ),
        ("de", "Die Waffenlieferungen an die Ukraine gehen weiter.", {"arms-transfers", "ukraine"}),
        (
            "es",
            "Corea del Norte envió misiles a Rusia, según Kiev.",
            {"north-korea", "russia", "ukraine", "arms-transfers"},
        ),
        (
            "ru",
            "КНДР поставляет снаряды России для боёв в Курской области.",
            {"north-korea", "russia", "kursk", "arms-transfers"},
        ),
        (
            "uk",
            "Північна Корея передала Росії ракети, заявили у Києві.",
            {"north-korea", "russia", "ukraine", "arms-transfers"},
        ),
        ("uk", "Бої на Курщині тривають.", {"kursk"}),
        (
            "ko",
            "북한은 러시아에 포탄을 지원했다고 국방부가 밝혔다.",
            {"north-korea", "russia", "arms-transfers"},
        ),
        ("ko", "북한군이 쿠르스크 전선에 배치됐다.", {"north-korea", "kursk"}),
    ],
)
def test_positives(watchlist: Watchlist, lang: str, text: str, expected: set[str]) -> None:
    assert ids("", text, watchlist, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "South Korea and Japan held talks on trade."),
        ("en", "Armenia and Armada fans crossed their arms; farms need rain."),
        ("en", "The arms race worries the committee, which supplied a report."),
        ("en", "Andrew Yang visited Yangon."),
        ("fr", "La Corée du Sud a présenté son budget."),
        ("fr", "Un vacarme devant l'armée biélorusse."),
        ("de", "Südkorea plant eine Kurskorrektur, das Gerücht kursiert."),
        ("es", "Corea del Sur firmó un acuerdo con Japón."),
        ("ru", "КНР и Южная Корея обсудили торговлю. Северный флот провёл учения."),
        ("uk", "Південна Корея та КНР підписали угоду."),
        ("ko", "태평양 연안에서 달러 환율이 올랐다."),
        ("ko", "한국과 일본이 무기한 협상을 시작했다."),
        ("ko", "북한산 등산객이 늘었다."),
        ("fr", "Les montagnes russes du parc rouvrent ; la salade russe était au menu."),
        ("es", "La montaña rusa y la ensaladilla rusa triunfan en verano."),
        ("ru", "Ремонт Курского вокзала завершат весной."),
    ],
)
def test_hard_negatives(watchlist: Watchlist, lang: str, text: str) -> None:
    assert ids("", text, watchlist, lang) == set()


def test_pyongyang_is_not_yang() -> None:
    wl = parse_watchlist("items:\n  - id: yang\n    name: Yang\n    aliases: {en: [Yang]}\n")
    assert ids("", "Pyongyang said nothing.", wl, "en") == set()
    assert ids("", "Mr Yang said nothing.", wl, "en") == {"yang"}


def test_prefix_may_extend_a_word(watchlist: Watchlist) -> None:
    found = match("", "Shelling hit Kurskaya oblast overnight.", watchlist, "en")
    assert [(m.id, m.evidence) for m in found] == [("kursk", ("Kurskaya",))]


def test_evidence_is_the_surface_form_and_spans_point_into_text(watchlist: Watchlist) -> None:
    text = "Officials in Seoul said NORTH KOREA’S army moved; later the North-Korean envoy left."
    (nk,) = [m for m in match("", text, watchlist, "en") if m.id == "north-korea"]
    assert nk.evidence == ("NORTH KOREA", "North-Korean")
    assert [text[s:e] for s, e in nk.spans] == list(nk.evidence)


def test_lemma_handles_inflection(watchlist: Watchlist) -> None:
    text = "Россия. России и Москве. Поставки оружия продолжаются."
    found = {m.id: m for m in match("", text, watchlist, "ru")}
    assert {"russia", "arms-transfers"} <= set(found)
    assert "России" in found["russia"].evidence


def test_title_weighs_more_than_body(watchlist: Watchlist) -> None:
    body = "Talks went on.\nNothing new.\nMore text.\nThe delegation later flew to Moscow."
    in_title = {m.id: m for m in match("Moscow talks", body, watchlist, "en")}["russia"]
    in_body = {m.id: m for m in match("Talks", body, watchlist, "en")}["russia"]
    assert in_title.in_title and not in_body.in_title
    assert in_title.score > in_body.score
    assert in_title.spans == in_body.spans  # title-only hits carry no span


def test_min_score_filters() -> None:
    wl = parse_watchlist(
        "items:\n  - id: kursk\n    name: Kursk\n    min_score: 2.5\n    aliases: {en: [Kursk]}\n"
    )
    body = "One.\nTwo.\nThree.\nA passing mention of Kursk."
    assert match("", body, wl, "en") == ()
    assert [m.id for m in match("Kursk", body, wl, "en")] == ["kursk"]


def test_topic_rule_within_words() -> None:
    wl = parse_watchlist(
        """
items:
  - id: t
    name: T
    kind: topic
    rule:
      within: 3
      all_of:
        - en: [tank]
        - en: [sell]
"""
    )
    assert ids("", "They sell a tank.", wl, "en") == {"t"}
    assert ids("", "They sell bread, cheese, milk, eggs and a tank.", wl, "en") == set()


def test_topic_none_of_vetoes_sentence() -> None:
    wl = parse_watchlist(
        """
items:
  - id: t
    name: T
    kind: topic
    rule:
      all_of:
        - en: [missile]
        - en: [deliver]
      none_of:
        - en: [pizza]
"""
    )
    assert ids("", "They deliver missiles.", wl, "en") == {"t"}
    assert ids("", "They deliver pizza and missiles.", wl, "en") == set()


def test_also_rules_count_on_their_own_and_veto_only_themselves() -> None:
    wl = parse_watchlist(
        """
items:
  - id: t
    name: T
    kind: topic
    rule:
      all_of:
        - en: [missile]
        - en: [deliver]
      none_of:
        - en: [pizza]
    also:
      - all_of:
          - en: [Taurus]
          - en: [debate]
        none_of:
          - en: [horoscope]
"""
    )
    assert ids("", "They deliver missiles.", wl, "en") == {"t"}
    assert ids("", "The Taurus debate goes on.", wl, "en") == {"t"}
    assert ids("", "The Taurus debate is back in the horoscope.", wl, "en") == set()
    # the extra rule's veto leaves the main rule alone; the main rule's vetoes everything
    assert ids("", "In the horoscope they deliver missiles.", wl, "en") == {"t"}
    assert ids("", "They deliver pizza after the Taurus debate.", wl, "en") == set()
    assert ids("", "They debate missiles.", wl, "en") == set()


def test_nothing_to_find_skips_spacy_and_finds_nothing(
    watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What makes a plain article cheap: the prefilter rules it out before any pipeline is
    # asked for. (How cheap is for `newsbot bench` to print, not for a test to time.)
    from bot.nlp.matcher import analysis

    def no_spacy(lang: str) -> None:
        raise AssertionError(f"spaCy pipeline requested for {lang!r}")

    monkeypatch.setattr(analysis, "get_pipeline", no_spacy)
    text = "The council approved the new park budget. " * 100
    assert match("Budget", text, watchlist, "en") == ()
    assert analyze("Budget", text, watchlist).matches == ()
    assert analyze("Budget", text, watchlist, "en").language == "en"


def test_compiled_once_per_watchlist(watchlist: Watchlist) -> None:
    from bot.nlp.matcher import plans

    match("", "Kursk.", watchlist, "en")
    entry = plans.compiled_cache[id(watchlist)]
    match("", "Kursk again.", watchlist, "en")
    assert plans.compiled_cache[id(watchlist)] is entry


def test_cache_does_not_keep_a_watchlist_alive() -> None:
    import gc
    import weakref

    from bot.nlp.matcher import plans

    wl = parse_watchlist("items:\n  - id: k\n    name: K\n    aliases: {en: [Kursk]}\n")
    match("", "Kursk.", wl, "en")
    ref, key = weakref.ref(wl), id(wl)
    del wl
    gc.collect()
    assert ref() is None
    assert key not in plans.compiled_cache


@pytest.mark.parametrize(
    ("lang", "text", "transfer"),
    [
        ("en", "The army bought new rifles from its own factories.", False),
        ("en", "Seoul will sell K9 howitzers to Warsaw.", True),
        ("ru", "Офицеры получили награды от командования частей вооружения.", False),
        ("uk", "Москва скоротила постачання газу, а ракети падали поруч.", False),
        ("uk", "Волонтери доставили дрони українським підрозділам.", True),
        ("de", "Deutschland hat Artilleriemunition an die Ukraine geliefert.", True),
        ("fr", "La course aux armements inquiète l'Europe.", False),
        ("es", "El Gobierno aprobó la exportación de armas a Polonia.", True),
        ("ko", "한화는 동유럽으로 수출하는 K-9 자주포 물량을 늘렸다.", True),
        ("ko", "정부는 우크라이나에 대한 무기 지원 여부를 검토했다.", True),
        # a debate over delivering a named system, a refusal; not a debate over using it
        ("de", "Die Regierung streitet weiter über die Taurus-Frage.", True),
        ("en", "The chancellor again refused to part with Taurus missiles, aides said.", True),
        ("en", "Taurus: a question about money comes back this week.", False),
        ("en", "The debate over firing ATACMS at targets inside Russia goes on.", False),
        ("en", "Investigators face the question of why the F-16 went down.", False),
        # arms factories built with exports in mind
        ("ko", "북한은 새 군수공장을 지어 수출 물량을 늘릴 계획이다.", True),
        ("ko", "북한은 새 군수공장을 지어 포탄 생산을 늘릴 계획이다.", False),
        # "send" that hands nothing over; electronics built into a platform
        ("ko", "관중은 최신 무기 행진에 박수를 보냈다.", False),
        ("en", "The missile test sent a signal to Washington.", False),
        ("en", "The firm will provide combat management systems for two new frigates.", False),
        ("en", "The yard will deliver two frigates to the navy of Peru.", True),
    ],
)
def test_arms_transfer_phrasings(watchlist: Watchlist, lang: str, text: str, transfer: bool) -> None:
    assert ("arms-transfers" in ids("", text, watchlist, lang)) is transfer


def test_an_admin_adds_an_entity_in_three_languages_by_yaml_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.nlp.watchlist import load_watchlist

    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "items:\n"
        "  - id: zaporizhzhia\n"
        "    name: Zaporizhzhia plant\n"
        "    aliases:\n"
        "      en: [Zaporizhzhia*]\n"
        "      de: [Saporischschja*]\n"
        "      uk: [Запоріж*]\n",
        encoding="utf-8",
    )
    wl = load_watchlist(path)
    assert ids("", "Fire near the Zaporizhzhia plant.", wl, "en") == {"zaporizhzhia"}
    assert ids("", "Brand im AKW Saporischschja.", wl, "de") == {"zaporizhzhia"}
    assert ids("", "Пожежа на Запорізькій АЕС.", wl, "uk") == set()  # Запоріж* ≠ Запорізьк*
    assert ids("", "Пожежа біля Запоріжжя.", wl, "uk") == {"zaporizhzhia"}


def test_quotation_marks_inside_a_phrase_do_not_break_it(watchlist: Watchlist) -> None:
    """Moscow's «Kurskaya» metro station is an excluded phrase even when the name is quoted;
    a real Kursk mention in the same text still counts."""
    quoted = "Вестибюль станции «Курская» закроют на ремонт."
    assert not match("", quoted, watchlist, "ru")
    both = quoted + " Бои под Курском продолжаются."
    assert [(m.id, m.evidence) for m in match("", both, watchlist, "ru")] == [("kursk", ("Курском",))]
