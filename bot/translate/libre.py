"""LibreTranslate, the open-source server an operator can run beside the bot.

``POST /translate`` with ``q`` a list, ``source``, ``target``, ``format: text`` and, when
the server wants one, ``api_key``; it answers ``{"translatedText": [...]}``, or
``{"error": "..."}`` with 400 (a bad request or language), 403 (a bad or missing key),
429 (too many requests) or 500. ``GET /languages`` lists ``{code, name, targets}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.translate.base import MAX_TEXTS, TranslateError, check_answer, cut_text
from bot.translate.http import JsonClient


class LibreTranslate:
    name = "LibreTranslate"

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 20.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key or None
        self.http = JsonClient(self.name, timeout, secret=self.api_key)

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        out: list[str] = []
        for i in range(0, len(texts), MAX_TEXTS):
            out += await self._batch([cut_text(t) for t in texts[i : i + MAX_TEXTS]], source, target)
        return out

    async def _batch(self, texts: list[str], source: str, target: str) -> list[str]:
        body: dict[str, Any] = {
            "q": texts, "source": source.split("-")[0], "target": target.split("-")[0],
            "format": "text",
        }
        if self.api_key:
            body["api_key"] = self.api_key
        _, data = await self.http.call("POST", f"{self.url}/translate", body=body)
        if not isinstance(data, dict):
            raise TranslateError("garbage", f"{self.name} answered something that is not an object")
        return check_answer(data.get("translatedText"), len(texts), self.name)

    async def languages(self) -> set[str]:
        _, data = await self.http.call("GET", f"{self.url}/languages")
        if not isinstance(data, list):
            raise TranslateError("garbage", f"{self.name}'s /languages is not a list")
        codes: set[str] = set()
        for entry in data:
            if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                codes.add(entry["code"].casefold())
        return codes

    async def close(self) -> None:
        await self.http.close()
