"""A local LibreTranslate on 127.0.0.1, speaking its documented API.

``POST /translate``: JSON ``q`` (a string or a list), ``source``, ``target``, ``format``,
``api_key`` (required when :attr:`FakeLibreTranslate.api_key` is set) -> ``{"translatedText":
...}`` of the same shape as ``q``; errors are ``{"error": "..."}`` with 400 (a missing
parameter, a language it does not have), 403 (a bad key), 429 (too many requests) or 500.
``GET /languages``: ``[{code, name, targets}]``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.translator import FakeTranslator

LANGUAGES = {"en": "English", "ko": "Korean", "ru": "Russian", "uk": "Ukrainian", "fr": "French"}


class FakeLibreTranslate(FakeTranslator):
    def __init__(self, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/translate", self._translate)
        app.router.add_get("/languages", self._languages)

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status)

    async def _languages(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response([
            {"code": code, "name": name, "targets": sorted(c for c in LANGUAGES if c != code)}
            for code, name in LANGUAGES.items()
        ])

    async def _translate(self, request: web.Request) -> web.Response:
        body, mode = await self._record(request)
        if not isinstance(body, dict):
            return self._error(400, "Invalid request: missing q parameter")
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return self._error(403, "Invalid API key")
        if mode == "down":
            return self._error(500, "Cannot translate text: the model crashed")
        if mode == "quota":
            return self._error(429, "Too many request limits violation")
        if mode == "refused":
            return self._error(403, "Invalid API key")
        q, source, target = body.get("q"), body.get("source"), body.get("target")
        if q is None or not source or not target:
            return self._error(400, "Invalid request: missing q, source or target parameter")
        if source not in LANGUAGES or target not in LANGUAGES:
            return self._error(400, f"{source} ({target}) is not supported")
        texts: list[Any] = q if isinstance(q, list) else [q]
        out = [self.render(str(t), source, target) for t in texts]
        if mode == "garbage":
            out = out[:-1] if len(out) > 1 else [42]  # type: ignore[list-item]
        return web.json_response({"translatedText": out if isinstance(q, list) else out[0]})
