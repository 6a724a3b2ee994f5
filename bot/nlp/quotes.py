"""Direct speech and who said it: ``extract_quotes(text, language)``.

Quotation marks in real articles are often mismatched (``“ … »``), nested, or used for
scare-quotes (``« victoire »``). So pairs are found with a small stack that accepts any
plausible closer, one-or-two-word quotes are dropped, and dash-introduced speech
(``— Мы не допустим…, — заявил он``) is read too. The speaker is taken from an attribution
next to the quote (``a déclaré Choe Son Hui``, ``Blinken said``, ``заявил Песков``,
``…라고 말했다``); a pronoun or role (``a-t-il ajouté``, ``a ajouté la ministre``) takes the
last speaker named in a main clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.models import Quote
from bot.nlp.text import WORD_RE

MIN_WORDS = 3
"""Shorter quoted text is a scare-quote or a title, not speech."""

_CLOSERS = {
    "«": "»”“",
    "“": "”»“",
    "„": '“”"',
    "‘": "’",
    '"': '"',
    "‹": "›",
    "「": "」",
    "『": "』",
    "»": "«",
    "‚": "‘’",
}
_AMBIGUOUS_OPENERS = {"“", '"', "‘", "»", "‚"}
_AMBIGUOUS_CLOSERS = {"“", '"', "«"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_BEFORE_OPEN = " \t\u00a0([{:—–-/\n"

_FR_PART = (
    "déclaré|dit|ajouté|affirmé|indiqué|souligné|expliqué|estimé|prévenu|assuré|lancé|martelé|"
    "averti|insisté|poursuivi|précisé|réagi|répondu|confié|jugé|noté|écrit|commenté|annoncé|"
    "rappelé|déploré|dénoncé|reconnu|admis|tweeté|conclu|résumé|observé|relevé|raconté|soutenu|"
    "plaidé|promis|répété|salué|prédit|menacé|fustigé|regretté|concédé|lâché|confirmé|assené"
)
_FR_PRES = (
    "déclare|dit|ajoute|affirme|indique|souligne|explique|estime|prévient|assure|lance|martèle|"
    "avertit|insiste|poursuit|précise|répond|confie|juge|note|écrit|annonce|rappelle|raconte|"
    "reconnaît|déplore|dénonce|salue|confirme|résume|tranche|conclut"
)
_EN = (
    "said|says|added|adds|told|tells|stated|declared|warned|noted|explained|wrote|tweeted|"
    "insisted|argued|asked|replied|responded|continued|stressed|emphasi[sz]ed|claimed|announced|"
    "urged|recalled|admitted|acknowledged|cautioned|predicted|concluded|remarked|commented|"
    "observed|posted|vowed|pledged|confirmed|hailed|described"
)
_DE = (
    "sagte|sagt|sagten|erklärte|erklärt|betonte|betont|meinte|meint|schrieb|schreibt|warnte|"
    "warnt|kritisierte|kritisiert|fügte|ergänzte|ergänzt|äußerte|bekräftigte|versicherte|"
    "forderte|so|hieß|teilte|zitierte|sprach|spricht"
)
_ES = (
    "dijo|dice|afirmó|afirma|declaró|declara|señaló|señala|añadió|agregó|indicó|explicó|explica|"
    "aseguró|asegura|advirtió|subrayó|manifestó|insistió|comentó|destacó|sostuvo|expresó|apuntó|"
    "precisó|recalcó|escribió|respondió|reconoció|admitió|calificó"
)
_RU = (
    "заявил[аи]?|сказал[аи]?|отметил[аи]?|добавил[аи]?|подчеркнул[аи]?|сообщил[аи]?|пояснил[аи]?|"
    "написал[аи]?|рассказал[аи]?|предупредил[аи]?|указал[аи]?|заверил[аи]?|уточнил[аи]?|"
    "признал[аи]?|считает|говорит|заявляет|отмечает|пишет|назвал[аи]?|приводит"
)
_UK = (
    "заявив|заявила|заявили|сказав|сказала|сказали|зазначив|зазначила|зазначили|додав|додала|"
    "додали|наголосив|наголосила|наголосили|повідомив|повідомила|повідомили|пояснив|пояснила|"
    "написав|написала|розповів|розповіла|підкреслив|підкреслила|каже|вважає|заявляє|пише|"
    "назвав|назвала"
)
_FR_AUX = r"(?:a|ont|avait|avaient|aurait)(?:\s+(?:également|aussi|encore|ensuite|alors|enfin|notamment|ainsi))?\s+"
_VERBS = {
    "fr": rf"{_FR_AUX}(?:{_FR_PART})|{_FR_PRES}",
    "en": _EN,
    "de": _DE,
    "es": _ES,
    "ru": _RU,
    "uk": _UK,
}


@lru_cache(maxsize=32)
def _verb_source(lang: str) -> str:
    """Attribution verbs of ``lang`` (every language's for one we have no list for)."""
    return f"(?:{_VERBS[lang]})" if lang in _VERBS else "(?:" + "|".join(_VERBS.values()) + ")"


@lru_cache(maxsize=32)
def _verb_re(lang: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){_verb_source(lang)}(?!\w)", re.IGNORECASE)


_FR_INVERTED = re.compile(
    rf"^(?:(?:a|avait|aurait)-t-(?:il|elle|on)|(?:ont|avaient)-(?:ils|elles))\s+(?:\w+\s+)?(?:{_FR_PART})"
    rf"|^(?:{_FR_PRES})-(?:t-)?(?:il|elle|ils|elles|on)(?!\w)",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"^(?:he|she|they|il|elle|ils|elles|er|sie|él|ella|ellos|он|она|они|він|вона|вони)(?!\w)",
    re.IGNORECASE,
)
_FR_PRONOUN_END = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)\s*$", re.IGNORECASE)
_ACCORDING = re.compile(
    r"(?:selon|d'après|according to|laut|zufolge|según|по словам|по мнению|за словами)\s+$",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r",\s*(?:qui|who|der|die|который|которая|який|яка|quien|que)\s+$", re.IGNORECASE
)
_KO_AFTER = re.compile(
    r"^\s*(?:이?라|하|다|냐|자)?(?:고|며|면서)\s*(?:(\S+?)(?:은|는|이|가)\s+)?(?:\S+\s+){0,2}?"
    r"(?:말했|밝혔|강조했|전했|덧붙였|주장했|지적했|설명했|언급했|말하|밝히|촉구했|경고했|비판했|"
    r"말한|밝힌|적었|썼|했다|답했|물었|당부했|설명|강조)"
)
_KO_SUBJECT = re.compile(r"((?:[^\s.,!?“”\"]+\s+){0,2}?[^\s.,!?“”\"]+?)(?:은|는|이|가)\s")

_STOP_WORDS = """
le la les l un une il elle ils elles mais et dans selon
pour the a an he she they it but and in on at for
this that der die das er sie es aber und el los las él
ella pero y он она они но и в на він вона вони але
і та en de du des
"""
_STOP = frozenset(_STOP_WORDS.split())
_TITLES_WORDS = """
mr mrs ms dr president prime minister mme m herr
frau präsident präsidentin kanzler kanzlerin sen rep gen gov secretary
président présidente ministre presidente президент премьер министр глава прем'єр міністр
general général
"""
_TITLES = frozenset(_TITLES_WORDS.split())
_PARTICLES_WORDS = """
de du von van der al bin ibn da di del la le
"""
_PARTICLES = frozenset(_PARTICLES_WORDS.split())


@dataclass
class _Raw:
    start: int
    end: int
    close_end: int
    dash: bool = False


def _opening_ok(para: str, i: int, c: str) -> bool:
    nxt = para[i + 1] if i + 1 < len(para) else ""
    if not nxt or nxt == "\n":
        return False
    if c not in _AMBIGUOUS_OPENERS:
        return True
    prev = para[i - 1] if i > 0 else " "
    return prev in _BEFORE_OPEN and not nxt.isspace()


def _closing_ok(para: str, i: int, c: str) -> bool:
    nxt = para[i + 1] if i + 1 < len(para) else " "
    if nxt.isalnum() and (c in _AMBIGUOUS_CLOSERS or c == "’") and not _HANGUL.match(nxt):
        return False  # an apostrophe (l’armée) or an opener, not a closer
    if c in _AMBIGUOUS_CLOSERS:
        prev = para[i - 1] if i > 0 else " "
        return not prev.isspace()
    return True


def _pairs(para: str) -> list[_Raw]:
    """Top-level quotation spans in one paragraph (offsets within the paragraph)."""
    out: list[_Raw] = []
    stack: list[tuple[str, int]] = []
    for i, c in enumerate(para):
        if stack and c in _CLOSERS[stack[-1][0]] and _closing_ok(para, i, c):
            _, p = stack.pop()
            if not stack:
                out.append(_Raw(p + 1, i, i + 1))
            continue
        if c in _CLOSERS and _opening_ok(para, i, c) and len(stack) < 3:
            stack.append((c, i))
    return out


_DASH_START = re.compile(r"^\s*[—–-]\s+")
_DASH_END = re.compile(r",?\s+[—–]\s+|[.!?…]\s+[—–]\s+")


def _dash_speech(para: str) -> _Raw | None:
    """``— Speech, — said X.``: a paragraph opened by a dash; headings (``– X –``) excluded."""
    m = _DASH_START.match(para)
    if not m or re.search(r"[—–-]\s*$", para.rstrip()):
        return None
    start = m.end()
    end_m = _DASH_END.search(para, start)
    end = end_m.start() if end_m else len(para.rstrip())
    if end_m and para[end_m.start()] in ".!?…":
        end += 1
    return _Raw(start, end, end, dash=True)


def _clean_name(words: list[str]) -> str | None:
    while (
        words
        and (words[0].lower().strip(".") in _STOP or words[0].lower().strip(".") in _TITLES)
        and len(words) > 1
    ):
        words = words[1:]
    while words and words[-1].lower() in _PARTICLES:
        words = words[:-1]
    if not words or words[0].lower() in _STOP or (len(words) == 1 and len(words[0]) < 2):
        return None
    return " ".join(words)


def _is_cap(word: str) -> bool:
    return bool(word) and word[0].isupper()


_NAME_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def _name_at_start(s: str) -> str | None:
    """A run of capitalised words at the start of ``s`` (``Choe Son Hui``, ``Antony Blinken``)."""
    words: list[str] = []
    pos = 0
    while len(words) < 5:
        m = _NAME_WORD.match(s, pos)
        if not m:
            break
        w = m.group().rstrip(".,")
        if _is_cap(w) or (words and w.lower() in _PARTICLES):
            words.append(w)
            pos = m.end()
            ws = re.match(r"[ \u00a0]+", s[pos:])
            if not ws:
                break
            pos += ws.end()
        else:
            break
    return _clean_name(words)


def _name_at_end(s: str) -> str | None:
    """A run of capitalised words ending ``s`` (``… le chef de la diplomatie Antony Blinken``)."""
    tokens = s.rstrip().split()
    words: list[str] = []
    for tok in reversed(tokens):
        w = tok.strip(',;:()«»“”"')
        if (_is_cap(w) or (words and w.lower() in _PARTICLES)) and _NAME_WORD.fullmatch(w):
            words.insert(0, w)
            if len(words) >= 5:
                break
        else:
            break
    return _clean_name(words)


@dataclass(frozen=True)
class _Attribution:
    speaker: str | None
    named: bool
    """A named main-clause speaker, which later pronouns and roles refer back to."""


def _after(after: str, lang: str) -> _Attribution | None:
    """Attribution right after the quote, or after a short tail (``” en Ukraine, a déclaré X``)."""
    found = _after_at(after, lang)
    if found is None:
        tail = re.match(r"^[^.!?«»“”\"\n,]{1,40},\s*", after)
        if tail:
            found = _after_at(after[tail.end() :], lang)
    return found


def _after_at(after: str, lang: str) -> _Attribution | None:
    verb_re = _verb_re(lang)
    s = re.sub(r"^[\s,.!?…;:]*(?:(?:[—–]|--?)\s*)?", "", after)
    if _FR_INVERTED.match(s):
        return _Attribution(None, False)
    m = verb_re.match(s)
    if m:
        rest = s[m.end() :]
        rest = re.sub(r"^\s*(?:hinzu\s*)?[,.]?\s*", " ", rest).lstrip()
        name = _name_at_start(rest)
        if name:
            return _Attribution(name, True)
        role = re.match(r"^[^.;:,]{0,60},\s*", rest)
        if role:
            name = _name_at_start(rest[role.end() :])
            if name:
                return _Attribution(name, True)
        return _Attribution(None, False)
    if _PRONOUN.match(s):
        rest = s[_PRONOUN.match(s).end() :]  # type: ignore[union-attr]
        if verb_re.match(rest.lstrip()):
            return _Attribution(None, False)
    m = re.match(r"^((?:[^\s,.;:]+\s+){1,5}?)" + _verb_source(lang) + r"(?!\w)", s, re.IGNORECASE)
    if m:
        name = _name_at_start(m.group(1))
        if name:
            return _Attribution(name, True)
        return _Attribution(None, False)
    return None


def _before(before: str, lang: str) -> _Attribution | None:
    if _ACCORDING.search(before[-40:]):
        return None
    sent = re.split(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁІЇЄҐ«“„\"])", before)[-1]
    best: _Attribution | None = None
    for m in _verb_re(lang).finditer(sent):
        head = sent[: m.start()]
        rel = _RELATIVE.search(head)
        if rel:
            name = _name_at_end(head[: rel.start()])
            if name:
                best = _Attribution(name, False)
                continue
        name = _name_at_end(head)
        if name:
            best = _Attribution(name, True)
            continue
        inverted = _name_at_start(sent[m.end() :].lstrip())
        if inverted and re.match(r"^\s*" + re.escape(inverted) + r"\s*:", sent[m.end() :]):
            best = _Attribution(inverted, True)
        elif _PRONOUN.search(head.split()[-1] if head.split() else "") or _FR_PRONOUN_END.search(
            head
        ):
            best = _Attribution(None, False)
    return best


def _according(before: str) -> str | None:
    m = re.search(
        r"(?:selon|d'après|according to|laut|según|по словам|за словами)\s+(.{2,60}?)[,:]?\s*$",
        before,
        re.IGNORECASE,
    )
    return _name_at_start(m.group(1)) if m else None


def _korean(sentence_before: str, after: str) -> _Attribution | None:
    """``김 장관은 “…”라고 말했다``: the subject (은/는/이/가) of the quoting sentence."""
    m = _KO_AFTER.match(after)
    if not m and not re.match(r"^\s*(?:이?라|하|다)?(?:고|며|면서)\s*[“\"‘]", after):
        return None
    if m and m.group(1):
        return _Attribution(m.group(1), True)
    subjects = _KO_SUBJECT.findall(sentence_before)
    if subjects:
        return _Attribution(subjects[0].strip(), True)
    return _Attribution(None, False)


def extract_quotes(text: str, language: str) -> tuple[Quote, ...]:
    """Quotes of several words in ``text``, in order, with offsets and speakers where named."""
    quotes: list[Quote] = []
    last_named: str | None = None
    offset = 0
    for para in text.split("\n"):
        raws = _pairs(para)
        dash = _dash_speech(para)
        if dash and not any(r.start < dash.end and dash.start < r.end for r in raws):
            raws.insert(0, dash)
        prev_end = 0
        for raw in raws:
            body = para[raw.start : raw.end]
            lead = len(body) - len(body.lstrip())
            stripped = body.strip().rstrip(",")
            if len(WORD_RE.findall(stripped)) < MIN_WORDS:
                prev_end = raw.close_end
                continue
            before = para[prev_end : max(raw.start - 1, prev_end)]
            after = para[raw.close_end : raw.close_end + 160]
            if language == "ko":
                sentence = re.split(r"(?<=[.!?])", para[: max(raw.start - 1, 0)])[-1]
                attr = _korean(re.sub(r"[“”\"‘’][^“”\"‘’]*[“”\"‘’]", " ", sentence), after)
            else:
                attr = _after(after, language) or _before(before, language)
                if attr is None:
                    name = _according(before)
                    attr = _Attribution(name, True) if name else None
            speaker: str | None = None
            if attr is not None:
                if attr.speaker:
                    speaker = attr.speaker
                    if attr.named:
                        last_named = attr.speaker
                else:
                    speaker = last_named
            start = offset + raw.start + lead
            quotes.append(Quote(stripped, speaker, start, start + len(stripped)))
            prev_end = raw.close_end
        offset += len(para) + 1
    return tuple(quotes)
