"""The translator the config names, with its key from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from bot.settings.sections import TranslateConfig
from bot.translate.base import API_KEY_ENV, Translator
from bot.translate.deepl import DeepL
from bot.translate.libre import LibreTranslate


def make_translator(config: TranslateConfig, env: Mapping[str, str]) -> Translator:
    """LibreTranslate or DeepL as ``config`` says; ValueError when DeepL has no key."""
    key = env.get(API_KEY_ENV) or None
    timeout = config.timeout.total_seconds()
    if config.backend == "deepl":
        return DeepL(key or "", url=config.url, timeout=timeout)
    assert config.url is not None  # the config refuses libretranslate without a url
    return LibreTranslate(config.url, api_key=key, timeout=timeout)
