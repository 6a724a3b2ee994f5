"""``extract_quotes``: the paragraph walk that joins quote spans to their speakers, carrying
the last named speaker across consecutive quotes."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cached_property

from bot.models import Quote
from bot.nlp.quotes.attribution import (
    LEAD,
    according_anywhere,
    according_before,
    attribution_after,
    attribution_before,
)
from bot.nlp.quotes.cjk import cjk_attribution
from bot.nlp.quotes.korean import korean_attribution
from bot.nlp.quotes.morphology import nominative_name
from bot.nlp.quotes.names import ROLE_NOUN, fragment, last_name_run, name_at_start, title_like
from bot.nlp.quotes.reported import (
    continues_reported,
    reported_voice,
    subject_of_reported,
    unopened_speech,
)
from bot.nlp.quotes.spans import Raw, dash_speech, quote_pairs
from bot.nlp.quotes.speakers import (
    CONTEXT,
    ROLE_AFTER,
    NameIndex,
    common_nouns,
    expand_name,
    lowercase_words,
    not_a_name,
    paragraph_subject,
    recent_subject,
    role_fits,
    role_named,
    role_subject,
    trim_common,
)
from bot.nlp.quotes.verbs import (
    ACCORDING_AGENCY,
    ACCORDING_SOURCE,
    ANON,
    PRONOUN,
    Attribution,
    according_pronoun,
    agency_at,
    incise_between,
    incise_re,
    is_anonymous,
)
from bot.nlp.quotes.wordlists import all_words, alternation, union
from bot.nlp.text import WORD_RE

MIN_WORDS = 1
"""Quoted wording of any length is reported (``a “landmark agreement”``, with who used the
words); the alert ranks one- or two-word fragments after real statements."""

_SENTENCE_ENDED = re.compile(r"\s*[.!?]\s+(?![—–-])")

_CJK_LANGS = frozenset({"ja", "zh"})

_PRONOUN_SUBJECT = re.compile(rf"(?<!\w)(?:{alternation(union('subject_pronouns'))})\s+\w+\s")
"""``er sagte:``, ``she told …:``: a pronoun's sentence introducing the quote."""

_NO_SPACE_LANGS = frozenset({"ja", "zh", "ko"})
"""Languages whose speakers are read by their own grammar (particles, titles after names),
not by runs of capitalised words."""


def _split_incise(para: str, raw: Raw, lang: str) -> list[Raw]:
    """One pair of marks around two pieces of speech and the attribution between them."""
    body = para[raw.start : raw.end]
    for m in incise_re(lang).finditer(body):
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


class _Indexes:
    """What naming a speaker reads of the whole document, made on first need: most
    documents (a matched article without quotation) never name one, and making them
    cost a tenth of such an article's matching."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language

    @cached_property
    def lowercase(self) -> frozenset[str]:
        return lowercase_words(self.text)

    @cached_property
    def nouns(self) -> frozenset[str]:
        return common_nouns(self.text, self.language)

    @cached_property
    def names(self) -> NameIndex:
        return NameIndex(self.text)


def extract_quotes(text: str, language: str) -> tuple[Quote, ...]:
    """Quoted wording in ``text``, in order, with offsets and speakers where named.

    Besides paired marks: dash-introduced speech, a paragraph introduced by a colon
    (``… den Firmen gedroht:`` + the statement), and speech whose opening mark is missing
    but whose attribution is there. A pronoun, a role (``the minister``) or an attribution-
    less quote right after a named one takes the last named speaker; a surname alone is
    completed from the article (``Isabaev`` -> ``Umid Isabaev``).
    """
    quotes: list[Quote] = []
    doc = _Indexes(text, language)
    running_on: list[int] = []  # quotes whose attribution comes in a later paragraph
    last_named: str | None = None
    last_at = -10_000
    offset = 0
    prev_para = ""
    interviewee: str | None = None
    interview_checked = False
    after_question = False
    for para in text.split("\n"):
        raws = quote_pairs(para)
        dash = dash_speech(para)
        question = bool(dash) and para.rstrip().endswith("?")
        if question and not interview_checked:
            # an interview: the questions are the paper's, the answers the guest's, who is
            # named in the introduction
            interviewee = last_name_run(text[max(0, offset - CONTEXT) : offset])
            interview_checked = True
        if dash and not any(r.start < dash.end and dash.start < r.end for r in raws):
            raws.insert(0, dash)
        colon = False
        if not raws:
            unopened = unopened_speech(para, language)
            if unopened:
                raws = [unopened]
            elif prev_para.rstrip().endswith(":") and len(WORD_RE.findall(para)) >= 3:
                raws = [Raw(len(para) - len(para.lstrip()), len(para.rstrip()), len(para))]
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
            attr: Attribution | None
            if raw.incise:
                attr = attribution_after(raw.incise, language)
            elif prev_end and prev_speaker and incise_between(language).match(before):
                # ``„…“, sagte er, „…“``: the words between the two parts name no one else
                attr = Attribution(prev_speaker, False)
            elif colon:
                intro = re.split(r"(?<=[.!?])\s+", prev_para.strip())[-1]
                name = last_name_run(intro)
                if name:
                    attr = Attribution(name, True)
                else:
                    attr = ANON if is_anonymous(intro, language) else Attribution(None, False)
            elif language in _CJK_LANGS:
                attr = cjk_attribution(para, raw.start, raw.close_end, before_all, language)
            elif language == "ko":
                lead_in = para[max(0, raw.start - 1 - LEAD) : max(raw.start - 1, 0)]
                sentence = re.split(r"(?<=[.!?])", lead_in)[-1]
                attr = korean_attribution(
                    re.sub(r"[“”\"‘’][^“”\"‘’]*[“”\"‘’]", " ", sentence),
                    after,
                    before_all,
                )
            else:
                # ``«…». Центральна комісія повідомила``: the sentence ended at the mark, so the
                # next sentence's verb and subject are not this quote's attribution
                ended = _SENTENCE_ENDED.match(after)
                attr = (
                    None if ended else attribution_after(after, language)
                ) or attribution_before(before, language)
                if attr is None:
                    sent = re.split(r"(?<=[.!?])\s+", before)[-1]
                    if according_pronoun(language).search(sent):
                        attr = Attribution(None, False)  # ``По его словам, … «…»``
                    cited = ACCORDING_AGENCY.search(sent)
                    name = (
                        (agency_at(sent[cited.end() :]) if cited else None)
                        or according_before(before)
                        or according_anywhere(sent)
                    )
                    if not name and sent.rstrip().endswith(":"):
                        # ``… mit einem Vorschlag: „…“``; ``X … portray it as a “…”``
                        name = name_at_start(sent.lstrip())
                        if (
                            not name
                            and PRONOUN.match(sent.lstrip())
                            or _PRONOUN_SUBJECT.search(sent)
                            and sent.rstrip().endswith(":")
                        ):
                            attr = Attribution(None, False)
                    if not name and attr is None:
                        name = subject_of_reported(sent, language)
                    if not name and attr is None and ACCORDING_SOURCE.search(sent):
                        attr = ANON  # ``згідно з французькими військовими, США «…»``
                    if name:
                        attr = Attribution(name, True)
                if attr is None and continues_reported(before, stripped, after, language):
                    name = reported_voice(before_all, language, doc.names, at)
                    if name:
                        attr = Attribution(name, True)
            speaker: str | None = None
            if attr is not None and attr.speaker and language not in _NO_SPACE_LANGS:
                trimmed = trim_common(attr.speaker, doc.lowercase)
                full = (
                    expand_name(nominative_name(trimmed, language), doc.names, at)
                    if trimmed
                    else None
                )
                if full and not_a_name(full, doc.nouns):
                    # ``sagte ihr Sprecher``, ``sagte der Einwechselspieler``, ``Die Beziehungen``
                    if full.casefold() in all_words("anonymous"):
                        attr = ANON
                    elif ROLE_NOUN.match(full):
                        attr = Attribution(None, False)  # a role: whom it names, below
                    else:
                        attr = None
                else:
                    attr = Attribution(full, attr.named)
            if attr is not None and attr.speaker:
                speaker = attr.speaker
                if attr.named:
                    last_named, last_at = speaker, start
            elif attr is not None and attr.anonymous:
                last_named, last_at = None, start  # a new, unnamed voice
            elif attr is not None:  # a pronoun or a role
                role = ROLE_AFTER.match(raw.incise or after)
                named = (
                    role_named(role.group(1), doc.names, at)
                    if role and language not in _NO_SPACE_LANGS
                    else None
                )
                subject = (
                    paragraph_subject(para[max(0, raw.start - LEAD) : raw.start], doc.names, at)
                    if language not in _NO_SPACE_LANGS
                    else None
                )
                # only someone named as a speaker or as a sentence's subject: the last capitalised
                # words before the quote are as often a place, a body or a common noun
                if not (named or subject) and language not in _NO_SPACE_LANGS:
                    subject = recent_subject(before_all, doc.nouns, language, doc.names, at)
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
                and not fragment(stripped)
                and (
                    (role_word := role_subject(before)) is None
                    or role_fits(role_word, last_named, doc.names, start)
                )
            ):
                speaker = last_named  # consecutive quotes: the same voice
            if raw.runs_on and speaker is None:
                running_on.append(len(quotes))
            if (
                speaker is not None
                and title_like(stripped)
                and "," not in stripped  # ``„Grenzschutz, Grenzschutz, Grenzschutz“``: a slogan
                and language not in _NO_SPACE_LANGS
            ):
                speaker = None  # a programme's or a paper's name is no one's statement
            if speaker is not None:
                speaker = nominative_name(speaker, language)
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
