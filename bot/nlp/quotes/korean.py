"""Korean attribution: the subject marked by a particle (``김 장관은 “…”라고 말했다``), titles
after names, and whom ``그는`` refers to."""

from __future__ import annotations

import re

from bot.nlp.quotes.verbs import ANON, Attribution
from bot.nlp.quotes.wordlists import alternation, lexicon, lexicon_words


def _ko(key: str) -> str:
    """List ``key`` of the Korean lexicon as one alternation, in file order."""
    return alternation(lexicon("ko").get(key, ()))


_KO_AFTER = re.compile(
    r"^\s*(?:(?:이?라|하|다|냐|자)?(?:고|며|면서)"
    rf"|(?:이?라|다)?는\s+(?:{_ko('stance_nouns')})(?:을|를)?)"
    r"\s*(?:(\S+?)(?:은|는|이|가)\s+)?(?:\S+\s+){0,2}?"
    rf"(?:{_ko('quotative_verbs')})"
)

_KO_PARTICLE_IN_NAME = "|".join(
    rf"(?<={re.escape(c[:-1])}){c[-1]}"
    for c in sorted(lexicon_words("countries", "ko"))
    if c[-1] in "이가"
)
"""``노르웨이``: a country whose last syllable looks like the subject particle."""

_KO_SUBJECT = re.compile(
    r"(?<![^\s.,!?“”\"])((?:[^\s.,!?“”\"]+\s+){0,2}?[^\s.,!?“”\"]+?)"
    rf"(?!{_KO_PARTICLE_IN_NAME or '(?!)'}\s)(?:은|는|이|가)\s"
)

_KO_QUOTATIVE = re.compile(r"^\s*(?:이?라|하|다|냐|자)?(?:고|며|면서)(?=[\s“\"‘,.]|$)")

_KO_LEADING = re.compile(rf"^(?:(?:{_ko('sentence_openers')})\s+)+")

_KO_TITLES = _ko("subject_titles")

_KO_TITLE_END = re.compile(rf"(?:\s+(?:전|현|前)?\s*(?:{_KO_TITLES}|[A-Z]{{2,}}))+$")

_KO_PRONOUNS = frozenset(lexicon("ko").get("referring_pronouns", ()))


def _korean_country_role(subject: str) -> tuple[str, str] | None:
    """``폴란드 국방장관`` -> (``폴란드``, ``장관``): a country's title-holder, not a name."""
    titled = _KO_LEADING.sub("", subject.strip())
    name = _KO_TITLE_END.sub("", titled).strip()
    if name == titled or name not in lexicon_words("countries", "ko"):
        return None
    return name, titled[len(name) :].strip()[-2:]


def _korean_role_holder(country: str, title: str, before: str) -> str | None:
    """The person the text names as ``country``'s ``title`` (``브와디스와프 코시니악 카미슈 폴란드
    부총리 겸 국방부 장관``, ``폴란드 국방장관 코시니악 카미슈``), the nearest such mention."""
    before = before[: before.rfind(country)]  # not the quoting sentence's own subject
    c, t = re.escape(country), re.escape(title)
    name = r"((?:[가-힣]{2,}\s){0,2}[가-힣]{2,})"
    found = [
        (m.start(), m.group(1))
        for pattern in (
            rf"(?<![가-힣]){name}\s+{c}\s+[^.“”\"]{{0,20}}?{t}",
            rf"(?<![가-힣]){c}\s+[^.“”\"\s]{{0,8}}{t}\s+{name}(?=(?:은|는|이|가|의)?[\s,.])",
        )
        for m in re.finditer(pattern, before)
    ]
    names = [(at, n) for at, n in found if not _KO_NOT_NAME.search(n)]
    return max(names)[1] if names else None


_KO_NOT_NAME = re.compile(
    rf"(?:^|\s)(?:{_ko('not_name_words')})(?:\s|$)|(?:{_ko('particles')})(?:\s|$)"
)
"""Words before a country that are not a name: time words, and words ending in a particle."""


def _korean_name(subject: str, before: str) -> str | None:
    """``이날 트럼프 대통령`` -> ``트럼프``; ``김 위원장`` -> ``김정은`` when named so earlier;
    ``폴란드 국방장관`` -> the minister the text names, never the country."""
    role = _korean_country_role(subject)
    if role:
        return _korean_role_holder(*role, before)
    titled = _KO_LEADING.sub("", subject.strip())
    name = _KO_TITLE_END.sub("", titled).strip()
    if not name or name in _KO_PRONOUNS:
        return None
    if re.fullmatch(r"[가-힣]", name):  # a surname alone: the full name said earlier
        fuller = re.findall(rf"(?<![가-힣]){name}[가-힣]{{1,2}}(?=\s)", before)
        return fuller[-1] if fuller else titled
    return name


_KO_BODY_END = re.compile(rf"(?:{_ko('body_suffixes')})$")


def _korean_anonymous(subject: str, before: str = "") -> bool:
    """``업계 관계자``, ``한 외환 딜러``, ``통일부 대변인``, ``노조 위원장``, ``집행위원장``:
    someone described by a role or a body's title, not named."""
    titled = _KO_LEADING.sub("", subject.strip())
    words = titled.split()
    if not words:
        return False
    country_role = _korean_country_role(subject)
    if country_role:
        return _korean_role_holder(*country_role, before) is None  # a country's minister, unnamed
    if words[0] in lexicon_words("indefinite", "ko") or any(
        words[-1].startswith(w) for w in lexicon_words("anonymous", "ko")
    ):
        return True
    name = _KO_TITLE_END.sub("", titled).strip()
    if name != titled and _KO_BODY_END.search(name):
        return True  # a body's title-holder, unnamed
    role = re.fullmatch(rf"([가-힣]*?)(?:{_KO_TITLES})", words[-1])
    return len(words) == 1 and role is not None and len(role.group(1)) != 1


def korean_attribution(sentence_before: str, after: str, before: str) -> Attribution | None:
    """``김 장관은 “…”라고 말했다``: the subject (은/는/이/가) of the quoting sentence;
    ``[김영식/… 팀장 : “…”]`` in a broadcast transcript."""
    slash = re.search(
        r"([가-힣A-Za-z]{2,}(?:\s[가-힣A-Za-z]{2,})?)\s*/[^:\]\n/]{0,80}:\s*$", sentence_before
    )
    if slash:
        return Attribution(slash.group(1), True)
    m = _KO_AFTER.match(after)
    if not m and not _KO_QUOTATIVE.match(after):
        return None
    if m and m.group(1):
        if _korean_anonymous(m.group(1), before):
            return ANON
        name = _korean_name(m.group(1), before)
        if name:
            return Attribution(name, True)
    first = _KO_SUBJECT.search(sentence_before)
    for subject in [first.group(1)] if first else []:
        if _korean_anonymous(subject, before):
            return ANON
        name = _korean_name(subject, before)
        if name:
            return Attribution(name, True)
        if _KO_LEADING.sub("", subject.strip()) in _KO_PRONOUNS:
            named = _korean_antecedent(before[: len(before) - len(sentence_before)])
            if named:
                return Attribution(named, True)
    return Attribution(None, False)


_KO_ACCORDING = re.compile(r"((?:[^\s.,“”\"]+\s+){0,3}?[^\s.,“”\"]+?)에 따르면")

_KO_QUOTED = re.compile(r"[”\"]\s*(?:이?라|하)?고\s")

_KO_OUTLET = re.compile(rf"(?:{_ko('outlet_suffixes')})$")

_KO_REPORTED_END = re.compile(rf"(?:{_ko('reported_endings')})다\s*[.]?\s*$")


def _korean_antecedent(before: str) -> str | None:
    """Whom ``그는 “…”`` means: the source of the sentences just before it (``류 전 대리대사에
    따르면 …``) or the subject of their reporting verb (``류현우 전 … 대리대사는 … 증언했다``),
    nearest first; a body or an unnamed role (``미국 법무부에 따르면``) ends the search."""
    sentences = [x for x in re.split(r"(?<=[.!?。])\s*", before[-1200:]) if x.strip()]
    for sent in reversed(sentences[-3:]):
        found = _KO_ACCORDING.search(sent)
        subject = None
        if _KO_REPORTED_END.search(sent) or _KO_QUOTED.search(sent):
            # ``노동신문에 따르면, 메드베데프 부의장은 … “…”고 평가했다``: who said it
            first = _KO_SUBJECT.search(sent[found.end() :] if found else sent)
            subject = first.group(1) if first else None
        elif found:
            subject = found.group(1)  # ``류 전 대리대사에 따르면 심현섭은 …``: the source
        if subject is None:
            continue
        plain = _KO_LEADING.sub("", subject.strip())
        if (
            _korean_anonymous(subject, before)
            or plain in _KO_PRONOUNS
            or _KO_OUTLET.search(plain)
            or _KO_BODY_END.search(plain)  # ``통일부에 따르면``: a ministry is no ``그``
        ):
            return None  # a body, a pronoun, or an outlet reporting someone else's words
        return _korean_name(subject, before)
    return None
