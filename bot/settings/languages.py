"""Language codes an operator or a chat user may ask translations into (``en``, ``fr``,
``pt-br``): checked where they are written, so a typo is a ``file:line`` error or a reply,
never a translator's 400 at three in the morning."""

from __future__ import annotations

import re

LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "lt": "Lithuanian", "lv": "Latvian", "nb": "Norwegian", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}
"""The languages both LibreTranslate and DeepL know, by ISO 639-1 code."""

_CODE = re.compile(r"^([a-z]{2})(?:[-_]([a-z]{2,4}))?$")


def parse_language(value: str) -> str:
    """``FR`` -> ``fr``, ``pt_BR`` -> ``pt-br``; ValueError (saying what is expected) for
    anything that is not a known language, optionally with a region (``en-gb``)."""
    text = str(value).strip().casefold()
    m = _CODE.match(text)
    if m is None or m.group(1) not in LANGUAGE_NAMES:
        shown = str(value)[:40]
        raise ValueError(
            f"{shown!r} is not a language code newsbot can translate into; use one of "
            f"{', '.join(sorted(LANGUAGE_NAMES))} (a region may follow: en-gb, pt-br)"
        )
    return m.group(1) if m.group(2) is None else f"{m.group(1)}-{m.group(2)}"


def base_language(code: str) -> str:
    """``pt-br`` -> ``pt``: what the matcher's detected language is compared with."""
    return code.split("-", 1)[0].casefold()


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(base_language(code), code)
