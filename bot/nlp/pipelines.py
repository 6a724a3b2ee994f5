"""Language detection and the spaCy pipelines, built lazily and cached per language.

Everything works offline: blank pipelines, a rule-based tokenizer for Korean (no MeCab),
and dictionary forms from packages installed with the bot (``MORPHOLOGY``): pymorphy3's
dictionaries for Russian and Ukrainian, Kiwi's packaged model for Korean, the lookup tables
of spacy-lookups-data elsewhere. Nothing is downloaded at run time, and nothing is loaded
before a document in that language needs it. A deployment that installed a trained
pipeline can prefer it with ``configure``; it is never required.

Adding a language is one entry: a builder in ``BUILDERS`` when ``spacy.blank(lang)`` does
not suffice (a segmenter), and a ``MORPHOLOGY`` entry when its lemmas come from elsewhere.
"""

from __future__ import annotations

import builtins
import gzip
import importlib.machinery
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from functools import cache, lru_cache
from importlib import resources
from itertools import chain
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

from bot.nlp import cjk

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr", "de", "es", "ru", "uk", "ko", "it", "pt", "nl", "pl", "ja", "zh")
"""What detection chooses from: the watchlist's languages and close neighbours."""

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # not ・ (U+30FB)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")

_lock = threading.RLock()
_preferred: dict[str, str] = {}
_pipelines: dict[str, Language] = {}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid import langid

    ident = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    _forget_other_languages(ident)
    return ident


def _forget_other_languages(ident: Any) -> None:
    """Drop the identifier's copy of the full model (every language's column, 28 MB) that
    it keeps only to restrict to another subset later, which we never do."""
    if getattr(ident, "_full_model", None) is not None:
        ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)


_BEYOND_LATIN = re.compile("[\u0400-\uffff]")
"""Where every script above but Latin starts: a text without it needs no counting."""


def _script(text: str) -> str | None:
    """Dominant script decides what langid may even consider."""
    if text.isascii() or not _BEYOND_LATIN.search(text):
        return "latin" if _LATIN.search(text) else None
    counts = {
        "hangul": len(_HANGUL.findall(text)),
        "kana": len(_KANA.findall(text)),
        "han": len(_HAN.findall(text)),
        "cyrillic": len(_CYRILLIC.findall(text)),
        "latin": len(_LATIN.findall(text)),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _cyrillic_language(text: str) -> str:
    uk, ru = len(_UK_ONLY.findall(text)), len(_RU_ONLY.findall(text))
    if uk > ru:
        return "uk"
    if ru > uk:
        return "ru"
    ranked = dict(_identifier().rank(text))
    return "uk" if ranked.get("uk", 0.0) > ranked.get("ru", 0.0) else "ru"


_JA_ONLY = re.compile("[発弾壌戦対関経権気県総転伝円駅図広鉄売読続労歳実両験険検営帰変辺仏拠処挙覚観駆択沢団済]")
"""Japan's simplified kanji (shinjitai) that neither simplified nor traditional Chinese
writes: 発 (发/發), 弾 (弹/彈), 壌 (壤), 戦 (战/戰), 対 (对/對), 関 (关/關)..."""


def _han_language(text: str) -> str:
    """Japanese or Chinese for text written mostly in ideographs.

    Kana settle it: Japanese writes its particles and inflections in hiragana and foreign
    names in katakana, so even a kanji-heavy headline has some (北朝鮮がミサイル発射),
    while Chinese has none. Without kana, a character only Japan writes (発, 弾, 壌) does;
    otherwise langid's character statistics decide."""
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    if kana and kana * 20 >= han:  # one kana per 20 ideographs; a stray ・ is not kana
        return "ja"
    if _JA_ONLY.search(text):
        return "ja"
    ranked = dict(_identifier().rank(text))
    return "ja" if ranked.get("ja", 0.0) > ranked.get("zh", 0.0) else "zh"


_SCRIPT_LANGS = {
    "hangul": ("ko",),
    "kana": ("ja",),
    "han": ("zh", "ja", "ko"),
    "cyrillic": ("ru", "uk"),
}


def clean_hint(hint: str | None) -> str | None:
    """``en-GB``/``uk_UA`` -> ``en``/``uk``; None when it is no language code."""
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


DETECT_CHARS = 1_500
"""What detection reads of a document: a few sentences name a language as surely as the
whole text, and langid's cost grows with the length (4,000 characters cost 4 times more)."""


def detect_language(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of ``text``; a declared ``hint`` wins when the text does not refute it.

    Feeds often declare a site-wide language, so a hint is checked against the script and,
    for longer Latin text, against langid's probability before it is believed.
    """
    hint = clean_hint(hint)
    sample = text[:DETECT_CHARS]
    script = _script(sample)
    if script == "hangul":
        return "ko"
    if script in ("kana", "han"):
        detected = _han_language(sample)
        if detected == "ja" or hint not in _SCRIPT_LANGS["han"]:
            return detected
        return hint
    if script == "cyrillic":
        detected = _cyrillic_language(sample)
        if hint in ("ru", "uk") and (
            hint == detected or not (_UK_ONLY.search(sample) or _RU_ONLY.search(sample))
        ):
            return hint
        if hint in ("be", "bg", "sr", "mk", "kk"):
            return hint
        return detected
    if script is None:
        return hint or "en"
    # Latin script
    if hint is not None and hint not in ("ru", "uk", "ko", "ja", "zh"):
        if hint not in LANGUAGES or len(sample) < 60:
            return hint
        prob = dict(_identifier().rank(sample)).get(hint, 0.0)
        if prob >= 0.05:
            return hint
    lang, _prob = _identifier().classify(sample)
    return str(lang)


MORPHOLOGY: dict[str, str] = {"ru": "pymorphy3", "uk": "pymorphy3", "ko": "kiwi"}
"""Where a language's dictionary forms come from when not from spacy-lookups-data.

spaCy's own ``pymorphy3`` lemmatizer mode needs POS tags from a trained tagger (without
them it returns the word unchanged), so the matcher asks pymorphy3's analyser directly,
as spaCy's ``pymorphy3_lookup`` mode does, and keeps every analysis, not only
unambiguous ones. Korean has no lemma table at all: Kiwi splits a word into morphemes."""


COMPOUNDING = frozenset({"de"})
"""Languages that write compounds as one word, inflected at the head, which is last
(``Waffenlieferungen`` = Waffen + Lieferungen). The matcher reads such a word's dictionary
form as its modifier + its head's (``Waffenlieferung``), and a one-word noun of a topic
rule matches compounds ending in it (``Munition`` in ``Artilleriemunition``)."""


def lemma_source(lang: str) -> str | None:
    """``pymorphy3``, ``kiwi`` or ``lookup`` for ``lang``; None when it has no lemmas."""
    source = MORPHOLOGY.get(lang)
    if source is not None:
        return source
    return "lookup" if has_lookup_lemmas(lang) else None


@cache
def morph_analyzer(lang: str) -> Any:
    """pymorphy3's analyser for ``ru`` or ``uk``, with its packaged dictionary (~25 MB)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


class _Kiwi:
    """Kiwi with its packaged model (kiwipiepy_model), built on first use, one call at a time."""

    def __init__(self) -> None:
        from kiwipiepy import Kiwi

        # The lightest configuration that reads news as well as the full one (same Korean
        # F1 on the eval set and the devset): the typo and multi-word dictionaries only
        # help with informal text, and the default user dictionary (~70 MB resident) adds
        # names the matcher does not need (Kiwi still tags 북한산, 태평양 as proper nouns).
        # The packaged model is CoNg, the only one kiwipiepy_model ships (no knlm/sbg).
        # No smaller model exists: the knlm/sbg models of kiwipiepy_model 0.21 took about
        # 290 MB resident, and no worker setting (0, 1, -1) changed the ~230 MB measurably.
        self._kiwi = Kiwi(
            num_workers=-1,
            load_default_dict=False,
            load_typo_dict=False,
            load_multi_dict=False,
        )
        self._lock = threading.Lock()

    def morphemes(self, word: str) -> list[tuple[str, str]]:
        """(form, tag) of each morpheme of ``word``: ``북한군이`` -> 북한군/NNG, 이/JKS."""
        with self._lock:
            return [(t.form, t.tag) for t in self._kiwi.tokenize(word)]


@cache
def korean_analyzer() -> _Kiwi:
    """The one Kiwi of the process (its model takes a couple of seconds to load)."""
    return _Kiwi()


@cache
def has_lookup_lemmas(lang: str) -> bool:
    """Whether spacy-lookups-data ships a lemma table for ``lang``."""
    try:
        data = resources.files("spacy_lookups_data") / "data"
        return (data / f"{lang}_lemma_lookup.json.gz").is_file()
    except (ModuleNotFoundError, FileNotFoundError):
        return False


def lookup_lemmas(lang: str) -> Iterator[tuple[str, str]]:
    """(form, lemma) pairs of spacy-lookups-data's table for ``lang`` (none without one).

    Read on demand rather than through spaCy's lemmatizer, which would keep every table
    in memory (≈100 MB a language); the matcher keeps only the few forms it can use.
    The tables hold one pair a line, so they are read a megabyte at a time, each read's
    lines at once by one regular expression (``json.load`` of the Russian table alone
    raised the peak by tens of MB, and a line at a time took most of a second for the
    French table). A table in another layout is read whole, with the same result.
    """
    if not has_lookup_lemmas(lang):
        return
    path = resources.files("spacy_lookups_data") / "data" / f"{lang}_lemma_lookup.json.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        # One pass; a line in another layout sends us to ``json.load`` (the pairs already
        # given are given again, which a caller building a dict does not notice).
        if (yield from _pairs_by_line(iter(lambda: fh.read(_READ_CHARS), ""))):
            return
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    for form, lemma in table.items():
        if isinstance(lemma, list):
            lemma = lemma[0] if lemma else ""
        if isinstance(form, str) and isinstance(lemma, str) and lemma:
            yield form, lemma


_READ_CHARS = 1 << 20
_STR = r'"((?:[^"\\]|\\.)*)"'
_PAIR_LINE = re.compile(rf'\s*{_STR}\s*:\s*(?:{_STR}|\[\s*{_STR}\s*(?:,\s*{_STR}\s*)*\]|(\[\s*\]))\s*,?\s*')
"""A pair line in general: escapes, a list of lemmas, an empty list."""
_SP = r"[^\S\n]*"  # blanks within a line
_PLAIN = r'"([^"\\\n]*)"'
_LINES = re.compile(
    rf"^(?:{_SP}{_PLAIN}{_SP}:{_SP}(?:\[{_SP}{_PLAIN}{_SP}\]|{_PLAIN}){_SP},?{_SP}"
    rf"|{_SP}[{{}}]?{_SP}|(.+))$",
    re.MULTILINE,
)
"""Each line of a table: the common pair (``"form": ["lemma"]`` or ``"form": "lemma"``, no
escapes), a brace or a blank line, or anything else (the last group)."""


def _unescape(s: str) -> str:
    return str(json.loads(f'"{s}"')) if "\\" in s else s


def _pairs_by_line(chunks: Iterable[str]) -> Generator[tuple[str, str], None, bool]:
    """The pairs of a table written one ``"form": "lemma"`` a line, from its text in
    pieces of any size (lines, or a megabyte at a time); returns False at the first line
    of another kind (not a pair, ``{``, ``}`` or blank)."""
    carry = ""
    for chunk in chain(chunks, ("\n",)):
        text = carry + chunk
        cut = text.rfind("\n")
        if cut < 0:
            carry = text
            continue
        body, carry = text[:cut], text[cut + 1 :]
        for form, listed, lemma, other in _LINES.findall(body):
            if other:
                m = _PAIR_LINE.fullmatch(other)
                if m is None:
                    return False
                form = m.group(1)
                lemma = m.group(2) if m.group(2) is not None else m.group(3)
                if lemma:  # a list's first lemma; an empty list or lemma has none
                    yield _unescape(form), _unescape(lemma)
            elif listed or lemma:
                yield form, listed or lemma
    return True


def configure(models: Mapping[str, str]) -> None:
    """Prefer installed trained pipelines per language (``{"fr": "fr_core_news_sm"}``).

    Pipelines already built are dropped, so the next call builds the preferred one.
    """
    with _lock:
        _preferred.clear()
        _preferred.update({k.lower(): v for k, v in models.items()})
        _pipelines.clear()


def is_configured(lang: str) -> bool:
    """Whether a trained pipeline is preferred for ``lang`` (its lemmas are its own)."""
    return clean_hint(lang) in _preferred


def _korean() -> Language:
    """spaCy's default Korean tokenizer needs MeCab; whitespace/punctuation rules suffice
    (Kiwi analyses the words the matcher keeps)."""
    import spacy

    return spacy.blank("ko", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"}}})


class _DeferredRegex:
    """A regular expression compiled the first time it is used, not when it is made."""

    def __init__(self, pattern: Any, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._pattern: re.Pattern[Any] | None = None
        self._lock = threading.Lock()

    def compiled(self) -> re.Pattern[Any]:
        with self._lock:
            if self._pattern is None:
                self._pattern = re.compile(*self._args)
            return self._pattern

    def match(self, string: Any, *args: Any) -> Any:
        return self.compiled().match(string, *args)

    def search(self, string: Any, *args: Any) -> Any:
        return self.compiled().search(string, *args)

    def fullmatch(self, string: Any, *args: Any) -> Any:
        return self.compiled().fullmatch(string, *args)

    def finditer(self, string: Any, *args: Any) -> Any:
        return self.compiled().finditer(string, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled(), name)


class _ReCompilingLater:
    """The ``re`` module, except that ``compile`` returns a ``_DeferredRegex``."""

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> _DeferredRegex:
        return _DeferredRegex(pattern, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


_RE_LATER = _ReCompilingLater()


def _import_re_later(
    name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
) -> Any:
    if name == "re" and level == 0 and not fromlist:
        return _RE_LATER
    return builtins.__import__(name, globals, locals, fromlist, level)


class _RegexLaterLoader(importlib.machinery.SourceFileLoader):
    """Runs a module whose ``import re`` gets ``_ReCompilingLater``; nothing else changes."""

    def exec_module(self, module: Any) -> None:
        own = dict(vars(builtins))
        own["__import__"] = _import_re_later
        module.__dict__["__builtins__"] = own
        super().exec_module(module)


class _RegexLaterFinder:
    """Imports the modules in ``names`` through ``_RegexLaterLoader`` (a ``sys.meta_path``
    finder); a module it cannot find as a plain source file is left to the usual finders."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return None
        spec.loader = _RegexLaterLoader(fullname, spec.loader.path)
        return spec


_FRENCH_TOKEN_MATCH = "spacy.lang.fr.tokenizer_exceptions"


def _french() -> Language:
    """spaCy's French tokenizer (its exceptions keep ``M.``, ``Mme.``, ``janv.`` whole, so
    they end no sentence) without ``token_match``, the one regular expression that keeps
    words such as ``anti-missile`` or ``entr'abat`` one token. Python takes about 3 s to
    compile it (hundreds of case-insensitive classes of all Unicode letters) when spaCy
    imports its French exceptions, more than the rest of a cold ``newsbot match``.

    The matcher does not need it: its words (``text.WORD_RE``) end at every hyphen and
    apostrophe whatever the tokens, and without it the tokenizer splits such a word only
    at its hyphens and apostrophes, never between letters and never at a sentence end;
    the words and sentences are the same (``tests/nlp/test_pipelines.py``). So the
    module is imported with that expression compiled only if something ever uses it (a
    trained French pipeline would), and this pipeline's tokenizer does without it."""
    return _french_class()()


@cache
def _french_class() -> type[Language]:
    finder = _RegexLaterFinder(frozenset({_FRENCH_TOKEN_MATCH}))
    sys.meta_path.insert(0, finder)
    try:
        from spacy.lang.fr import French, FrenchDefaults
    finally:
        sys.meta_path.remove(finder)

    class WordDefaults(FrenchDefaults):
        token_match = None  # type: ignore[assignment]  # BaseDefaults has None

    class FrenchWords(French):
        """French with no ``token_match``: the tokenizer is made from the language's
        defaults, and its special cases are read with it."""

        Defaults = WordDefaults

    return FrenchWords


BUILDERS: dict[str, Callable[[], Language]] = {
    "fr": _french,
    "ko": _korean,
    "ja": lambda: cjk.blank("ja"),  # one word per ideograph or kana
    "zh": lambda: cjk.blank("zh"),
}
"""Languages whose blank pipeline is not ``spacy.blank(lang)`` (a segmenter, a tokenizer
without a native library). The sentencizer is added to whatever a builder returns."""


def _blank(lang: str) -> Language:
    import spacy

    builder = BUILDERS.get(lang)
    if builder is not None:
        return builder()
    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError):
        log.warning("spaCy has no language class for %r; using the multi-language one", lang)
        return spacy.blank("xx")


def _build(lang: str) -> Language:
    import spacy

    name = _preferred.get(lang)
    if name:
        try:
            nlp = spacy.load(name, exclude=["ner", "textcat", "textcat_multilabel"])
            if not (
                nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")
            ):
                nlp.add_pipe("sentencizer")
            return nlp
        except OSError:
            log.warning("spaCy pipeline %r for %r is not installed; using a blank one", name, lang)
    nlp = _blank(lang)  # lemmas come from ``MORPHOLOGY``, through the matcher
    nlp.add_pipe("sentencizer")
    return nlp


MAX_VOCAB_STRINGS = 500_000
"""A pipeline whose vocabulary has interned more strings than this is built afresh.

spaCy keeps every token string it has ever seen, for the life of the pipeline; a bot that
reads strangers' feeds for months (or a feed of random tokens) would grow without end.
With tokens capped at ``MAX_TOKEN_CHARS`` (``text.same_length_clean``) this bounds the
strings at roughly 100 MB."""


def built_languages() -> list[str]:
    """Languages whose pipeline has been built in this process (each on first need)."""
    with _lock:
        return sorted(_pipelines)


def get_pipeline(lang: str) -> Language:
    """The cached pipeline for ``lang``: tokens and sentences (and whatever a configured
    trained pipeline adds, such as lemmas)."""
    lang = clean_hint(lang) or "xx"
    with _lock:
        nlp = _pipelines.get(lang)
        if nlp is not None and len(nlp.vocab.strings) > MAX_VOCAB_STRINGS:
            log.info("spaCy %r: %d strings interned; building the pipeline afresh",
                     lang, len(nlp.vocab.strings))
            nlp = None
        if nlp is None:
            nlp = _build(lang)
            _pipelines[lang] = nlp
        return nlp
