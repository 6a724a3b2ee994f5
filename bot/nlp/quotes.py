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

import json
import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.models import Quote
from bot.nlp.text import WORD_RE

CONTEXT = 6000
"""Characters before a quote that name resolution looks at (a surname completed, a role or
pronoun resolved): bounded, so the work per quote does not grow with the document."""
LEAD = 1000
"""Characters of the paragraph before a quote read for its attribution (a long sentence)."""

LEXICONS = Path(__file__).with_name("lexicons")
"""One JSON file per language (``en.json``): the word lists the rules read (see the README,
"Quotes and speakers"). Adding a language is adding a file."""


class LexiconError(ValueError):
    """A lexicon file that is not an object of lists of strings."""


@lru_cache(maxsize=64)
def lexicon(lang: str) -> Mapping[str, tuple[str, ...]]:
    """The word lists of ``lang`` (empty for a language with no file)."""
    path = LEXICONS / f"{lang}.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(w, str) for w in v) for v in data.values()
    ):
        raise LexiconError(f"{path}: expected an object of lists of strings")
    return {k: tuple(v) for k, v in data.items()}


@lru_cache(maxsize=64)
def lexicon_languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LEXICONS.glob("*.json")))


@lru_cache(maxsize=256)
def _words(key: str, lang: str) -> frozenset[str]:
    """List ``key`` of ``lang``'s lexicon, casefolded; every language's for one with no file."""
    langs = (lang,) if lang in lexicon_languages() else lexicon_languages()
    return frozenset(w.casefold() for code in langs for w in lexicon(code).get(key, ()))


@lru_cache(maxsize=1)
def _all_words(key: str) -> frozenset[str]:
    return frozenset(w.casefold() for code in lexicon_languages() for w in lexicon(code).get(key, ()))


MIN_WORDS = 1
"""Quoted wording of any length is reported (``a “landmark agreement”``, with who used the
words); the alert ranks one- or two-word fragments after real statements."""

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

def _union(key: str) -> tuple[str, ...]:
    """List ``key`` of every language's lexicon, in file order, each entry once."""
    seen: dict[str, None] = {}
    for code in lexicon_languages():
        seen.update(dict.fromkeys(lexicon(code).get(key, ())))
    return tuple(seen)


def _alternation(entries: tuple[str, ...]) -> str:
    return "|".join(entries)


_CALLING = re.compile(rf"(?<!\w)(?:{_alternation(_union('naming_verbs'))})(?!\w)", re.IGNORECASE)
"""Verbs that take someone's words as a name for something (``what he called “…”``)."""


def _own_verbs(lang: str) -> str | None:
    """``lang``'s reporting verbs as one alternation: its finite forms, and its participles
    after an auxiliary where the lexicon lists them (``a déclaré``, ``a également ajouté``)."""
    lx = lexicon(lang)
    parts: list[str] = []
    if lx.get("reporting_participles"):
        aux = _alternation(lx.get("auxiliaries", ()))
        adverbs = _alternation(lx.get("auxiliary_adverbs", ()))
        adverb = rf"(?:\s+(?:{adverbs}))?" if adverbs else ""
        parts.append(rf"(?:{aux}){adverb}\s+(?:{_alternation(lx['reporting_participles'])})")
    if lx.get("reporting_verbs"):
        parts.append(_alternation(lx["reporting_verbs"]))
    return "|".join(parts) or None


@lru_cache(maxsize=32)
def _verb_source(lang: str) -> str:
    """Attribution verbs of ``lang`` (every language's for one we have no list for)."""
    own = _own_verbs(lang)
    if own:
        return f"(?:{own})"
    return "(?:" + "|".join(v for c in lexicon_languages() if (v := _own_verbs(c))) + ")"


@lru_cache(maxsize=32)
def _verb_re(lang: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){_verb_source(lang)}(?!\w)", re.IGNORECASE)


_FR = lexicon("fr")
_FR_INVERTED = re.compile(
    rf"^(?:(?:a|avait|aurait)-t-(?:il|elle|on)|(?:ont|avaient)-(?:ils|elles))\s+(?:\w+\s+)?"
    rf"(?:{_alternation(_FR.get('reporting_participles', ()))})"
    rf"|^(?:{_alternation(_FR.get('reporting_verbs', ()))})-(?:t-)?(?:il|elle|ils|elles|on)(?!\w)",
    re.IGNORECASE,
)
"""French inverted attribution (``a-t-il ajouté``, ``dit-elle``): French grammar, French words."""
_PRONOUN = re.compile(rf"^(?:{_alternation(_union('pronouns'))})(?!\w)", re.IGNORECASE)
_FR_PRONOUN_END = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on)\s*$", re.IGNORECASE)
_ACCORDING = re.compile(rf"(?:{_alternation(_union('according_to'))})\s+$", re.IGNORECASE)
_RELATIVE = re.compile(
    r",\s*(?:qui|who|der|die|который|которая|який|яка|quien|que)\s+$", re.IGNORECASE
)
_KO_AFTER = re.compile(
    r"^\s*(?:(?:이?라|하|다|냐|자)?(?:고|며|면서)|(?:이?라|다)?는\s+(?:입장|뜻|의견|견해|취지|말)(?:을|를)?)"
    r"\s*(?:(\S+?)(?:은|는|이|가)\s+)?(?:\S+\s+){0,2}?"
    r"(?:말했|밝혔|강조했|전했|덧붙였|주장했|지적했|설명했|언급했|말하|밝히|촉구했|경고했|비판했|"
    r"말한|밝힌|적었|썼|했다|답했|물었|당부했|설명|강조)"
)
_KO_PARTICLE_IN_NAME = "|".join(
    rf"(?<={re.escape(c[:-1])}){c[-1]}" for c in sorted(_words("countries", "ko")) if c[-1] in "이가"
)
"""``노르웨이``: a country whose last syllable looks like the subject particle."""
_KO_SUBJECT = re.compile(
    r"(?<![^\s.,!?“”\"])((?:[^\s.,!?“”\"]+\s+){0,2}?[^\s.,!?“”\"]+?)"
    rf"(?!{_KO_PARTICLE_IN_NAME or '(?!)'}\s)(?:은|는|이|가)\s"
)

_STOP_WORDS = """
le la les l un une il elle ils elles mais et dans selon
pour the a an he she they it but and in on at for
this that der die das dem den des er sie es aber und el los las él
ella pero y он она они но и в на він вона вони але
і та en de du des auch doch nun dann noch nur jetzt wie als zudem dabei denn
"""
_STOP = frozenset(_STOP_WORDS.split())
_TITLES = frozenset(w.casefold() for w in _union("titles"))
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
    incise: str | None = None
    """The attribution set inside the quotation marks (``« Nous irons, a déclaré X, jusqu'au
    bout »``, ``«Мы готовы, — сказал X, — но…»``): it names the speaker of both parts."""
    runs_on: bool = False
    """Opened at the paragraph's start and not closed: a quote running into the next
    paragraph (newspapers open each paragraph of a long quote and close only the last)."""


def _opening_ok(para: str, i: int, c: str) -> bool:
    nxt = para[i + 1] if i + 1 < len(para) else ""
    if not nxt or nxt == "\n":
        return False
    if c not in _AMBIGUOUS_OPENERS:
        return True
    prev = para[i - 1] if i > 0 else " "
    if prev in _CJK_BEFORE_OPEN or _CJK_CHAR.match(prev):
        return bool(_CJK_CHAR.match(nxt))
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
    if stack and stack[0][1] == len(para) - len(para.lstrip()):
        out.append(_Raw(stack[0][1] + 1, len(para.rstrip()), len(para), runs_on=True))
    elif not out:
        out = _spaced_straight(para)
    if "'" in para:
        out = _with_single(out, _straight_single(para))
    return out


_STRAIGHT_SINGLE = re.compile(
    r"(?<![\w'’.,-])'(?=[^\W\d_])((?:[^'\n]|(?<=\w)'(?=\w)){1,300}?[\w.!?…])'(?![\w'’])"
)
"""``hails troops for cementing 'invincible alliance' with Moscow``: typewriter apostrophes
as quotation marks (wire headlines, digests). An opener follows a space or a bracket and
comes before a letter; a closer ends a word and is followed by no letter; an apostrophe
between letters inside (``Kim's``, ``прем'єр``) is a letter of the word, not a mark."""


def _straight_single(para: str) -> list[_Raw]:
    return [_Raw(m.start(1), m.end(1), m.end()) for m in _STRAIGHT_SINGLE.finditer(para)]


def _with_single(out: list[_Raw], single: list[_Raw]) -> list[_Raw]:
    """``single`` spans that lie outside every span of ``out`` (a ``'…'`` inside “…” is a
    quote within the quote), merged in order; both lists are sorted and do not overlap."""
    if not single:
        return out
    merged: list[_Raw] = []
    i = 0
    for raw in single:
        while i < len(out) and out[i].close_end <= raw.start - 1:
            merged.append(out[i])
            i += 1
        if i < len(out) and out[i].start - 1 < raw.close_end:
            continue  # overlaps the next span of ``out``
        merged.append(raw)
    merged.extend(out[i:])
    return merged


def _spaced_straight(para: str) -> list[_Raw]:
    """``" La baisse … des projets ", a souligné X``: straight quotes set off by spaces
    on both sides (a French habit) cannot be told apart as opener and closer one by one,
    but an even number of them in a paragraph with no other quotes pairs up in order."""
    marks = [i for i, c in enumerate(para) if c == '"']
    if len(marks) < 2 or len(marks) % 2:
        return []
    return [_Raw(a + 1, b, b + 1) for a, b in zip(marks[::2], marks[1::2], strict=True)]


_DASH_START = re.compile(r"^\s*(?:[—–]\s*|-\s+)(?=\S)")
_DASH_END = re.compile(r",?\s+[—–]\s*(?=\w)|[.!?…]\s+[—–]\s*(?=\w)")
"""``— Speech, — said X`` and the Spanish ``—Speech —dijo X``."""


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


_CYRILLIC = re.compile(r"^[А-ЯЁІЇЄҐа-яёіїєґ'’-]+$")
_PATRONYMIC = re.compile(r"(?:ович|евич|йович|овна|евна|івна|ївна|ич|ична)$")


_LEADING_PREPOSITIONS = frozenset(w.casefold() for w in _union("leading_prepositions"))
"""A sentence that opens with a preposition (``À Vilnius, …``, ``В Киеве …``): the capitalised
word is not part of a name."""


def _clean_name(words: list[str]) -> str | None:
    while len(words) > 1 and (
        words[0].lower() in _LEADING_PREPOSITIONS or words[0].casefold() in _all_words("determiners")
    ):
        words = words[1:]  # ``À Vilnius``, ``Ihre Energieexpertin Katrin Vollmer``
    owner = [i for i, w in enumerate(words[:-1]) if re.search(r"['’]s$", w)]
    if owner:
        words = words[owner[-1] + 1 :]  # ``N Korea's Kim``: the owner is not the name
    while (
        words
        and (
            words[0].lower().strip(".") in _STOP
            or words[0].lower().strip(".") in _TITLES
            or words[0].lower() in _PARTICLES
            or _ROLE_NOUN.match(words[0].strip(".,"))
        )
        and len(words) > 1
    ):
        words = words[1:]
    while words and words[-1].lower() in _PARTICLES:
        words = words[:-1]
    if len(words) >= 3 and all(_CYRILLIC.match(w) for w in words) and not any(
        _PATRONYMIC.search(w) for w in words[1:-1]
    ):
        words = words[-2:]  # ``Востоковед Николай Сомов``: a role opening the sentence
    if not words or words[0].lower() in _STOP or (len(words) == 1 and len(words[0]) < 2):
        return None
    return " ".join(words)


_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})


_OBLIQUE_CASES = ("gent", "datv", "ablt", "loct")
"""Cases a speaker's name takes after ``по словам``, ``у``, ``президентки``; the accusative
is left out: a name read as one (``Санду`` as Russian ``Санда``) is far more often an
indeclinable nominative."""


def _parses(word: str, lang: str) -> list[Any]:
    from bot.nlp.pipelines import morph_analyzer  # the matcher's cached analyser

    return list(morph_analyzer(lang).parse(word))


def _is_name_form(parse: Any) -> bool:
    """A reading as one person's first name, surname or patronymic."""
    return bool(_NAME_TAGS & parse.tag.grammemes) and "plur" not in parse.tag.grammemes


@lru_cache(maxsize=4096)
def _nominative_name(name: str, lang: str) -> str:
    words = name.split()
    parses = [_parses(w, lang) for w in words]
    if not any(_is_name_form(p) for ps in parses for p in ps):
        return name
    # the words of a name share a case: the likeliest over all of them (``Маї Санду``
    # genitive because ``Маї`` can only be; ``Нора Примерова`` nominative because ``Нора``
    # can only be; ``Путина`` by its scores); a tie with the nominative keeps the name
    weight: dict[str, float] = {}
    for case in ("nomn", *_OBLIQUE_CASES):
        weight[case] = 1.0
        for ps in parses:
            weight[case] *= 0.01 + sum(p.score for p in ps if p.tag.case == case)
    case = max(weight, key=lambda c: weight[c])
    if case == "nomn":
        return name
    out = []
    for word, ps in zip(words, parses, strict=True):
        same = [
            p for p in ps if _is_name_form(p) and p.tag.case == case and "Fixd" not in p.tag.grammemes
        ]
        nominative = same[0].inflect({"nomn"}) if same else None
        if nominative is None:
            out.append(word)  # not a name form, or indeclinable: as written
        else:
            form = nominative.word
            out.append(form[:1].upper() + form[1:] if word[:1].isupper() else form)
    return " ".join(out)


def _nominative(name: str, lang: str) -> str:
    """A Russian/Ukrainian speaker named in the genitive or dative (``по словам Путина``,
    ``президентки Маї Санду``) shown as the text's person, in the nominative. Only words the
    analyser reads as a first name, surname or patronymic change; the others stay as written."""
    if lang not in ("ru", "uk") or not all(_CYRILLIC.match(w) for w in name.split()):
        return name
    return _nominative_name(name, lang)


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
            if m.group().endswith(".") and len(w) > 2 and w.lower() not in _TITLES:
                break  # the sentence ends here (``Hellwig. Kurski erzielte``); not ``J.``
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


_CAP_WORD = r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]\.|[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’-]*)"
_NAME_RUN = re.compile(
    rf"(?<![\w'’.-]){_CAP_WORD}(?:[ \u00a0]+(?:(?:de|von|van|der|al|bin|da|di|del|la|le)[ \u00a0]+)?"
    rf"{_CAP_WORD})+"
)
_AFTER_PREPOSITION = re.compile(
    r"(?:^|\s)(?:de|del|des|du|d'|of|von|vom|zum|zur|in|im|en|à|au|aux|в|на|из|у|о|для|з|із|до)\s*$",
    re.IGNORECASE,
)
_ROLE_NOUN = re.compile(
    r"(?i)^(?:\w*(?:minister|ministerin|präsident|präsidentin|kanzler|kandidat|chef|chefin|sprecher|"
    r"sprecherin|spieler|trainer|experte|expertin|vorsitzende|botschafter|berater|leiter|direktor|"
    r"analyst|politologe|politologin|einwechselspieler|usbeke|inhaber|gründer|meister|führer|forscher|"
    r"wissenschaftler|historiker|ökonom|autor|kurator|stürmer|verteidiger|torwart|kapitän)\w{0,3}|ministre|président|présidente|"
    r"porte-parole|presidente|ministro|ministra|portavoz|президент|министр|міністр|глава|речник)$"
)
"""Two or more capitalised words in a row: a person's or a body's name, most of the time."""


_NOT_PERSON_WORDS = """
department ministry commission council committee agency office bank group university institute
association union party government administration authority service company corporation court
ministère conseil banque groupe gouvernement agence institut université
ministerium regierung gruppe kommission behörde amt universität schreiben stiftung zentrum
verband foundation fondation fundación centre center centro фонд центр
ministerio gobierno banco grupo comisión consejo agencia instituto universidad
министерство правительство банк банка банком группа группы комиссия совет агентство институт
ведомство служба міністерство уряд група комісія рада агентство інститут
korea corée corea korean states united kingdom russia ukraine
корея кореи корею штаты штати россия россии украина украины росія україна кореї
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december montag dienstag mittwoch donnerstag freitag
samstag sonntag
"""
_NOT_PERSON = frozenset(_NOT_PERSON_WORDS.split())
_OBLIQUE = re.compile(
    r"(?:ской|ском|ському|ської|ной|ому|ему|ого|его|ої|ыми|ими|ами|ями|ии|ії|ске|ську|ом)$", re.IGNORECASE
)
"""Russian/Ukrainian endings of an adjective or place in an oblique case (``Восточной
Пруссии``, ``Витебске``, ``Банком``): the words around a name, not the nominative speaker."""
_ACRONYM = re.compile(r"^[A-ZА-ЯЁІЇЄҐ]{2,}$")


def _person_like(name: str) -> bool:
    """A person's name rather than a body, a country, a date or an oblique-case place."""
    words = name.split()
    if any(w.casefold().strip("'’") in _NOT_PERSON for w in words):
        return False
    if re.search(r"['’]s?$", words[-1]):
        return False  # ``South Korea's spy agency``: the owner of the noun that follows
    if any(_ACRONYM.match(w) for w in words):
        return False
    return not any(_OBLIQUE.search(w) for w in words)


_PREPOSITION_BEFORE = re.compile(
    r"(?:^|\s)(?:de|del|des|du|d'|d’|of|von|vom|zum|zur|in|im|en|à|au|aux|on|at|to|from|with|by|"
    r"für|aus|bei|mit|nach|am|с|со|по|к|от|за|при|в|во|на|из|у|о|об|для|з|із|до|від|про|"
    r"con|por|para|desde|sobre|ante)\s*$",
    re.IGNORECASE,
)


def _runs(s: str) -> list[tuple[int, list[str]]]:
    """Capitalised word runs in ``s`` with their offsets, a leading word that follows a
    preposition dropped (``в Бангкоке Мария Лонг`` -> ``Мария Лонг``)."""
    out: list[tuple[int, list[str]]] = []
    for m in _CAP_RUN.finditer(s):
        words = [w.rstrip(".,") for w in m.group().split()]
        if _PREPOSITION_BEFORE.search(s[max(0, m.start() - 8) : m.start()]):
            words = words[1:]
            while words and words[0].lower() in _PARTICLES:
                words = words[1:]
        while words and _ACRONYM.match(words[0]) and len(words) > 1:
            words = words[1:]
        if words:
            out.append((m.start(), words))
    return out


_CAP_RUN = re.compile(
    rf"(?<![\w'’.-]){_CAP_WORD}(?:[ \u00a0]+(?:(?:de|von|van|von der|van der|al|bin|da|di|del|la|le)"
    rf"[ \u00a0]+)?{_CAP_WORD})*"
)
_ARTICLE_BEFORE = re.compile(
    r"(?:^|\s)(?:der|die|das|den|dem|des|ein|eine|einem|einer|eines|the|a|an)\s+$", re.IGNORECASE
)
_CLAUSE_END = re.compile(r"[.;:!?«»“”„\"(\n]|\s[—–]\s")


def _speaker_after_verb(rest: str) -> str | None:
    """The speaker named after a reporting verb, past role words and an appositive:
    ``curator Ingrid Vahlenkamp``, ``представитель ведомства Андрей Юсов``, ``el comandante
    del buque, el capitán de navío Andrés Lobo``. A name of two or more words that looks like
    a person's is preferred; a single word only when it comes before any other capital."""
    end = _CLAUSE_END.search(rest)
    window = rest[: end.start() if end else 140][:140]
    if _PRONOUN.match(window.lstrip()):
        return None
    single: str | None = None
    for i, (at, words) in enumerate(_runs(window)):
        if len(window[:at].split()) > 8:
            break
        if _ARTICLE_BEFORE.search(window[:at]):
            words = words[1:]  # ``sagte der Machthaber``, ``der Forscher der Stiftung``: nouns
        name = _clean_name(words) if words else None
        if not name or not _person_like(name):
            continue
        if " " in name:
            return name
        if i == 0 and single is None and name[0].isupper():
            single = name
    return single


def _last_name_run(s: str) -> str | None:
    """The last multi-word name in ``s`` (``Mike Pompeo`` in ``US-Außenminister Mike Pompeo
    hatte … gedroht:``) that looks like a person's, leading articles and titles dropped."""
    for at, words in reversed(_runs(s)):
        name = _clean_name(words)
        if name and (" " in name or (at > 0 and len(words) > 1)) and _person_like(name):
            return name
    return None


@dataclass(frozen=True)
class _Attribution:
    speaker: str | None
    named: bool
    """A named main-clause speaker, which later pronouns and roles refer back to."""
    anonymous: bool = False
    """The text says who spoke without naming them (``a senior official said``, ``sagte ein
    Sprecher``, ``업계 관계자는``): no name is shown, and none is borrowed from earlier."""


_ANON = _Attribution(None, False, anonymous=True)


@lru_cache(maxsize=1)
def _agency_re() -> re.Pattern[str]:
    names = sorted(
        {w for code in lexicon_languages() for w in lexicon(code).get("agencies", ())},
        key=len,
        reverse=True,
    )
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w'’-])")


def _agency_at(s: str) -> str | None:
    """A news agency named at the start of ``s``, after lowercase words only (``KCNA``,
    ``the state agency KCNA``, ``l’agence Yonhap``, ``РИА Новости``): agencies speak for
    the outlets that quote them."""
    m = _agency_re().search(s[:80])
    if not m or re.search(r"[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ.,;:!?«»“”„\"]", s[: m.start()]):
        return None
    return m.group().removeprefix("l'")


_ACCORDING_AGENCY = re.compile(
    rf"(?:{_alternation(_union('according_to_agency'))})\s+", re.IGNORECASE
)


def _role_head(head: str) -> bool:
    """``La ministre``, ``the minister``, ``der Kanzler`` right before a reporting verb: a
    role that refers to someone the article named."""
    words = head.split()
    if len(words) < 2 or words[-2].casefold() not in _DEFINITE:
        return False
    last = words[-1].strip(",;:")
    return last.casefold() in _TITLES or bool(_ROLE_NOUN.match(last))


_DEFINITE = frozenset(w.casefold() for w in _union("definite"))
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _anonymous(phrase: str, lang: str) -> bool:
    """``a senior official in Kyiv``, ``ein Manager des Konzerns``, ``un portavoz``,
    ``речник прокуратури``: a speaker described, not named (an indefinite article, or one
    of the language's unnamed-source nouns near the start)."""
    words = [w.casefold() for w in _WORD.findall(phrase[:120])][:6]
    if not words:
        return False
    if words[0] in _words("indefinite", lang):
        return True
    return any(w in _words("anonymous", lang) for w in words[:4])


_OBJECT_BEFORE = re.compile(
    r"(?:^|\s)(?:de|del|des|du|d'|d’|of|von|vom|zum|zur|in|im|en|à|au|aux|at|from|for|by|par|"
    r"avec|with|about|por|con|durch|über|от|від|"
    r"für|aus|bei|mit|nach|в|во|на|из|у|о|для|з|із|до|від|con|por|para|desde|sobre|ante)"
    r"(?:\s+(?:la|le|les|l'|l’|the|der|die|das|dem|den|des|el|los|las))?\s*$",
    re.IGNORECASE,
)
"""A name right after a preposition is the object of the phrase (``le ministre de la
Défense``, ``an official in Kyiv``), not who spoke."""


def _object_name(head: str, name: str) -> bool:
    at = head.rstrip().rfind(name)
    return at >= 0 and bool(_OBJECT_BEFORE.search(head[:at]))


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
    s = re.sub(r"^(?:nos|me|te|le|les|nous|vous|lui|leur|mir|uns)\s+", "", s, flags=re.IGNORECASE)
    if _FR_INVERTED.match(s):
        return _Attribution(None, False)
    m = verb_re.match(s)
    if m:
        rest = s[m.end() :]
        rest = re.sub(r"^\s*(?:hinzu\s*)?[,.]?\s*", " ", rest).lstrip()
        agency = _agency_at(rest)
        if agency:
            return _Attribution(agency, True)  # ``сообщило РИА Новости``
        first = _WORD.match(rest)
        # ``lamentó en redes sociales un antiguo concejal``: a place or channel, then the source
        lead = [w.casefold() for w in _WORD.findall(rest[:60].split(",")[0])][:5]
        if first and (
            first.group().casefold() in _words("indefinite", lang)
            or (
                first.group().casefold() in _LEADING_PREPOSITIONS
                and any(w in _words("indefinite", lang) for w in lead)
            )
        ):
            # ``sagte ein Manager des Konzerns`` (but ``a spokesman, Jan Novak``)
            apposition = re.match(r"^[^.;:,]{0,100},\s*", rest)
            named = _name_at_start(rest[apposition.end() :]) if apposition else None
            if named and " " in named and _person_like(named):
                return _Attribution(named, True)
            return _ANON
        name = _name_at_start(rest)
        if name and _person_like(name):
            return _Attribution(name, True)
        found = _speaker_after_verb(rest)
        if found or name:  # a body right after the verb when no person is named
            return _Attribution(found or name, True)
        role = re.match(r"^[^.;:,]{0,100},\s*", rest)
        if role:
            name = _name_at_start(rest[role.end() :])
            if name:
                return _Attribution(name, True)
        return _ANON if _anonymous(rest, lang) else _Attribution(None, False)
    if _PRONOUN.match(s):
        rest = s[_PRONOUN.match(s).end() :]  # type: ignore[union-attr]
        if verb_re.match(rest.lstrip()):
            return _Attribution(None, False)
    name = _name_at_start(s)
    if name and re.match(
        r"^" + re.escape(name) + r"\s*,[^.!?«»“”\"\n]{1,90}?,\s*" + _verb_source(lang) + r"(?!\w)",
        s,
        re.IGNORECASE,
    ):
        return _Attribution(name, True)
    m = re.match(
        r"^[^.!?«»“”\"\n,]{1,60},\s*([^,.!?«»“”\"\n]{2,60}?)\s*,\s*" + _verb_source(lang) + r"(?!\w)",
        s,
        re.IGNORECASE,
    )
    if m:  # ``the report's author, Lena Marchetti, said``
        name = _name_at_end(m.group(1))
        if name and _person_like(name):
            return _Attribution(name, True)
    m = re.match(r"^((?:[^\s,.;:]+\s+){1,7}?)" + _verb_source(lang) + r"(?!\w)", s, re.IGNORECASE)
    if m:
        agency = _agency_at(m.group(1))
        if agency:
            return _Attribution(agency, True)  # ``the state news agency KCNA reported``
        if _PRONOUN.match(m.group(1).split()[-1]):
            return _Attribution(None, False)  # ``Later she added``: the pronoun is the subject
        name = _name_at_start(m.group(1))
        if not (name and _person_like(name)):
            # ``state agriculture secretary Dale Hemming said``: roles, then the name
            end = _name_at_end(m.group(1))
            if end and _object_name(m.group(1), end):
                end = None  # ``an official in Kyiv said``
            name = end if end and _person_like(end) else name
        if not name and _anonymous(m.group(1), lang):
            return _ANON
        if name:
            return _Attribution(name, True)
        opener = m.group(1).split()[0].casefold()
        if opener in _LEADING_PREPOSITIONS and opener not in _words("indefinite", lang):
            return None  # ``' with Moscow Pyongyang reports``: a new clause, not who spoke
        return _Attribution(None, False)
    return None


_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?])\s+(?=[A-ZА-ЯЁІЇЄҐ«“„\"])|(?<=[a-zа-яёіїєґ]{2}[.!?])(?=[A-ZА-ЯЁІЇЄҐ][a-zа-яёіїєґ])"
    r"|\s--\s+(?=[A-Z])"
)
"""A sentence ends at a full stop before a capital, with or without the space (crawled
text that lost its line breaks: ``… security.After the …``), and a wire digest's items at
`` -- `` (``Kim vows '…' -- South Korea's spy agency calls …``)."""


def _before(before: str, lang: str) -> _Attribution | None:
    if _ACCORDING.search(before[-40:]):
        return None
    sent = _SENTENCE_BREAK.split(before)[-1]
    best: _Attribution | None = None
    weak = False
    for m in _verb_re(lang).finditer(sent):
        head = sent[: m.start()]
        rel = _RELATIVE.search(head)
        if rel:
            name = _name_at_end(head[: rel.start()])
            if name:
                best = _Attribution(name, False)
                continue
        inverted = _name_at_start(sent[m.end() :].lstrip())
        if inverted and re.match(r"^\s*" + re.escape(inverted) + r"\s*:", sent[m.end() :]):
            best = _Attribution(inverted, True)
            continue
        if re.search(r"(?:según|selon|laut)\s*$", head, re.IGNORECASE):
            continue  # ``según dijo Robles``: the according-to rule below
        name = None if head.rstrip().endswith(",") else _name_at_end(head)
        if name and _object_name(head, name):
            name = None  # ``le ministre indien de la Défense a salué``
        if name:
            best, weak = _Attribution(name, True), False
            continue
        run = _last_name_run(head)
        if run and " " in run:  # ``el europarlamentario del PA, Carlos Bautista, ha denunciado``
            best, weak = _Attribution(run, True), True
            continue
        subject = _name_at_start(head.lstrip())
        if (
            subject
            and _person_like(subject)
            and re.match(r"^\s*" + re.escape(subject) + r"\s*,", head)
            and head.rstrip().endswith(",")
        ):  # ``Samaranch, en la despedida de sus últimos Juegos, destacó que …``
            best, weak = _Attribution(subject, True), True
            continue
        if _PRONOUN.search(head.split()[-1] if head.split() else "") or _FR_PRONOUN_END.search(
            head
        ):
            best = _Attribution(None, False)
        elif _anonymous(" ".join(head.split()[-6:]), lang):
            best = _ANON  # ``Ein Sprecher des Ministeriums sagte: „…“``
        elif _role_head(head):
            best = _Attribution(None, False)  # ``La ministre a assuré …``: whom the role names
    if best is None or weak:
        according = _according_anywhere(sent)
        if according:
            return _Attribution(according, True)
    if best is None:
        best = _calling(sent)
    return best


def _calling(sent: str) -> _Attribution | None:
    """``Peng called it a “…”``, ``Kim … calling for “…”``, ``what he called “…”``: whoever
    the sentence names before the verb used the words."""
    found = None
    for m in _CALLING.finditer(sent):
        found = m
    if found is None:
        return None
    head = sent[: found.start()]
    if re.match(r"(?:calling|describing|qualifiant|назвав|назвавши|називаючи|называя)$", found.group(), re.I):
        name = _name_at_start(head.lstrip())  # the sentence's subject
        if not (name and _person_like(name)):
            name = _last_name_run(head)  # ``North Korean leader Kim Jong-un has …, calling``
    else:
        name = _last_name_run(head) or _name_at_end(head.rstrip().rstrip(","))
    if name:
        return _Attribution(name, True)
    words = head.split()[-4:]
    if (
        len(words) > 1
        and any(re.search(r"['’]s?$", w) for w in words[:-1])
        and words[-1].islower()
        and not (_PRONOUN.match(words[-1]) or _role_head(head))
    ):
        return _ANON  # ``South Korea's spy agency calls …``: a body, described, not named
    return _Attribution(None, False)


_ACCORDING_ANY = re.compile(
    r"(?<!\w)(?i:selon|d'après|according to|laut|según(?:\s+(?:dijo|afirmó|explicó))?|по словам|за словами)\s+"
    r"((?:[^\W\d][\w'’.-]*\s+){0,3}?[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*){0,3})"
    r"|(?<![\w'’.-])([A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*(?:\s+[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ][\w'’.-]*){0,3})\s+zufolge"
)


def _according_anywhere(sent: str) -> str | None:
    """``… dem Politikexperten Raphael Bossong zufolge einen „…“``, ``según dijo Robles, …``."""
    found = None
    for m in _ACCORDING_ANY.finditer(sent):
        found = m
    if found is None:
        return None
    words = (found.group(1) or found.group(2)).split()
    while words and not _is_cap(words[0]):
        words = words[1:]
    return _clean_name([w.rstrip(",.") for w in words])


def _according(before: str) -> str | None:
    """``selon X, « … »``, ``Pour la présidente de la région, Sylvie Marchand, « … »``."""
    m = _ACCORDING_BEFORE.search(before)
    if not m:
        return None
    name = _name_at_start(m.group(1))
    if name:
        return name
    end = _name_at_end(m.group(1).rstrip(" ,:"))
    return end if end and " " in end and _person_like(end) else None


_ACCORDING_SOURCE = re.compile(
    rf"(?:^|,)\s*(?:{_alternation(_union('according_to'))})\s+"
    r"(?!(?:lui|elle|eux|elles|him|her|them|ihm|ihr|él|ella|ellos|его|её|ее|их|його|її|їх)(?!\w))\w",
    re.IGNORECASE,
)
"""An according-to phrase opening the quote's sentence or a clause of it: when it names no
one (``Selon des sources militaires, …``, ``…, згідно з французькими військовими, США
«…»``), the source is described, not named, and lends no name. A pronoun (``Pour elle``)
is someone named before."""

_ACCORDING_BEFORE = re.compile(
    rf"(?<!\w)(?:{_alternation(_union('according_to'))})\s+(.{{2,60}}?)[,:]?\s*$", re.IGNORECASE
)


_KO_QUOTATIVE = re.compile(r"^\s*(?:이?라|하|다|냐|자)?(?:고|며|면서)(?=[\s“\"‘,.]|$)")
_KO_LEADING = re.compile(r"^(?:(?:이날|한편|앞서|또|또한|이어|특히|다만|그러면서|당시|이후)\s+)+")
_KO_TITLES = (
    "국무위원장|위원장|대통령|부총리|총리|장관|국방장관|외무상|외교부장|부의장|의장|대변인|국장|"
    "청장|사장|대표|대사|대리대사|참사관|공사|영사|교수|팀장|기자|사령관|의원|차관|실장|비서실장|특사|총장|회장"
)
_KO_TITLE_END = re.compile(rf"(?:\s+(?:전|현|前)?\s*(?:{_KO_TITLES}|[A-Z]{{2,}}))+$")
_KO_PRONOUNS = frozenset({"그", "그녀", "그는", "이들", "그들"})


def _korean_country_role(subject: str) -> tuple[str, str] | None:
    """``폴란드 국방장관`` -> (``폴란드``, ``장관``): a country's title-holder, not a name."""
    titled = _KO_LEADING.sub("", subject.strip())
    name = _KO_TITLE_END.sub("", titled).strip()
    if name == titled or name not in _words("countries", "ko"):
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
    r"(?:^|\s)(?:이날|한편|앞서|또|또한|이어|특히|다만|당시|이후|지난주|지난달|지난해|올해|최근|오늘|어제|현재)(?:\s|$)"
    r"|(?:은|는|을|를|에|의|와|과|도|로|에서)(?:\s|$)"
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


_KO_BODY_END = re.compile(
    r"(?:부|청|처|노조|협회|업계|공단|위원회|당국|정부|본부|재단|연구원|연구소|사무국|조합|회사|업체)$"
)


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
    if words[0] in _words("indefinite", "ko") or any(
        words[-1].startswith(w) for w in _words("anonymous", "ko")
    ):
        return True
    name = _KO_TITLE_END.sub("", titled).strip()
    if name != titled and _KO_BODY_END.search(name):
        return True  # a body's title-holder, unnamed
    role = re.fullmatch(rf"([가-힣]*?)(?:{_KO_TITLES})", words[-1])
    return len(words) == 1 and role is not None and len(role.group(1)) != 1


def _korean(sentence_before: str, after: str, before: str) -> _Attribution | None:
    """``김 장관은 “…”라고 말했다``: the subject (은/는/이/가) of the quoting sentence;
    ``[김영식/… 팀장 : “…”]`` in a broadcast transcript."""
    slash = re.search(r"([가-힣A-Za-z]{2,}(?:\s[가-힣A-Za-z]{2,})?)\s*/[^:\]\n/]{0,80}:\s*$", sentence_before)
    if slash:
        return _Attribution(slash.group(1), True)
    m = _KO_AFTER.match(after)
    if not m and not _KO_QUOTATIVE.match(after):
        return None
    if m and m.group(1):
        if _korean_anonymous(m.group(1), before):
            return _ANON
        name = _korean_name(m.group(1), before)
        if name:
            return _Attribution(name, True)
    first = _KO_SUBJECT.search(sentence_before)
    for subject in [first.group(1)] if first else []:
        if _korean_anonymous(subject, before):
            return _ANON
        name = _korean_name(subject, before)
        if name:
            return _Attribution(name, True)
        if _KO_LEADING.sub("", subject.strip()) in _KO_PRONOUNS:
            named = _korean_antecedent(before[: len(before) - len(sentence_before)])
            if named:
                return _Attribution(named, True)
    return _Attribution(None, False)


_KO_ACCORDING = re.compile(r"((?:[^\s.,“”\"]+\s+){0,3}?[^\s.,“”\"]+?)에 따르면")
_KO_QUOTED = re.compile(r"[”\"]\s*(?:이?라|하)?고\s")
_KO_OUTLET = re.compile(r"(?:통신|신문|일보|방송|언론|매체)$")
_KO_REPORTED_END = re.compile(r"(?:말했|밝혔|증언했|전했|설명했|강조했|주장했|덧붙였|보도했|고\s+했)다\s*[.]?\s*$")


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


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_BEFORE_OPEN = "：，。、；！？（"
"""Japanese and Chinese set a quotation mark right after a character or a full-width
colon or comma (``称美日韩联合军演“是…”``, ``他说：“…”``), never after a space."""


@lru_cache(maxsize=4)
def _cjk_grammar(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """``lang``'s reporting verb after the quote (Japanese ``」と述べた``) or before it
    (Chinese ``表示：“``, ``称“``), and its titles at the end of a subject (``外相``, ``总统``)."""
    verbs = _alternation(lexicon(lang).get("reporting_verbs", ()))
    titles = _alternation(tuple(sorted(lexicon(lang).get("titles", ()), key=len, reverse=True)))
    if lang == "ja":
        verb = re.compile(rf"^[』」]?\s*(?:と|とも|などと)(?:[^。「」]{{0,12}}?)(?:{verbs})")
    else:
        verb = re.compile(rf"(?:{verbs})[^，。：“”「」]{{0,20}}?[：:，,]?\s*$")
    title = re.compile(rf"(?:{titles})$")
    agency = re.compile(
        rf"(?:{_alternation(lexicon(lang).get('agencies', ()))})"
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
        phrase = re.sub(r"^(?:また|一方|さらに|その上で|ただ)", "", phrase)
        if phrase in _words("pronouns", "ja"):
            return None, False  # ``同氏は``: the person named before
        if phrase in lexicon("ja").get("agencies", ()):
            return phrase, True  # ``朝鮮中央通信は…と報じた``
        t = title.search(phrase)
        name = phrase[: t.start()] if t else ""
        return (name if len(name) >= 2 else None), True
    clause = re.split(r"[，,]", re.sub(r"^据[^，,]{1,20}(?:报道|消息)[，,]", "", sentence), maxsplit=1)[0]
    lead = re.match(r"[^\d在于对向和与\s]{2,24}", clause)
    if not lead:
        return None, False
    phrase = lead.group()
    if phrase in _words("pronouns", "zh") or phrase[:1] in _words("pronouns", "zh"):
        return None, False  # ``他说``: the person named before
    verbs = lexicon(lang).get("reporting_verbs", ())
    phrase = re.sub(rf"(?:{_alternation(verbs)}).*$", "", phrase)
    if phrase in lexicon("zh").get("agencies", ()):
        return phrase, True  # ``朝中社称``
    found = list(re.finditer(title.pattern.removesuffix("$"), phrase))
    name = phrase[found[-1].end() :] if found else ""
    return (name if len(name) >= 2 else None), True  # ``外务相崔善姬``: the name after the title


def _cjk(para: str, start: int, close_end: int, before_all: str, lang: str) -> _Attribution | None:
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
            return _Attribution(name, True)
        if has_subject and i == 0:
            return _ANON  # the quote's own subject is a body or an unnamed role
    cited = agency.search(before_all[-300:])
    return _Attribution(cited.group(), True) if cited else _ANON


_SENTENCE_ENDED = re.compile(r"\s*[.!?]\s+(?![—–-])")
_CJK_LANGS = frozenset({"ja", "zh"})
_NO_SPACE_LANGS = frozenset({"ja", "zh", "ko"})
"""Languages whose speakers are read by their own grammar (particles, titles after names),
not by runs of capitalised words."""

_ROLE_AFTER = re.compile(r"^[\s,.!?…;:]*(?:[—–]|--?)?\s*\w+\s+(?:the\s+|le\s+|la\s+|l'|el\s+|der\s+|die\s+)?([^\W\d_]{3,})")


class _NameIndex:
    """Every run of capitalised words of a document, found once, looked up by word: naming
    a speaker then costs the few runs that share a word with it, not a scan of the text
    before every quote."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs: list[tuple[int, int, tuple[str, ...]]] = []
        self.by_last: dict[str, list[int]] = {}
        self.by_first: dict[str, list[int]] = {}
        self.by_word: dict[str, list[int]] = {}
        for m in _NAME_RUN.finditer(text):
            words = tuple(w.rstrip(".,") for w in m.group().split())
            i = len(self.runs)
            self.runs.append((m.start(), m.end(), words))
            for key in {words[-1], words[-1].split("-")[-1]}:
                self.by_last.setdefault(key, []).append(i)
            self.by_first.setdefault(words[0], []).append(i)
            for key in {w.casefold() for w in words}:
                self.by_word.setdefault(key, []).append(i)

    def near(self, ids: list[int] | None, pos: int) -> list[int]:
        """The runs of ``ids`` that lie in the ``CONTEXT`` characters before ``pos``."""
        if not ids:
            return []
        lo = bisect_left(ids, pos - CONTEXT, key=lambda i: self.runs[i][0])
        hi = bisect_left(ids, pos, key=lambda i: self.runs[i][0])
        return [i for i in ids[lo:hi] if self.runs[i][1] <= pos]


@lru_cache(maxsize=4096)
def _clean_run(words: tuple[str, ...]) -> str | None:
    return _clean_name(list(words))


def _expand(name: str, names: _NameIndex, pos: int) -> str:
    """A surname (or initial and surname) said in full earlier: ``Isabaev`` -> ``Umid
    Isabaev``, ``Д. Рассел`` -> ``Дэниел Рассел``, ``Unionskanzlerkandidat Merz`` ->
    ``Friedrich Merz``, ``Howard`` -> ``Howard X``: the full mention that ends with the same
    surname (or starts with a lone first name) and looks like a person's; the most frequent,
    then the shortest (``Münchner Sicherheitskonferenz Selenskyj`` is a run of capitals, not
    a name), then the first. Only the ``CONTEXT`` characters before ``pos`` are read."""
    last = name.split()[-1].rstrip(".")
    ids = set(names.near(names.by_last.get(last), pos))
    if " " not in name:
        ids.update(names.near(names.by_first.get(name), pos))
    best: tuple[int, int, int, int] | None = None
    found = name
    counts: dict[str, int] = {}
    for i in sorted(ids):
        words = names.runs[i][2]
        by_surname = last in (words[-1], words[-1].split("-")[-1])
        if len(words) < 2 or not (by_surname or (" " not in name and words[0] == name)):
            continue
        full = _clean_run(words)
        if not full or " " not in full or full == name or not _person_like(full):
            continue
        if full not in counts:
            counts[full] = names.text.count(full, max(0, pos - CONTEXT), pos)
        key = (0 if by_surname else 1, -counts[full], len(full.split()), i)
        if best is None or key < best:
            best, found = key, full
    return found


def _paragraph_subject(para_before: str, names: _NameIndex, pos: int) -> str | None:
    """The person a pronoun or a bare verb refers to: the latest sentence of the paragraph
    that opens with a name as its subject (``Auch Howard, gebürtiger Australier, hofft …:
    „…“, sagt er``; ``Knight mostró … "…", dijo``). A single word counts only when the
    article gives it in full somewhere (German capitalises every noun)."""
    for sent in reversed(re.split(r"(?<=[.!?])\s+", para_before.strip())[-3:]):
        name = _name_at_start(sent)
        if not name or not _person_like(name):
            continue
        tail = sent[sent.find(name) + len(name) :]
        if not re.match(r"^(?:\s*,|\s+[^\W\d_A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ])", tail):
            continue
        full = _expand(name, names, pos)
        if " " in full:
            return full
    return None


_LOWER_WORD = re.compile(r"[\w'’-]+")


def lowercase_words(text: str) -> frozenset[str]:
    """The words ``text`` writes in lowercase somewhere, found once per document (searching
    the whole text again for every quote made the extractor quadratic)."""
    return frozenset(w for w in _LOWER_WORD.findall(text) if w.islower())


def common_nouns(text: str, lang: str) -> frozenset[str]:
    """Capitalised words ``text`` puts after a determiner (``die Beziehungen``, ``ihr
    Sprecher``), for languages that capitalise every noun (their lexicon lists
    ``determiners``): such a word alone is a noun, never a speaker's name."""
    determiners = _words("determiners", lang)
    if not determiners or lang not in lexicon_languages():
        return frozenset()
    found = re.findall(r"(?<![\w'’-])(\w+)\s+(?:[^\W\d_]+\s+){0,2}?([A-ZÄÖÜ][\w-]*)", text)
    return frozenset(noun for det, noun in found if det.casefold() in determiners)


def _not_a_name(name: str, nouns: frozenset[str]) -> bool:
    """A speaker of one word that is a common noun of the text (German capitals) or a role
    or unnamed-source word of any language (``Sprecher``, ``Einwechselspieler``)."""
    if " " in name:
        return False
    word = name.casefold()
    return name in nouns or word in _all_words("anonymous") or bool(_ROLE_NOUN.match(name))


def _reported_speaker(sent: str, lang: str, names: _NameIndex, pos: int) -> str | None:
    """The speaker of reported speech in ``sent``: an attribution that ends it (``…, заявив
    представник розвідки Андрій Юсов.``) or a name before ``said that`` (``Lee said that``,
    ``X a affirmé que``): whom a following ``he said`` most likely means."""
    conjunctions = _words("reported_speech", lang)
    for m in _verb_re(lang).finditer(sent):
        head, rest = sent[: m.start()].rstrip(), sent[m.end() :]
        if head.endswith((",", "—", "–")):
            name = _speaker_after_verb(rest)
            ends = name is not None and name in rest and not rest[rest.find(name) + len(name) :].strip(" .!?;")
            if ends and name and " " in name and _person_like(name):
                return name
        first = _WORD.match(rest.lstrip())
        if first and first.group().casefold() in conjunctions:
            name = _name_at_end(head)
            if name and not _object_name(head, name):
                full = _expand(name, names, pos)
                if " " in full and _person_like(full):
                    return full
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
"""Where the rest of a quote's sentence ends, in the text after its closing mark."""


def _reported_mood(sentence: str, lang: str) -> bool:
    """A sentence in the mood of reported speech (German ``Ziel sei``, ``es gebe``): its
    words are someone's, told by the paper."""
    mood = _words("reported_mood", lang)
    return bool(mood) and any(w.casefold() in mood for w in _WORD.findall(sentence))


REPORTED_SENTENCES = 4
REPORTED_CHARS = 900
"""Sentences (at most this many characters) read back from an unattributed quote for the
attribution of the reported speech it continues."""


_INVERTED_PRONOUN = re.compile(r"\w-(?:t-)?(?:il|elle|ils|elles|on)(?!\w)", re.IGNORECASE)


def _continues_reported(before: str, quoted: str, after: str, lang: str) -> bool:
    """A quote with no attribution that can only be the voice of the reported speech
    around it: a statement standing as its own sentence (``„Sie kann sich … durchsetzen“,
    wie aktuell Polen …``), or any quote in a German sentence in the subjunctive (``Ziel
    sei, Russland zu „destabilisieren“``). Not a quote inside a sentence about someone
    else (``Papa закликає до «…»``), and not one whose sentence goes on to an attribution
    the rules do not read (``", est-il précisé dans le communiqué``)."""
    head = re.split(r"(?<=[.!?])\s+|\n", before)[-1]
    rest = _SENTENCE_END.split(after, 1)[0]
    if _verb_re(lang).search(rest) or _INVERTED_PRONOUN.search(rest):
        return False
    if _reported_mood(head + " " + rest, lang):
        return True
    return not head.strip() and not _fragment(quoted)


_ROLES = frozenset(w.casefold() for w in _union("roles"))
"""Offices a name keeps (``Папа Франциск``, ``King Charles``): not stripped like a title, but
a role when one opens a sentence as its subject."""


def _role_subject(before: str) -> str | None:
    """``Папа закликає до «…»``, ``El presidente del COI expresó que … "…"``: the role that
    opens the quote's sentence as its subject, if one does."""
    head = re.split(r"(?<=[.!?])\s+|\n", before)[-1].strip()
    words = _WORD.findall(head)[:2]
    if words and words[0].casefold() in _DEFINITE and len(words) > 1:
        words = words[1:]
    if words and head[:1].isupper() and (
        words[0].casefold() in _TITLES or words[0].casefold() in _ROLES or _ROLE_NOUN.match(words[0])
    ):
        return words[0]
    return None


def _role_fits(role: str, name: str, names: _NameIndex, pos: int) -> bool:
    """The article introduced ``name`` with ``role`` (``el presidente del COI, el español
    Juan Antonio Samaranch``): the role then refers to that speaker, not to someone new.
    Only the runs that end with the surname are looked at, and 80 characters before each."""
    last = name.split()[-1]
    role_re = re.compile(rf"(?<!\w){re.escape(role)}(?!\w)", re.IGNORECASE)
    return any(
        role_re.search(names.text, max(0, names.runs[i][0] - 80), names.runs[i][1])
        for i in names.near(names.by_last.get(last), pos)[-8:]
    )


def _reported_voice(before: str, lang: str, names: _NameIndex, pos: int) -> str | None:
    """Who is speaking in the reported speech a quote with no attribution of its own
    continues: ``…, urteilte Bossong. Offenbar gebe es eine „…“``, ``Der Präsident hat
    erklärt, … Ziel sei, Russland zu „destabilisieren“``. The nearest of the few sentences
    before it that has a reporting verb decides: the person named as that verb's subject,
    in full as the article gives it, or no one (an unnamed source, a pronoun)."""
    sentences = re.split(r"(?<=[.!?])\s+|\n", before[-REPORTED_CHARS:].strip())[:-1]
    for sent in reversed([s for s in sentences if s.strip()][-REPORTED_SENTENCES:]):
        verbs = list(_verb_re(lang).finditer(sent))
        if not verbs:
            continue
        m = verbs[0]
        head = sent[: m.start()].rstrip()
        name: str | None = None
        if head.endswith((",", "—", "–")):  # ``…, urteilte Bossong.``
            found = _after_at(sent[m.start() :], lang)
            name = found.speaker if found else None
        else:  # ``Der ukrainische Präsident Selenskyj hat erklärt, …``
            name = _subject_before(head, lang)
        if not name:
            return None
        full = _expand(name, names, pos)
        return full if " " in full and _person_like(full) else None
    return None


def _subject_before(head: str, lang: str) -> str | None:
    """The person's name nearest before a verb that no preposition or article governs
    (``Der ukrainische Präsident Selenskyj hat``), or None when that nearest name is a
    body or a place: an older name further back is not the subject."""
    if _PRONOUN.search(head.split()[-1] if head.split() else ""):
        return None
    for at, words in reversed(_runs(head)):
        lead = head[max(0, at - 8) : at]
        prev = lead.split()[-1].casefold() if lead.split() else ""
        if _PREPOSITION_BEFORE.search(lead) or _ARTICLE_BEFORE.search(lead) or prev in _DEFINITE:
            continue
        name = _clean_name(words)
        if not name or _ACRONYM.match(name):
            continue
        if _person_like(name) and not _OBLIQUE.search(name) and _can_be_subject(name, lang):
            return name
        return None
    return None


def _subject_of_reported(sent: str, lang: str) -> str | None:
    """``Макрон выступил … и сказал, что пришло время «…»``: a quote inside reported speech
    belongs to the subject of the reporting verb, the nearest person's name before it that
    no preposition governs and no oblique ending marks as an object."""
    conjunctions = _words("reported_speech", lang)
    verbs = list(_verb_re(lang).finditer(sent))
    for m in reversed(verbs):
        first = _WORD.match(sent[m.end() :].lstrip(" ,"))
        if not first or first.group().casefold() not in conjunctions:
            continue
        head = sent[: m.start()]
        for at, words in reversed(_runs(head)):
            lead = head[max(0, at - 8) : at]
            prev = lead.split()[-1].casefold() if lead.split() else ""
            if _PREPOSITION_BEFORE.search(lead) or _ARTICLE_BEFORE.search(lead) or prev in _DEFINITE:
                continue  # ``с премьер-министром Греции``, ``the Greek prime minister``
            name = _clean_name(words)
            if name and _person_like(name) and not _OBLIQUE.search(name) and _can_be_subject(name, lang):
                return name
        return None
    return None


def _can_be_subject(name: str, lang: str) -> bool:
    """A Russian or Ukrainian name the analyser can read in the nominative: ``Афінам``
    (dative, ``продаж Афінам``) or ``Канберру`` (accusative) is an object, never who spoke."""
    if lang not in ("ru", "uk") or not all(_CYRILLIC.match(w) for w in name.split()):
        return True
    parses = _parses(name.split()[-1], lang)
    return not parses or any(p.tag.case == "nomn" or p.tag.case is None for p in parses)


def _recent_subject(
    before: str, nouns: frozenset[str], lang: str, names: _NameIndex, pos: int
) -> str | None:
    """Whom a pronoun speaker (``he said``, ``écrit-elle``) refers to: the subject of the
    latest sentence, in the last few before the quote, that has a person's full name as its
    subject (``Chief executive Melissa Hart said …``, ``…, l'historienne Anne Delorme
    revient …``), rather than the last name said anywhere (a place, a body, an object)."""
    articles = _words("definite", lang) | _words("indefinite", lang)
    sentences = re.split(r"(?<=[.!?:])\s+", before[-1500:].strip())
    for sent in reversed(sentences[-4:]):
        reported = _reported_speaker(sent, lang, names, pos)
        if reported:
            return reported
        for at, words in _runs(sent):
            if len(sent[:at].split()) > 20:
                break
            tail = sent[at + len(" ".join(words)) :]
            if (
                _OBJECT_BEFORE.search(sent[:at])
                or _ARTICLE_BEFORE.search(sent[:at])
                or re.search(r"['’]s?$", words[-1])  # ``South Korea's foreign minister``
                or any(w in nouns for w in words)
            ):
                continue
            if not re.match(r"^[\s,]*(?:[^\W\d_A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]|,)", tail):
                continue
            after = _WORD.match(tail.lstrip(" ,"))
            if tail.lstrip().startswith(",") and after and after.group().casefold() in articles:
                continue  # ``about his coach, Marta Lindqvist, the 24-year-old was``
            name = _clean_name(words)
            if name and " " in name and _person_like(name):
                return name
    return None


def _trim_common(name: str, lowercase: frozenset[str]) -> str | None:
    """Drop a sentence-initial word the text also uses in lowercase (``Auch Howard`` ->
    ``Howard``; ``Nach`` alone -> nothing): capitals that only start a sentence."""
    words = name.split()
    while words and words[0].lower() in lowercase:
        words = words[1:]
    return " ".join(words) or None


def _role_named(role: str, names: _NameIndex, pos: int) -> str | None:
    """``сказав папа`` -> ``Папа Франциск`` when the article named him with that word."""
    key = role.casefold()
    for i in reversed(names.near(names.by_word.get(key), pos)):
        words = names.runs[i][2]
        rest = [w for w in words if w.casefold() != key and w.lower() not in _STOP]
        if rest:
            return _clean_run(words)
        # ``Губернатор области Андрей Полозов``: the role, a few words, then the name
        if i + 1 < len(names.runs) and names.runs[i + 1][0] - names.runs[i][1] <= 40:
            name = _clean_run(names.runs[i + 1][2])
            if name and " " in name and _person_like(name) and names.runs[i + 1][1] <= pos:
                return name
        return None
    # ``Губернатор области Андрей Полозов`` (the role is not part of a run of capitals)
    if key not in _TITLES and not _ROLE_NOUN.match(role):
        return None  # ``nous assure``: a verb, not a role
    window_start = max(0, pos - CONTEXT)
    mentions = list(
        re.finditer(rf"(?<!\w){re.escape(role)}(?!\w)", names.text[window_start:pos], re.I)
    )
    for found in reversed(mentions[-8:]):
        after_role = window_start + found.end()
        i = bisect_left(names.runs, after_role, key=lambda r: r[0])
        if i < len(names.runs) and names.runs[i][0] - after_role <= 40 and names.runs[i][1] <= pos:
            name = _clean_run(names.runs[i][2])
            if name and " " in name and _person_like(name):
                return name
    return None


_UNOPENED = re.compile(
    r"^\s*+(?P<q>[^«»“”\"„]{12,}?)"
    r"(?:[\"»”]\s*,?\s*(?=(?:[—–]|--?)?\s*\w)|,\s*(?=(?:[—–]|--?)\s*\w))"
)
"""Speech whose opening mark is missing: its closing mark, or a comma and a dash, then the
attribution (a comma alone is any sentence: ``…, сообщает ТАСС`` is reported speech)."""


def _unopened(para: str, lang: str) -> _Raw | None:
    """A paragraph of speech whose opening mark was lost or never used: ``…, - сказал
    понтифик``; ``… ", dit-elle.``"""
    if not para.strip() or any(c in para for c in "«“„"):
        return None
    m = _UNOPENED.match(para)
    if not m:
        return _unmarked_first_person(para, lang)
    tail = re.sub(r"^[\"»”]", "", para[m.end("q") : m.end("q") + 200])  # the lone closing mark
    if not (_after(tail, lang) or _FR_INVERTED.match(re.sub(r"^[\s,\"»”—–-]*", "", tail))):
        return None
    return _Raw(m.start("q"), m.end("q"), m.end("q") + 1)


_UNMARKED = re.compile(r"^\s*(?P<q>\S[^\n]{20,}?),\s+(?P<attr>[^,.!?«»“”\"\n]{2,60}[.!]?)\s*$")
_FIRST_PERSON_SPLIT = re.compile(r"['’]")


def _first_person(speech: str, lang: str) -> bool:
    """Words of the speaker's own (``J'ai trouvé``, ``we``, ``мы``): reported speech is told
    in the third person, so a first person outside quotation marks is someone's own words."""
    words = _words("first_person", lang)
    for token in _WORD.findall(speech):
        if len(token) > 1 and token.isupper():
            continue  # ``US``, ``MI``: an abbreviation
        if _FIRST_PERSON_SPLIT.split(token.casefold())[0] in words:
            return True
    return False


def _unmarked_first_person(para: str, lang: str) -> _Raw | None:
    """``J'ai trouvé que c'était insultant, …, dit-elle.``: a paragraph of speech in the
    first person with no quotation marks at all, closed by an attribution after its last
    comma (an inverted ``dit-elle``, ``said Hamilton``, ``сказал он``)."""
    m = _UNMARKED.match(para)
    if not m or len(m.group("q").split()) < 5:
        return None
    attr = m.group("attr")
    if not (_FR_INVERTED.match(attr) or _after_at(attr, lang)):
        return None
    if not _first_person(m.group("q"), lang):
        return None
    return _Raw(m.start("q"), m.end("q"), m.end("q"))


@lru_cache(maxsize=32)
def _incise_re(lang: str) -> re.Pattern[str]:
    who = r"(?:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ]|(?:he|she|il|elle|er|sie|él|ella|он|она|він|вона)(?!\w))"
    return re.compile(
        rf"(?P<cut>[,.!?…]?\s*(?:[—–]|,))\s*"
        rf"(?P<attr>(?<!\w){_verb_source(lang)}(?:(?:-t)?-(?:il|elle|ils|elles|on))?(?!\w)"
        rf"(?:\s+{who}[^,—–.!?«»“”„\"]{{0,80}}?)?)"
        rf"\s*(?:[,.]?\s*[—–]\s*,?|,)\s*(?=\w)",
        re.IGNORECASE,
    )


def _split_incise(para: str, raw: _Raw, lang: str) -> list[_Raw]:
    """One pair of marks around two pieces of speech and the attribution between them."""
    body = para[raw.start : raw.end]
    for m in _incise_re(lang).finditer(body):
        attr = m.group("attr")
        if not re.search(r"\s\S|-(?:t-)?(?:il|elle|ils|elles|on)$", attr):
            continue  # a verb with no one named after it: a sentence of the quote
        if not WORD_RE.search(body[: m.start()]):
            continue
        cut = raw.start + m.start() + (1 if body[m.start()] in ".!?…" else 0)
        second = raw.start + m.end()
        return [
            replace(raw, end=cut, close_end=cut, incise=attr),
            replace(raw, start=second, incise=attr),
        ]
    return [raw]


@lru_cache(maxsize=32)
def _incise_between(lang: str) -> re.Pattern[str]:
    """The text between two quotes that is only an attribution set off by commas or dashes
    (``, sagte er, ``, ``, — добавил он, — ``)."""
    return re.compile(
        rf"^\s*[,.]?\s*[—–]?\s*(?:\S+\s+){{0,2}}?(?<!\w){_verb_source(lang)}(?!\w)"
        rf"[^.!?«»“”„\"]{{0,40}}?[,.]?\s*[—–]?\s*$",
        re.IGNORECASE,
    )


@lru_cache(maxsize=32)
def _according_pronoun(lang: str) -> re.Pattern[str]:
    phrases = lexicon(lang).get("according_to_pronoun") or _union("according_to_pronoun")
    return re.compile(rf"(?<!\w)(?:{_alternation(tuple(map(re.escape, phrases)))})(?!\w)", re.I)


def _title_like(quoted: str) -> bool:
    """``« Le Courrier du Val »``, ``“Sunday Pitch”``: a name of a few capitalised words."""
    words = quoted.split()
    return len(words) <= 6 and all(
        w[:1].isupper() or w.lower() in _PARTICLES or w.lower() in _STOP for w in words
    ) and not quoted.rstrip().endswith((".", "!", "?", "…"))


def _fragment(quoted: str) -> bool:
    """A word or three in quotation marks (« intelligente », a newspaper's or a pipeline's
    name): a scare quote or a title, which is nobody's statement unless the sentence
    attributes it (``what he called “…”``)."""
    words = quoted.split()
    if len(words) < 4 and len(quoted) < 25:
        return True
    return _title_like(quoted)


def extract_quotes(text: str, language: str) -> tuple[Quote, ...]:
    """Quoted wording in ``text``, in order, with offsets and speakers where named.

    Besides paired marks: dash-introduced speech, a paragraph introduced by a colon
    (``… den Firmen gedroht:`` + the statement), and speech whose opening mark is missing
    but whose attribution is there. A pronoun, a role (``the minister``) or an attribution-
    less quote right after a named one takes the last named speaker; a surname alone is
    completed from the article (``Isabaev`` -> ``Umid Isabaev``).
    """
    quotes: list[Quote] = []
    lowercase = lowercase_words(text)
    nouns = common_nouns(text, language)
    names = _NameIndex(text)
    running_on: list[int] = []  # quotes whose attribution comes in a later paragraph
    last_named: str | None = None
    last_at = -10_000
    offset = 0
    prev_para = ""
    interviewee: str | None = None
    interview_checked = False
    after_question = False
    for para in text.split("\n"):
        raws = _pairs(para)
        dash = _dash_speech(para)
        question = bool(dash) and para.rstrip().endswith("?")
        if question and not interview_checked:
            # an interview: the questions are the paper's, the answers the guest's, who is
            # named in the introduction
            interviewee = _last_name_run(text[max(0, offset - CONTEXT) : offset])
            interview_checked = True
        if dash and not any(r.start < dash.end and dash.start < r.end for r in raws):
            raws.insert(0, dash)
        colon = False
        if not raws:
            unopened = _unopened(para, language)
            if unopened:
                raws = [unopened]
            elif prev_para.rstrip().endswith(":") and len(WORD_RE.findall(para)) >= 3:
                raws = [_Raw(len(para) - len(para.lstrip()), len(para.rstrip()), len(para))]
                colon = True
        if language not in _NO_SPACE_LANGS:
            raws = [part for raw in raws for part in _split_incise(para, raw, language)]
        prev_end = 0
        prev_speaker: str | None = None
        for raw in raws:
            body = para[raw.start : raw.end]
            lead = len(body) - len(body.lstrip())
            stripped = body.strip().rstrip(",")
            if len(WORD_RE.findall(stripped)) < MIN_WORDS:
                prev_end = raw.close_end
                continue
            start = offset + raw.start + lead
            at = offset + raw.start
            before_all = text[max(0, at - CONTEXT) : at]
            before = para[max(prev_end, raw.start - 1 - LEAD) : max(raw.start - 1, prev_end)]
            after = para[raw.close_end : raw.close_end + 160]
            attr: _Attribution | None
            if raw.incise:
                attr = _after(raw.incise, language)
            elif prev_end and prev_speaker and _incise_between(language).match(before):
                # ``„…“, sagte er, „…“``: the words between the two parts name no one else
                attr = _Attribution(prev_speaker, False)
            elif colon:
                intro = re.split(r"(?<=[.!?])\s+", prev_para.strip())[-1]
                name = _last_name_run(intro)
                if name:
                    attr = _Attribution(name, True)
                else:
                    attr = _ANON if _anonymous(intro, language) else _Attribution(None, False)
            elif language in _CJK_LANGS:
                attr = _cjk(para, raw.start, raw.close_end, before_all, language)
            elif language == "ko":
                lead_in = para[max(0, raw.start - 1 - LEAD) : max(raw.start - 1, 0)]
                sentence = re.split(r"(?<=[.!?])", lead_in)[-1]
                attr = _korean(
                    re.sub(r"[“”\"‘’][^“”\"‘’]*[“”\"‘’]", " ", sentence),
                    after,
                    before_all,
                )
            else:
                # ``«…». Центральна комісія повідомила``: the sentence ended at the mark, so the
                # next sentence's verb and subject are not this quote's attribution
                ended = _SENTENCE_ENDED.match(after)
                attr = (None if ended else _after(after, language)) or _before(before, language)
                if attr is None:
                    sent = re.split(r"(?<=[.!?])\s+", before)[-1]
                    if _according_pronoun(language).search(sent):
                        attr = _Attribution(None, False)  # ``По его словам, … «…»``
                    cited = _ACCORDING_AGENCY.search(sent)
                    name = (
                        (_agency_at(sent[cited.end() :]) if cited else None)
                        or _according(before)
                        or _according_anywhere(sent)
                    )
                    if not name and sent.rstrip().endswith(":"):
                        # ``… mit einem Vorschlag: „…“``; ``X … portray it as a “…”``
                        name = _name_at_start(sent.lstrip())
                        if not name and _PRONOUN.match(sent.lstrip()) or re.search(
                            r"(?<!\w)(?:er|sie|he|she|il|elle|él|ella|он|она|він|вона)\s+\w+\s", sent
                        ) and sent.rstrip().endswith(":"):
                            attr = _Attribution(None, False)
                    if not name and attr is None:
                        name = _subject_of_reported(sent, language)
                    if not name and attr is None and _ACCORDING_SOURCE.search(sent):
                        attr = _ANON  # ``згідно з французькими військовими, США «…»``
                    if name:
                        attr = _Attribution(name, True)
                if attr is None and _continues_reported(before, stripped, after, language):
                    name = _reported_voice(before_all, language, names, at)
                    if name:
                        attr = _Attribution(name, True)
            speaker: str | None = None
            if attr is not None and attr.speaker and language not in _NO_SPACE_LANGS:
                trimmed = _trim_common(attr.speaker, lowercase)
                full = _expand(_nominative(trimmed, language), names, at) if trimmed else None
                if full and _not_a_name(full, nouns):
                    # ``sagte ihr Sprecher``, ``sagte der Einwechselspieler``, ``Die Beziehungen``
                    if full.casefold() in _all_words("anonymous"):
                        attr = _ANON
                    elif _ROLE_NOUN.match(full):
                        attr = _Attribution(None, False)  # a role: whom it names, below
                    else:
                        attr = None
                else:
                    attr = _Attribution(full, attr.named)
            if attr is not None and attr.speaker:
                speaker = attr.speaker
                if attr.named:
                    last_named, last_at = speaker, start
            elif attr is not None and attr.anonymous:
                last_named, last_at = None, start  # a new, unnamed voice
            elif attr is not None:  # a pronoun or a role
                role = _ROLE_AFTER.match(raw.incise or after)
                named = (
                    _role_named(role.group(1), names, at)
                    if role and language not in _NO_SPACE_LANGS
                    else None
                )
                subject = (
                    _paragraph_subject(para[max(0, raw.start - LEAD) : raw.start], names, at)
                    if language not in _NO_SPACE_LANGS
                    else None
                )
                # only someone named as a speaker or as a sentence's subject: the last capitalised
                # words before the quote are as often a place, a body or a common noun
                if not (named or subject) and language not in _NO_SPACE_LANGS:
                    subject = _recent_subject(before_all, nouns, language, names, at)
                speaker = named or subject or last_named
                if named:
                    last_named = named
                last_at = start
            elif raw.dash and after_question and interviewee:
                speaker = interviewee
            elif (
                last_named
                and start - last_at < 600
                and not raw.runs_on
                and not _fragment(stripped)
                and (
                    (role_word := _role_subject(before)) is None
                    or _role_fits(role_word, last_named, names, start)
                )
            ):
                speaker = last_named  # consecutive quotes: the same voice
            if raw.runs_on and speaker is None:
                running_on.append(len(quotes))
            if (
                speaker is not None
                and _title_like(stripped)
                and "," not in stripped  # ``„Grenzschutz, Grenzschutz, Grenzschutz“``: a slogan
                and language not in _NO_SPACE_LANGS
            ):
                speaker = None  # a programme's or a paper's name is no one's statement
            if speaker is not None:
                speaker = _nominative(speaker, language)
            quotes.append(Quote(stripped, speaker, start, start + len(stripped)))
            prev_end, prev_speaker = raw.close_end, speaker
        offset += len(para) + 1
        if para.strip():
            prev_para = para
            after_question = question
    for i in running_on:  # the speaker named where the long quote finally closes
        nxt = quotes[i + 1] if i + 1 < len(quotes) else None
        if nxt is not None and nxt.speaker and text.count("\n", quotes[i].end, nxt.start) <= 2:
            quotes[i] = replace(quotes[i], speaker=nxt.speaker)
    return tuple(quotes)
