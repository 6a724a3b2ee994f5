"""Japanese, Chinese and Italian, and the arms-transfer wordings rules used to miss
(participles, present plurals, materiel nouns, requests and pledges) with their traps."""

from __future__ import annotations

import pytest

from bot.nlp import analyze, match
from bot.nlp.pipelines import detect_language
from bot.nlp.text import same_length_clean
from bot.nlp.watchlist import Watchlist, parse_watchlist


def ids(text: str, wl: Watchlist, lang: str) -> set[str]:
    return {m.id for m in match("", text, wl, lang)}


# --- telling Japanese from Chinese ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("北朝鮮、弾道ミサイル発射", "ja"),  # kana
        ("ロシア軍 クルスク州で反撃", "ja"),
        ("北朝鮮弾道弾発射", "ja"),  # no kana, but 発 and 弾 are written so only in Japan
        ("平壌", "ja"),  # 壌 (Chinese: 壤)
        ("朝鲜发射弹道导弹", "zh"),
        ("金正恩访俄", "zh"),
        ("乌克兰向库尔斯克发动攻势", "zh"),
        ("北韓軍隊傳已抵達庫爾斯克", "zh"),  # traditional characters are Chinese too
        ("朝鮮戰爭停戰協定", "zh"),
    ],
)
def test_short_headlines_are_told_apart(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_kana_outweigh_a_feed_declaring_chinese() -> None:
    assert detect_language("日本政府は北朝鮮の発射を強く非難した", hint="zh") == "ja"
    # A declared Japanese headline with nothing to refute it is believed.
    assert detect_language("金正恩氏 訪露", hint="ja") == "ja"


# --- matching without spaces ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ja", "北朝鮮軍の兵士がクルスク州に到着した。", {"north-korea", "kursk"}),
        ("ja", "北朝鮮から供与された砲弾をロシア軍が使用している。",
         {"north-korea", "russia", "arms-transfers"}),
        ("zh", "朝鲜向俄罗斯提供了大量炮弹。", {"north-korea", "russia", "arms-transfers"}),
        # A Latin word glued to ideographs is still a word (no space in 交付HIMARS).
        ("zh", "美国宣布向乌克兰交付HIMARS火箭炮弹药。", {"ukraine", "arms-transfers"}),
        ("zh", "北韓軍隊已抵達庫爾斯克。", {"north-korea", "kursk"}),
        ("it", "La Corea del Nord ha fornito proiettili d'artiglieria alla Russia.",
         {"north-korea", "russia", "arms-transfers"}),
    ],
)
def test_new_languages_match(
    watchlist: Watchlist, lang: str, text: str, expected: set[str]
) -> None:
    assert ids(text, watchlist, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ja", "南北朝時代の古文書が京都の寺で見つかった。"),  # 北朝 is not 北朝鮮
        ("ja", "朝露に濡れた庭で、北海道産の小麦を使ったパンを売る。"),
        ("ja", "映画「ロシアンルーレット」が首位となった。"),
        ("zh", "延边朝鲜族自治州举办民俗文化节。"),  # China's Korean minority
        ("zh", "朝鲜半岛南部出现强降雨，韩国发布预警。"),
        ("zh", "白俄罗斯总统访问美国俄亥俄州。"),  # Belarus, Ohio
        ("zh", "北京市朝阳区一家商场举办购物节。"),
        ("it", "Le montagne russe del parco riaprono; in Corea del Sud si vota."),
    ],
)
def test_new_languages_look_alikes(watchlist: Watchlist, lang: str, text: str) -> None:
    assert ids(text, watchlist, lang) == set()


def test_a_long_paragraph_without_spaces_loses_no_character(watchlist: Watchlist) -> None:
    """Chinese paragraphs run for hundreds of characters with no space; cutting them into
    "tokens" of 200 replaced a character with a space and could break an alias."""
    filler = "据报道双方会谈持续了很长时间" * 14  # 196 characters, no space
    text = filler + "朝鲜方面" + filler
    assert " " not in same_length_clean(text)
    assert ids(text, watchlist, "zh") == {"north-korea"}


def test_analyze_detects_and_matches_japanese(watchlist: Watchlist) -> None:
    a = analyze("北朝鮮兵、クルスク州に展開", "韓国の情報機関が明らかにした。", watchlist)
    assert a.language == "ja"
    assert {m.id for m in a.matches} == {"north-korea", "kursk"}
    assert "北朝鮮" in next(m for m in a.matches if m.id == "north-korea").evidence


def test_an_admin_writes_japanese_aliases_as_characters() -> None:
    wl = parse_watchlist(
        """
items:
  - id: pyongyang-metro
    name: Pyongyang metro
    aliases:
      ja: [平壌地下鉄]
    exclude:
      ja: [平壌地下鉄道博物館]
"""
    )
    assert ids("平壌地下鉄の新型車両が公開された。", wl, "ja") == {"pyongyang-metro"}
    assert ids("平壌地下鉄道博物館が改装された。", wl, "ja") == set()
    assert ids("平壌の地下鉄", wl, "ja") == set()  # の between: not the phrase


# --- arms transfers: the wordings analysts count ----------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # participles and passives
        ("en", "Drones supplied by Turkey struck two fuel depots overnight."),
        ("ru", "ПВО сбила 40 поставленных Ираном беспилотников."),
        ("uk", "Над Києвом збили дрони, поставлені Іраном."),
        ("it", "I droni forniti dalla Turchia sono stati decisivi."),
        # present-tense plurals
        ("uk", "Партнери надають Україні нові системи ППО."),
        ("de", "Dänemark und Norwegen liefern der Ukraine weitere Flugabwehrsysteme."),
        # materiel nouns and named systems
        ("en", "Several governments promised military supplies and armoured vehicles."),
        ("fr", "La France enverra du matériel militaire à l'Ukraine."),
        ("ru", "Военная помощь включает комплексы NASAMS и HIMARS."),
        # requests and pledges
        ("en", "Kyiv asked for longer-range missiles at the meeting."),
        ("en", "Berlin promised new armoured vehicles before the winter."),
        ("es", "El ministro pidió más sistemas de defensa aérea."),
        ("uk", "Міністр попросив союзників про далекобійні ракети."),
        ("ko", "우크라이나는 한국에 포탄을 보내 달라고 요청했다."),
    ],
)
def test_arms_transfer_wordings_count(watchlist: Watchlist, lang: str, text: str) -> None:
    assert "arms-transfers" in ids(text, watchlist, lang)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The Red Cross requested a ceasefire after weeks of artillery and drone fire."),
        ("en", "Ministers pledged support for the talks and promised supplies of grain."),
        ("en", "Exports held up despite missile strikes on the port."),
        ("fr", "Le Vatican a demandé un cessez-le-feu et la fin des frappes de missiles."),
        ("de", "Die Kirchen fordern einen Waffenstillstand; Raketen und Drohnen müssten schweigen."),
        ("ru", "Россия поставила в Африку 20 млн тонн зерна."),
        ("ko", "유엔은 휴전을 요청하며 미사일과 드론 공격 중단을 촉구했다."),
        ("ja", "事務総長は停戦を要請し、ミサイルや無人機による攻撃の停止を求めた。"),
        ("zh", "秘书长呼吁停火，要求停止用导弹和无人机袭击民用设施。"),
        ("it", "Il Papa ha chiesto una tregua e la fine degli attacchi con missili."),
    ],
)
def test_arms_transfer_look_alikes(watchlist: Watchlist, lang: str, text: str) -> None:
    assert "arms-transfers" not in ids(text, watchlist, lang)


def test_chinese_without_spaces_keeps_spacys_strings_bounded(watchlist: Watchlist) -> None:
    """A token per ideograph: 60,000 characters of unbroken Chinese intern at most the
    characters they use, not ever-new "words" (a guard for the memory bound)."""
    from bot.nlp.pipelines import get_pipeline

    # What the first Chinese match in a process interns once (the watchlist's own Chinese
    # names, the pipeline's lazy tables) is not the text's doing: counted before, so the
    # bound holds whichever test of this worker matched Chinese first.
    assert "north-korea" in ids("朝鲜", watchlist, "zh")
    before = len(get_pipeline("zh").vocab.strings)
    text = "".join(chr(0x4E00 + (i * 7919) % 3000) for i in range(60_000)) + "。朝鲜"
    assert "north-korea" in ids(text, watchlist, "zh")
    assert len(get_pipeline("zh").vocab.strings) - before <= 3_010
