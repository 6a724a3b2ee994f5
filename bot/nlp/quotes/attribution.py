"""The speaker named next to a quote: after it (``, a déclaré X``, ``Blinken said``) or before
it (``X a déclaré : « … »``, ``según X``), for languages that capitalise names."""

from __future__ import annotations

import re

from bot.nlp.quotes.names import (
    ARTICLE_BEFORE,
    LEADING_PREPOSITIONS,
    WORD,
    clean_name,
    is_cap,
    last_name_run,
    name_at_end,
    name_at_start,
    name_runs,
    object_name,
    person_like,
)
from bot.nlp.quotes.verbs import (
    ACCORDING,
    ACCORDING_ANY,
    ACCORDING_BEFORE,
    ANON,
    CALLING,
    CLAUSE_END,
    FR_INVERTED,
    FR_PRONOUN_END,
    PRONOUN,
    RELATIVE,
    SENTENCE_BREAK,
    Attribution,
    agency_at,
    is_anonymous,
    role_head,
    verb_pattern,
    verb_source,
)
from bot.nlp.quotes.wordlists import alternation, lexicon_words, union

LEAD = 1000
"""Characters of the paragraph before a quote read for its attribution (a long sentence)."""

_CLITIC = re.compile(rf"^(?:{alternation(union('clitic_pronouns'))})\s+", re.IGNORECASE)
"""An object pronoun between the quote and its verb (``», nous a confié X``, ``”, me dijo X``)."""

_ACCORDING_VERBAL = re.compile(
    rf"(?:{alternation(union('according_to_verbal'))})\s*$", re.IGNORECASE
)
"""An according-to word a reporting verb may follow (``según dijo Robles``)."""

_NAMING_PARTICIPLE = re.compile(rf"(?:{alternation(union('naming_participles'))})$", re.IGNORECASE)
"""``calling``, ``назвав``: the naming verb as a participle, whose subject opens the sentence."""


def speaker_after_verb(rest: str) -> str | None:
    """The speaker named after a reporting verb, past role words and an appositive:
    ``curator Ingrid Vahlenkamp``, ``представитель ведомства Андрей Юсов``, ``el comandante
    del buque, el capitán de navío Andrés Lobo``. A name of two or more words that looks like
    a person's is preferred; a single word only when it comes before any other capital."""
    end = CLAUSE_END.search(rest)
    window = rest[: end.start() if end else 140][:140]
    if PRONOUN.match(window.lstrip()):
        return None
    single: str | None = None
    for i, (at, words) in enumerate(name_runs(window)):
        if len(window[:at].split()) > 8:
            break
        if ARTICLE_BEFORE.search(window[:at]):
            words = words[1:]  # ``sagte der Machthaber``, ``der Forscher der Stiftung``: nouns
        name = clean_name(words) if words else None
        if not name or not person_like(name):
            continue
        if " " in name:
            return name
        if i == 0 and single is None and name[0].isupper():
            single = name
    return single


def attribution_after(after: str, lang: str) -> Attribution | None:
    """Attribution right after the quote, or after a short tail (``” en Ukraine, a déclaré X``)."""
    found = attribution_at(after, lang)
    if found is None:
        tail = re.match(r"^[^.!?«»“”\"\n,]{1,40},\s*", after)
        if tail:
            found = attribution_at(after[tail.end() :], lang)
    return found


def attribution_at(after: str, lang: str) -> Attribution | None:
    verb_re = verb_pattern(lang)
    s = re.sub(r"^[\s,.!?…;:]*(?:(?:[—–]|--?)\s*)?", "", after)
    s = _CLITIC.sub("", s)
    if FR_INVERTED.match(s):
        return Attribution(None, False)
    m = verb_re.match(s)
    if m:
        rest = s[m.end() :]
        rest = re.sub(r"^\s*(?:hinzu\s*)?[,.]?\s*", " ", rest).lstrip()
        agency = agency_at(rest)
        if agency:
            return Attribution(agency, True)  # ``сообщило РИА Новости``
        first = WORD.match(rest)
        # ``lamentó en redes sociales un antiguo concejal``: a place or channel, then the source
        lead = [w.casefold() for w in WORD.findall(rest[:60].split(",")[0])][:5]
        if first and (
            first.group().casefold() in lexicon_words("indefinite", lang)
            or (
                first.group().casefold() in LEADING_PREPOSITIONS
                and any(w in lexicon_words("indefinite", lang) for w in lead)
            )
        ):
            # ``sagte ein Manager des Konzerns`` (but ``a spokesman, Jan Novak``)
            apposition = re.match(r"^[^.;:,]{0,100},\s*", rest)
            named = name_at_start(rest[apposition.end() :]) if apposition else None
            if named and " " in named and person_like(named):
                return Attribution(named, True)
            return ANON
        name = name_at_start(rest)
        if name and person_like(name):
            return Attribution(name, True)
        found = speaker_after_verb(rest)
        if found or name:  # a body right after the verb when no person is named
            return Attribution(found or name, True)
        role = re.match(r"^[^.;:,]{0,100},\s*", rest)
        if role:
            name = name_at_start(rest[role.end() :])
            if name:
                return Attribution(name, True)
        return ANON if is_anonymous(rest, lang) else Attribution(None, False)
    if PRONOUN.match(s):
        rest = s[PRONOUN.match(s).end() :]  # type: ignore[union-attr]
        if verb_re.match(rest.lstrip()):
            return Attribution(None, False)
    name = name_at_start(s)
    if name and re.match(
        r"^" + re.escape(name) + r"\s*,[^.!?«»“”\"\n]{1,90}?,\s*" + verb_source(lang) + r"(?!\w)",
        s,
        re.IGNORECASE,
    ):
        return Attribution(name, True)
    m = re.match(
        r"^[^.!?«»“”\"\n,]{1,60},\s*([^,.!?«»“”\"\n]{2,60}?)\s*,\s*"
        + verb_source(lang)
        + r"(?!\w)",
        s,
        re.IGNORECASE,
    )
    if m:  # ``the report's author, Lena Marchetti, said``
        name = name_at_end(m.group(1))
        if name and person_like(name):
            return Attribution(name, True)
    m = re.match(r"^((?:[^\s,.;:]+\s+){1,7}?)" + verb_source(lang) + r"(?!\w)", s, re.IGNORECASE)
    if m:
        agency = agency_at(m.group(1))
        if agency:
            return Attribution(agency, True)  # ``the state news agency KCNA reported``
        if PRONOUN.match(m.group(1).split()[-1]):
            return Attribution(None, False)  # ``Later she added``: the pronoun is the subject
        name = name_at_start(m.group(1))
        if not (name and person_like(name)):
            # ``state agriculture secretary Dale Hemming said``: roles, then the name
            end = name_at_end(m.group(1))
            if end and object_name(m.group(1), end):
                end = None  # ``an official in Kyiv said``
            name = end if end and person_like(end) else name
        if not name and is_anonymous(m.group(1), lang):
            return ANON
        if name:
            return Attribution(name, True)
        opener = m.group(1).split()[0].casefold()
        if opener in LEADING_PREPOSITIONS and opener not in lexicon_words("indefinite", lang):
            return None  # ``' with Moscow Pyongyang reports``: a new clause, not who spoke
        return Attribution(None, False)
    return None


def attribution_before(before: str, lang: str) -> Attribution | None:
    if ACCORDING.search(before[-40:]):
        return None
    sent = SENTENCE_BREAK.split(before)[-1]
    best: Attribution | None = None
    weak = False
    for m in verb_pattern(lang).finditer(sent):
        head = sent[: m.start()]
        rel = RELATIVE.search(head)
        if rel:
            name = name_at_end(head[: rel.start()])
            if name:
                best = Attribution(name, False)
                continue
        inverted = name_at_start(sent[m.end() :].lstrip())
        if inverted and re.match(r"^\s*" + re.escape(inverted) + r"\s*:", sent[m.end() :]):
            best = Attribution(inverted, True)
            continue
        if _ACCORDING_VERBAL.search(head):
            continue  # ``según dijo Robles``: the according-to rule below
        name = None if head.rstrip().endswith(",") else name_at_end(head)
        if name and object_name(head, name):
            name = None  # ``le ministre indien de la Défense a salué``
        if name:
            best, weak = Attribution(name, True), False
            continue
        run = last_name_run(head)
        if run and " " in run:  # ``el europarlamentario del PA, Carlos Bautista, ha denunciado``
            best, weak = Attribution(run, True), True
            continue
        subject = name_at_start(head.lstrip())
        if (
            subject
            and person_like(subject)
            and re.match(r"^\s*" + re.escape(subject) + r"\s*,", head)
            and head.rstrip().endswith(",")
        ):  # ``Samaranch, en la despedida de sus últimos Juegos, destacó que …``
            best, weak = Attribution(subject, True), True
            continue
        if PRONOUN.search(head.split()[-1] if head.split() else "") or FR_PRONOUN_END.search(head):
            best = Attribution(None, False)
        elif is_anonymous(" ".join(head.split()[-6:]), lang):
            best = ANON  # ``Ein Sprecher des Ministeriums sagte: „…“``
        elif role_head(head):
            best = Attribution(None, False)  # ``La ministre a assuré …``: whom the role names
    if best is None or weak:
        according = according_anywhere(sent)
        if according:
            return Attribution(according, True)
    if best is None:
        best = _calling(sent)
    return best


def _calling(sent: str) -> Attribution | None:
    """``Peng called it a “…”``, ``Kim … calling for “…”``, ``what he called “…”``: whoever
    the sentence names before the verb used the words."""
    found = None
    for m in CALLING.finditer(sent):
        found = m
    if found is None:
        return None
    head = sent[: found.start()]
    if _NAMING_PARTICIPLE.match(found.group()):
        name = name_at_start(head.lstrip())  # the sentence's subject
        if not (name and person_like(name)):
            name = last_name_run(head)  # ``North Korean leader Kim Jong-un has …, calling``
    else:
        name = last_name_run(head) or name_at_end(head.rstrip().rstrip(","))
    if name:
        return Attribution(name, True)
    words = head.split()[-4:]
    if (
        len(words) > 1
        and any(re.search(r"['’]s?$", w) for w in words[:-1])
        and words[-1].islower()
        and not (PRONOUN.match(words[-1]) or role_head(head))
    ):
        return ANON  # ``South Korea's spy agency calls …``: a body, described, not named
    return Attribution(None, False)


def according_anywhere(sent: str) -> str | None:
    """``… dem Politikexperten Raphael Bossong zufolge einen „…“``, ``según dijo Robles, …``."""
    found = None
    for m in ACCORDING_ANY.finditer(sent):
        found = m
    if found is None:
        return None
    words = (found.group(1) or found.group(2)).split()
    while words and not is_cap(words[0]):
        words = words[1:]
    return clean_name([w.rstrip(",.") for w in words])


def according_before(before: str) -> str | None:
    """``selon X, « … »``, ``Pour la présidente de la région, Sylvie Marchand, « … »``."""
    m = ACCORDING_BEFORE.search(before)
    if not m:
        return None
    name = name_at_start(m.group(1))
    if name:
        return name
    end = name_at_end(m.group(1).rstrip(" ,:"))
    return end if end and " " in end and person_like(end) else None
