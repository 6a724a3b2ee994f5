"""Japanese and Chinese attribution: the titled subject of the quoting sentence, read by
each language's own grammar (no spaces, titles after names)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlp.quotes.attribution import LEAD
from bot.nlp.quotes.verbs import ANON, Attribution
from bot.nlp.quotes.wordlists import alternation, lexicon, lexicon_words

_JA_OPENERS = re.compile(rf"^(?:{alternation(lexicon('ja').get('sentence_openers', ()))})")
"""Words that open a Japanese sentence before its subject (``また``, ``一方``)."""


@lru_cache(maxsize=4)
def _cjk_grammar(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """``lang``'s reporting verb after the quote (Japanese ``」と述べた``) or before it
    (Chinese ``表示：“``, ``称“``), and its titles at the end of a subject (``外相``, ``总统``)."""
    verbs = alternation(lexicon(lang).get("reporting_verbs", ()))
    titles = alternation(tuple(sorted(lexicon(lang).get("titles", ()), key=len, reverse=True)))
    if lang == "ja":
        verb = re.compile(rf"^[』」]?\s*(?:と|とも|などと)(?:[^。「」]{{0,12}}?)(?:{verbs})")
    else:
        verb = re.compile(rf"(?:{verbs})[^，。：“”「」]{{0,20}}?[：:，,]?\s*$")
    title = re.compile(rf"(?:{titles})$")
    agency = re.compile(
        rf"(?:{alternation(lexicon(lang).get('agencies', ()))})"
        rf"(?=によると|によれば|报道|消息|称|说)"
    )
    return verb, title, agency


def _cjk_subject(sentence: str, lang: str) -> tuple[str | None, bool]:
    """The titled person a Japanese or Chinese sentence is about (``北朝鮮の崔善姫外相は``
    -> ``崔善姫``, ``乌克兰总统泽连斯基8日在基辅表示`` -> ``泽连斯基``), and whether the sentence
    has a subject at all (a body, ``政府は``, is one, but no one's name)."""
    _, title, _ = _cjk_grammar(lang)
    if lang == "ja":
        m = re.search(r"(?:^|[、。])([^、。「」『』\s]{1,30}?)(?:は|が)", sentence)
        if not m:
            return None, False
        phrase = m.group(1).split("の")[-1]  # ``ウクライナの``: whose, not who
        phrase = _JA_OPENERS.sub("", phrase)
        if phrase in lexicon_words("pronouns", "ja"):
            return None, False  # ``同氏は``: the person named before
        if phrase in lexicon("ja").get("agencies", ()):
            return phrase, True  # ``朝鮮中央通信は…と報じた``
        t = title.search(phrase)
        name = phrase[: t.start()] if t else ""
        return (name if len(name) >= 2 else None), True
    clause = re.split(
        r"[，,]", re.sub(r"^据[^，,]{1,20}(?:报道|消息)[，,]", "", sentence), maxsplit=1
    )[0]
    lead = re.match(r"[^\d在于对向和与\s]{2,24}", clause)
    if not lead:
        return None, False
    phrase = lead.group()
    if phrase in lexicon_words("pronouns", "zh") or phrase[:1] in lexicon_words("pronouns", "zh"):
        return None, False  # ``他说``: the person named before
    verbs = lexicon(lang).get("reporting_verbs", ())
    phrase = re.sub(rf"(?:{alternation(verbs)}).*$", "", phrase)
    if phrase in lexicon("zh").get("agencies", ()):
        return phrase, True  # ``朝中社称``
    found = list(re.finditer(title.pattern.removesuffix("$"), phrase))
    name = phrase[found[-1].end() :] if found else ""
    return (name if len(name) >= 2 else None), True  # ``外务相崔善姬``: the name after the title


def cjk_attribution(
    para: str, start: int, close_end: int, before_all: str, lang: str
) -> Attribution | None:
    """A Japanese or Chinese quote's speaker: the titled subject of its sentence, or of the
    paragraph's earlier sentences when the sentence has none (``彼は``, ``他说``, or no subject:
    the topic carries on); the agency a report cites (``据朝中社报道``) when no person is named.
    None when no reporting verb goes with the quote."""
    verb, _, agency = _cjk_grammar(lang)
    lead = para[: start - 1]
    unquoted = re.sub(r"[「『“][^」』”]*[」』”]", "", before_all[:-1][-LEAD:])
    sentences = [s.strip() for s in re.split(r"(?<=[。！？\n])", unquoted) if s.strip()]
    if lang == "ja":
        reported = bool(verb.match(para[close_end - 1 : close_end + 40]))
    else:
        reported = bool(verb.search(lead[-30:]))
    if not reported:
        return None
    for i, sent in enumerate(reversed(sentences[-4:])):
        name, has_subject = _cjk_subject(sent, lang)
        if name:
            return Attribution(name, True)
        if has_subject and i == 0:
            return ANON  # the quote's own subject is a body or an unnamed role
    cited = agency.search(before_all[-300:])
    return Attribution(cited.group(), True) if cited else ANON
