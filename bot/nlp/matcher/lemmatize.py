"""Dictionary forms for one plan: a phrase word compiled to its lemma, and a text word's lemma
looked up only when it can change a match (the tables are large, the useful part small)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from bot.nlp.lemmas import (
    COMPOUNDING,
    MORPHOLOGY,
    korean_analyzer,
    lemma_source,
    lookup_lemmas,
    morph_analyzer,
)
from bot.nlp.phrases import (
    MEMO_ENTRIES,
    MEMO_WORD_CHARS,
    Phrase,
    PhraseIndex,
    WordPattern,
    compile_phrase,
)
from bot.nlp.text import WORD_RE, fold


class _Useful:
    """Whether a lemma can change a match: it equals, starts or ends with a phrase word."""

    def __init__(self, exact: Iterable[str], prefixes: Iterable[str], suffixes: Iterable[str]) -> None:
        self.exact, self.prefixes, self.suffixes = set(exact), set(prefixes), set(suffixes)
        self.tails = {v[i:] for v in self.exact for i in range(1, len(v) - 2)}
        """Ends of phrase words (3+ letters): the heads a compound may end in."""
        self.initials = {v[0] for v in self.exact | self.prefixes if v}
        """First letters of phrase words: an analyser whose lemma keeps the word's first
        letter (inflection at the end: Russian, Ukrainian, Korean) is asked only about
        words starting with one of them."""
        self._verdict: dict[str, bool] = {}
        # one C call each (asked of every lemma of a table at start-up)
        self._starts, self._ends = tuple(self.prefixes), tuple(self.suffixes)

    def __call__(self, lemma: str) -> bool:
        ok = self._verdict.get(lemma)
        if ok is None:
            ok = self.test(fold(lemma))
            if len(self._verdict) < MEMO_ENTRIES:
                self._verdict[lemma] = ok
        return ok

    def test(self, folded: str) -> bool:
        """The verdict for a folded lemma, unremembered."""
        return folded in self.exact or folded.startswith(self._starts) or folded.endswith(self._ends)


def _phrase_words(index: PhraseIndex) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The index's phrase words by how they match: exact, as a prefix, as a suffix."""
    words: dict[str, set[str]] = {"exact": set(), "prefix": set(), "suffix": set()}
    for bucket in (index.exact, index.prefix, index.suffix):
        for entries in bucket.values():
            for phrase, _tag in entries:
                for w in phrase.words:
                    words[w.mode].add(w.value)
    return frozenset(words["exact"]), frozenset(words["prefix"]), frozenset(words["suffix"])


def _useful_lemmas(useful: _Useful, lang: str) -> dict[str, str]:
    """The part of the language's lemma table that can change a match (in a compounding
    language, also heads: forms whose lemma ends a phrase word).

    Forms whose lowercase is kept are kept too (with their own lemma), so that a lookup
    of the form as written, then lowercased, answers exactly as the whole table would.

    Few Python objects outlive a pair: a table's lemma is tested once per run of forms
    listing it (a table lists a lemma's forms together), not remembered for every lemma,
    and a capitalised form not kept waits as text in one buffer. Both were dicts of tens
    of thousands of strings (German: 90,533 lemmas, 77,353 capitalised forms), freed after
    the compile but leaving the heap ~20 MB larger for the life of the process.
    """
    kept: dict[str, str] = {}
    others = bytearray()  # "form\nlemma\n" of each capitalised form not kept, UTF-8
    odd: dict[str, str] = {}  # the same for the rare form or lemma with a line break
    heads = useful.tails if lang in COMPOUNDING else frozenset()
    last, verdict = "", False
    for form, lemma in lookup_lemmas(lang):
        if lemma != last:
            folded = fold(lemma)
            last, verdict = lemma, useful.test(folded) or folded in heads
        if verdict:
            kept[form] = lemma
        elif form != form.lower():
            if "\n" in form or "\n" in lemma:
                odd[form] = lemma
            else:
                others += f"{form}\n{lemma}\n".encode()
    for m in _PAIRS.finditer(others.decode()):
        if m[1].lower() in kept:
            kept[m[1]] = m[2]
    for form, lemma in odd.items():
        if form.lower() in kept:
            kept[form] = lemma
    return kept


_PAIRS = re.compile(r"(.*)\n(.*)\n")


@lru_cache(maxsize=32)
def _useful_table(
    lang: str, exact: frozenset[str], prefixes: frozenset[str], suffixes: frozenset[str]
) -> dict[str, str]:
    """``_useful_lemmas`` for the phrase words it depends on, kept for the next plan with
    the same words: reading a whole table takes about a second a language, and a watchlist
    reloaded unchanged, or a backtest's edit, compiles the same words again. The tables
    kept are the small useful parts; callers only read them."""
    return _useful_lemmas(_Useful(exact, prefixes, suffixes), lang)


def _memoised(find: Callable[[str], str], initials: set[str]) -> Callable[[str], str]:
    """``find`` asked once per distinct word (bounded, like ``PhraseIndex``'s memo)."""
    memo: dict[str, str] = {}

    def lemma(piece: str) -> str:
        got = memo.get(piece)
        if got is None:
            got = find(piece) if fold(piece[:1]) in initials else ""
            if len(memo) < MEMO_ENTRIES and len(piece) <= MEMO_WORD_CHARS:
                memo[piece] = got
        return got

    return lemma


def _pymorphy_lemma(lang: str, useful: _Useful) -> Callable[[str], str]:
    """The first dictionary form pymorphy3 gives the word that can match: a form counts as
    an inflection of a phrase word if any of its readings has that word as its lemma
    (``поставленных`` -> поставить, ``надають`` -> надавати, ``Курщині`` -> Курщина)."""
    analyzer = morph_analyzer(lang)

    def find(piece: str) -> str:
        for parse in analyzer.parse(piece):
            if useful(parse.normal_form):
                return str(parse.normal_form)
        return ""

    return _memoised(find, useful.initials)


_KO_NOUN = ("NNG", "NNP", "NNB", "NNBC", "NR", "NP", "SL", "SH", "SN", "XR")
"""Tags of the nouns a Korean dictionary form is made of (NNBC: MeCab-ko's unit nouns,
``명``, ``원``, ``척``: 3명 stays one word, as a plain NNB does)."""

_KO_VERB = ("VV", "VA", "VX")


def _korean_lemma(useful: _Useful) -> Callable[[str], str]:
    """A Korean word's dictionary form from MeCab-ko's analysis (``lemmas.MeCabKo``), in
    this order:

    - a verb: its stem + 다 (``보냈다`` -> 보내다);
    - its leading nouns without the particles and endings (``북한은``, ``북한과`` -> 북한),
      or a longer phrase word (2+ letters) the word begins with, where MeCab cuts the
      word right after it: ``북한군`` (북한 + 군) counts as 북한, ``우크라이나군은``
      (우크라 + 이나 + 군 + 은: the dictionary lacks 우크라이나) as 우크라이나, and
      ``북한산국립공원`` (북한 + 산 + 국립 + 공원) as 북한산, which a veto can name;
    - a word MeCab reads as one proper noun of its own never counts as a shorter phrase
      word (``북한산`` is a mountain, ``박수연`` a person, not 박수); a word never
      matches from its middle (``태평양``);
    - else a common noun that starts with a phrase word counts as it (``평양냉면``)."""
    analyzer = korean_analyzer()

    def find(piece: str) -> str:
        morphemes, pieces = analyzer.analyse(piece)
        if not morphemes:
            return ""
        form, tag = morphemes[0]
        if tag in _KO_VERB:
            verb = form + "다"
            return verb if useful(verb) else ""
        nouns = []
        for form, tag in pieces:
            if tag not in _KO_NOUN:
                break
            nouns.append((form, tag))
        stem = fold("".join(form for form, _ in nouns))
        best = stem if stem and useful(stem) else ""
        end = 0
        for form, _ in pieces:
            end += len(form)
            head = fold(piece[:end])
            if len(head) > max(len(best), 1) and head in useful.exact:
                best = head
        if best:
            return best
        if not nouns or (len(nouns) == 1 and nouns[0][1] == "NNP"):
            return ""
        for k in range(len(stem) - 1, 1, -1):
            if stem[:k] in useful.exact:
                return stem[:k]
        return ""

    return _memoised(find, useful.initials)


def _pymorphy_canonical(lang: str, word: str) -> str:
    """The lemma pymorphy3 gives a phrase word: itself when one reading has it as its
    dictionary form, else the first reading's (``Північна`` -> північний, as an adjective's
    dictionary form is its masculine)."""
    forms = [fold(str(p.normal_form)) for p in morph_analyzer(lang).parse(word)]
    return fold(word) if not forms or fold(word) in forms else forms[0]


def _korean_canonical(word: str) -> str:
    """A Korean phrase word as a document word is read: a verb is its stem + 다
    (``보냈다`` -> 보내다), a ``하다`` verb its noun (``공급하다`` -> 공급), and a verb
    with an auxiliary its main verb (``넘겨주다`` -> 넘기다: MeCab reads 넘겨준, 넘겨줬다
    as 넘기 + 어 + 주, so they match, and so do 넘겼다 and 넘긴). A noun stays as
    written: MeCab may split a name the admin wrote whole (``조선민주주의인민공화국``)."""
    if not word.endswith("다"):
        return fold(word)
    morphemes = korean_analyzer().morphemes(word)
    if not morphemes:
        return fold(word)
    form, tag = morphemes[0]
    if tag in _KO_VERB:
        return fold(form + "다")
    if tag in _KO_NOUN and len(morphemes) > 1 and morphemes[1][1] in ("XSV", "XSA"):
        return fold(form)
    return fold(word)


@lru_cache(maxsize=4096)
def _canonical(lang: str, word: str) -> str:
    source = lemma_source(lang)
    if source == "pymorphy3":
        return _pymorphy_canonical(lang, word)
    if source == "mecab":
        return _korean_canonical(word)
    return fold(word)


def compile_for(source: str, lang: str, rule_term: bool = False) -> Phrase:
    """``compile_phrase``, with each whole word (no ``*``) in the dictionary form the
    language's analyser gives, so that it is compared lemma to lemma with the text's words:
    an admin may write ``Північна Корея`` or ``공급하다``.

    ``rule_term``: in a compounding language a one-word noun of a topic rule (capitalised,
    as German writes nouns) also matches compounds ending in it: the head of a compound
    names what it is (an Artilleriemunition is Munition). Names are never widened so: a
    Weißrusse is not a Russe.
    """
    phrase = compile_phrase(source)
    if (
        rule_term
        and lang in COMPOUNDING
        and len(phrase.words) == 1
        and phrase.words[0].mode == "exact"
        and len(phrase.words[0].value) >= 4
        and source.strip()[:1].isupper()
    ):
        return Phrase(phrase.source, (WordPattern(phrase.words[0].value, "suffix"),))
    if lang not in MORPHOLOGY:
        return phrase
    # The analyser reads the word as written (folding loses ``й``, ``ё``), in the order
    # ``compile_phrase`` found them.
    written = [w for chunk in source.split() for w in WORD_RE.findall(chunk)]
    if len(written) != len(phrase.words):
        return phrase
    words = tuple(
        WordPattern(_canonical(lang, raw), "exact") if w.mode == "exact" else w
        for w, raw in zip(phrase.words, written, strict=True)
    )
    return Phrase(phrase.source, words)


_ADJECTIVE_ENDINGS = ("em", "en", "er", "es", "e")
"""German adjective endings (strong, weak and mixed declension all use these five)."""


def lemmatizer(index: PhraseIndex, lang: str) -> Callable[[str], str]:
    """How words of ``lang`` get their dictionary forms for this plan (``MORPHOLOGY``)."""
    source = lemma_source(lang)
    if source is None:
        return lambda piece: ""
    words = _phrase_words(index)
    useful = _Useful(*words)
    if source == "pymorphy3":
        return _pymorphy_lemma(lang, useful)
    if source == "mecab":
        return _korean_lemma(useful)
    table = _useful_table(lang, *words)

    def lookup(piece: str) -> str:
        # what the lookup lemmatizer would say, then the lowercased form
        return table.get(piece) or table.get(piece.lower()) or ""

    if lang not in COMPOUNDING:
        return lookup

    def compound(piece: str) -> str:
        """A word the table lacks: an adjective phrase word with its ending (``russische``,
        ``nordkoreanischen``: the table has few adjective forms), or modifier + head, where
        the longest head (3+ letters, after a modifier of 3+) the table knows gives the
        lemma (``Artilleriegranaten`` -> artillerie + Granate)."""
        low = piece.lower()
        for ending in _ADJECTIVE_ENDINGS:
            if low.endswith(ending) and fold(low[: -len(ending)]) in useful.exact:
                return low[: -len(ending)]
        for i in range(3, len(piece) - 2):
            head = piece[i:]
            lemma = table.get(head[:1].upper() + head[1:]) or table.get(head)
            if lemma:
                return piece[:i] + lemma.lower()
        return ""

    memo: dict[str, str] = {}

    def lookup_or_compound(piece: str) -> str:
        direct = lookup(piece)
        if direct:
            return direct
        got = memo.get(piece)
        if got is None:
            got = compound(piece)
            if len(memo) < MEMO_ENTRIES and len(piece) <= MEMO_WORD_CHARS:
                memo[piece] = got
        return got

    return lookup_or_compound
