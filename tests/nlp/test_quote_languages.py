"""Speakers issue 16 found wrong or missing on unseen text: a Russian/Ukrainian name in an
oblique case, a country's minister in Korean, and quotes in Italian, Japanese and Chinese."""

from __future__ import annotations

from bot.nlp import extract_quotes


def _said(text: str, lang: str) -> list[tuple[str | None, str]]:
    return [(q.speaker, q.text) for q in extract_quotes(text, lang)]


def test_cyrillic_speaker_in_an_oblique_case_is_shown_in_the_nominative() -> None:
    """``президентки Маї Санду`` then ``Вона заявила``; ``по словам Владимира Путина``;
    ``у Марии Захаровой``: the alert names the person as the reader knows them."""
    uk = "Брифінг президентки Маї Санду тривав годину.\nВона заявила: «Ми не дозволимо зірвати вибори».\n"
    assert [s for s, _ in _said(uk, "uk")] == ["Мая Санду"]
    ru = "По словам Владимира Путина, «переговоры возможны, но не на любых условиях».\n"
    assert [s for s, _ in _said(ru, "ru")] == ["Владимир Путин"]
    ru2 = "У Марии Захаровой нашлось объяснение: «Это провокация, не более того».\n"
    assert [s for s, _ in _said(ru2, "ru")] == ["Мария Захарова"]


def test_nominative_and_unknown_names_stay_as_written() -> None:
    """Only words the analyser reads as name forms change, and only when the whole name
    reads as oblique: ``Нора Примерова`` (``Нора`` can only be nominative), an indeclinable
    ``Санду``, a surname the dictionary does not know."""
    cases = [
        ("ru", "«Работы завершим к осени», — сказала Нора Примерова.", "Нора Примерова"),
        ("ru", "«Сроки сдвинутся», — заявил Дмитрий Шугаев.", "Дмитрий Шугаев"),
        ("uk", "«Ми готові до діалогу», — сказала Санду.", "Санду"),
    ]
    for lang, text, name in cases:
        assert [s for s, _ in _said(text, lang)] == [name], text


def test_korean_country_and_title_is_the_named_minister_or_no_one() -> None:
    """``폴란드 국방장관은 “…”``: not the country; the minister the text names, else none."""
    named = (
        "브와디스와프 코시니악 카미슈 폴란드 부총리 겸 국방부 장관은 지난주 계약서에 서명했다. "
        "폴란드 국방장관은 자신의 SNS에 “현지 공장이 곧 착공된다”라고 밝혔다.\n"
    )
    assert [s for s, _ in _said(named, "ko")] == ["브와디스와프 코시니악 카미슈"]
    unnamed = "이날 노르웨이 국방장관은 의회에서 “예산 범위 안에서 결정하겠다”라고 말했다.\n"
    assert [s for s, _ in _said(unnamed, "ko")] == [None]


def test_italian_attributions() -> None:
    text = (
        "«Non possiamo aspettare l'inverno», ha detto Zelensky ai giornalisti.\n"
        "Secondo il ministro della Difesa Guido Crosetto, «i sistemi arriveranno entro marzo».\n"
    )
    assert [s for s, _ in _said(text, "it")] == ["Zelensky", "Guido Crosetto"]


def test_japanese_subject_before_wa_and_verb_after_the_quote() -> None:
    text = (
        "北朝鮮の崔善姫外相は12日に談話を発表し、合同演習について「緊張を高める挑発だ」と非難した。\n"
        "同氏は「相応の措置を取る」と述べた。\n"
        "政府関係者は「詳細は分析中だ」と話した。\n"
    )
    assert _said(text, "ja") == [
        ("崔善姫", "緊張を高める挑発だ"),
        ("崔善姫", "相応の措置を取る"),
        (None, "詳細は分析中だ"),
    ]


def test_chinese_marks_after_a_character_and_titled_subject() -> None:
    text = (
        "据朝中社报道，朝鲜外务相崔善姬12日发表谈话，称美日韩联合军演“是蓄意加剧地区紧张局势的挑衅”。\n"
        "乌克兰总统泽连斯基8日在基辅表示，乌方急需更多防空系统。他说：“每拖延一天，就会有更多平民死亡。”\n"
        "一名韩国官员说：“我们正在密切关注局势。”\n"
        "朝中社称，“美国的挑衅行为必将付出代价”。\n"
    )
    assert [s for s, _ in _said(text, "zh")] == ["崔善姬", "泽连斯基", None, "朝中社"]


def test_a_sentence_that_ended_at_the_mark_lends_no_attribution() -> None:
    """``«…». Центральна комісія повідомила``: the next sentence's subject said nothing here."""
    text = (
        "За словами Маї Санду, «кожен голос вирішить, куди рухатиметься країна». "
        "Центральна виборча комісія повідомила про дві тисячі спостерігачів.\n"
    )
    assert [s for s, _ in _said(text, "uk")] == ["Мая Санду"]


def test_quote_inside_reported_speech_belongs_to_the_subject() -> None:
    """``X … выступил с … и сказал, что … «…»``: the subject of the reporting verb, not the
    country or the person governed by a preposition between them."""
    ru = (
        "Через неделю Шольц встретился с премьер-министром Италии в Риме и сказал, что Европе "
        "пора «взять безопасность в свои руки».\n"
    )
    assert [s for s, _ in _said(ru, "ru")] == ["Шольц"]
    en = (
        "Two days later Macron appeared alongside the Greek prime minister in Paris and said "
        "that it was time to “stop being naive about our neighbours”.\n"
    )
    assert [s for s, _ in _said(en, "en")] == ["Macron"]
