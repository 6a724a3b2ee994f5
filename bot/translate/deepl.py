"""DeepL's API, which many teams already pay for.

``POST /v2/translate`` with ``Authorization: DeepL-Auth-Key <key>`` and JSON ``{"text":
[...], "source_lang": "KO", "target_lang": "EN-US"}``; it answers ``{"translations":
[{"detected_source_language", "text"}]}``. 403: the key is wrong; 429: too many requests;
456: the quota is used up; 5xx: try later. Keys ending ``:fx`` belong to the Free API
(``api-free.deepl.com``), others to Pro (``api.deepl.com``).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.translate.base import MAX_TEXTS, TranslateError, check_answer, cut_text
from bot.translate.http import JsonClient

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"

_TARGET_DEFAULTS = {"en": "EN-US", "pt": "PT-PT", "zh": "ZH-HANS"}
"""DeepL wants a variant for these targets (a bare ``EN`` is deprecated); the operator
may name another (``en-gb``, ``pt-br``)."""


def deepl_url(key: str) -> str:
    return FREE_URL if key.endswith(":fx") else PRO_URL


def target_code(lang: str) -> str:
    """``en`` -> ``EN-US``, ``en-gb`` -> ``EN-GB``, ``fr`` -> ``FR``."""
    lang = lang.casefold()
    if "-" in lang:
        return lang.upper()
    return _TARGET_DEFAULTS.get(lang, lang.upper())


def source_code(lang: str) -> str:
    """Source languages have no variants: ``pt-br`` -> ``PT``."""
    return lang.split("-")[0].upper()


class DeepL:
    name = "DeepL"

    def __init__(self, api_key: str, url: str | None = None, timeout: float = 20.0) -> None:
        if not api_key:
            raise ValueError(
                "translate.backend deepl needs its key in NEWSBOT_TRANSLATE_API_KEY"
            )
        self.url = (url or deepl_url(api_key)).rstrip("/")
        self._auth = {"Authorization": f"DeepL-Auth-Key {api_key}"}
        self.http = JsonClient(self.name, timeout, secret=api_key)

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        out: list[str] = []
        for i in range(0, len(texts), MAX_TEXTS):
            out += await self._batch([cut_text(t) for t in texts[i : i + MAX_TEXTS]], source, target)
        return out

    async def _batch(self, texts: list[str], source: str, target: str) -> list[str]:
        body = {"text": texts, "source_lang": source_code(source), "target_lang": target_code(target)}
        _, data = await self.http.call(
            "POST", f"{self.url}/v2/translate", body=body, headers=self._auth,
            statuses={403: "refused", 456: "quota", 429: "quota"},
        )
        items = data.get("translations") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TranslateError("garbage", f"{self.name} answered no translations")
        return check_answer(
            [i.get("text") if isinstance(i, dict) else i for i in items], len(texts), self.name
        )

    async def languages(self) -> set[str]:
        _, data = await self.http.call(
            "GET", f"{self.url}/v2/languages?type=target", headers=self._auth,
            statuses={403: "refused", 456: "quota"},
        )
        if not isinstance(data, list):
            raise TranslateError("garbage", f"{self.name}'s /v2/languages is not a list")
        return {
            e["language"].casefold()
            for e in data
            if isinstance(e, dict) and isinstance(e.get("language"), str)
        }

    async def close(self) -> None:
        await self.http.close()
