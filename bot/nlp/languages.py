"""Which language a document is in: its script first (Hangul, kana, Cyrillic letters only one
language uses), langid for Latin text, and a feed's declared language when the text
does not refute it."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

LANGUAGES = ("en", "fr", "de", "es", "ru", "uk", "ko", "it", "pt", "nl", "pl", "ja", "zh")
"""What detection chooses from: the watchlist's languages and close neighbours."""

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

_KANA = re.compile(r"[\u3040-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # not ・ (U+30FB)

_HAN = re.compile(r"[\u4e00-\u9fff]")

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")

_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")


@lru_cache(maxsize=1)
def identifier() -> Any:
    from bot.nlp.langid_walk import FastIdentifier

    ident = FastIdentifier.packaged(LANGUAGES, norm_probs=True)
    _forget_other_languages(ident)
    return ident


def _forget_other_languages(ident: Any) -> None:
    """Drop the identifier's copy of the full model (every language's column, 28 MB) that
    it keeps only to restrict to another subset later, which we never do."""
    if getattr(ident, "_full_model", None) is not None:
        ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)


_BEYOND_LATIN = re.compile("[\u0400-\uffff]")
"""Where every script above but Latin starts: a text without it needs no counting."""


SCRIPT_PATTERNS = {
    "hangul": _HANGUL,
    "kana": _KANA,
    "han": _HAN,
    "cyrillic": _CYRILLIC,
    "latin": _LATIN,
}
"""Each script's characters as an expression (counting: ``script_counts``)."""

SCRIPT_RANGES = {
    "hangul": ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)),
    "kana": ((0x3040, 0x30FA), (0x30FC, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)),
    "han": ((0x4E00, 0x9FFF),),
    "cyrillic": ((0x0400, 0x04FF),),
    "latin": ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F)),
}
"""The code points of ``SCRIPT_PATTERNS`` (first and last of each range), in the order a
tie between scripts is settled."""

_EDGES = sorted({edge for ranges in SCRIPT_RANGES.values() for a, b in ranges for edge in (a, b + 1)})
_BUCKETS = {_EDGES.index(a) + 1: script for script, rs in SCRIPT_RANGES.items() for a, _ in rs}


def script_counts(text: str) -> dict[str, int]:
    """How many characters of ``text`` each script of ``SCRIPT_RANGES`` has: one numpy
    histogram of the code points, where counting with each script's expression made
    a list of every character five times (most of what detecting Korean cost)."""
    import numpy

    codes = numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=numpy.uint32)
    per_bucket = numpy.bincount(
        numpy.searchsorted(numpy.asarray(_EDGES, dtype=numpy.uint32), codes, side="right"),
        minlength=len(_EDGES) + 1,
    ).tolist()
    counts = dict.fromkeys(SCRIPT_RANGES, 0)
    for bucket, script in _BUCKETS.items():
        counts[script] += per_bucket[bucket]
    return counts


def _script(text: str) -> str | None:
    """Dominant script decides what langid may even consider."""
    if text.isascii() or not _BEYOND_LATIN.search(text):
        return "latin" if _LATIN.search(text) else None
    counts = script_counts(text)
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else None


def _cyrillic_language(text: str) -> str:
    uk, ru = len(_UK_ONLY.findall(text)), len(_RU_ONLY.findall(text))
    if uk > ru:
        return "uk"
    if ru > uk:
        return "ru"
    ranked = dict(identifier().rank(text))
    return "uk" if ranked.get("uk", 0.0) > ranked.get("ru", 0.0) else "ru"


_JA_ONLY = re.compile(
    "[発弾壌戦対関経権気県総転伝円駅図広鉄売読続労歳実両験険検営帰変辺仏拠処挙覚観駆択沢団済]"
)
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
    ranked = dict(identifier().rank(text))
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
        prob = dict(identifier().rank(sample)).get(hint, 0.0)
        if prob >= 0.05:
            return hint
    lang, _prob = identifier().classify(sample)
    return str(lang)
