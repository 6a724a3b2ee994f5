"""A local DeepL API on 127.0.0.1, speaking its documented v2 text API.

``POST /v2/translate`` with ``Authorization: DeepL-Auth-Key <key>`` and JSON ``{"text":
[...], "source_lang", "target_lang"}`` -> ``{"translations": [{"detected_source_language",
"text"}]}``. A wrong or missing key: 403; too many requests: 429; quota used up: 456;
a bad request (``EN`` as a target, a missing ``text``): 400; errors carry
``{"message": "..."}``. ``GET /v2/languages?type=target``: ``[{language, name}]``.
"""

from __future__ import annotations

from aiohttp import web

from tests.fakes.translator import FakeTranslator

SOURCES = {"EN", "KO", "RU", "UK", "FR", "DE"}
TARGETS = {"EN-US", "EN-GB", "KO", "RU", "UK", "FR", "DE", "PT-BR", "PT-PT"}


class FakeDeepL(FakeTranslator):
    def __init__(self, api_key: str = "0b9c1f7e-fake-key:fx") -> None:
        super().__init__()
        self.api_key = api_key

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/translate", self._translate)
        app.router.add_get("/v2/languages", self._languages)

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response({"message": message}, status=status)

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"DeepL-Auth-Key {self.api_key}"

    async def _languages(self, request: web.Request) -> web.Response:
        await self._record(request)
        if not self._authorized(request):
            return self._error(403, "Wrong endpoint or authorization key")
        return web.json_response([{"language": code, "name": code} for code in sorted(TARGETS)])

    async def _translate(self, request: web.Request) -> web.Response:
        body, mode = await self._record(request)
        if not self._authorized(request) or mode == "refused":
            return self._error(403, "Wrong endpoint or authorization key")
        if mode == "down":
            return self._error(503, "Service temporarily unavailable")
        if mode == "quota":
            return self._error(456, "Quota exceeded")
        if not isinstance(body, dict) or not isinstance(body.get("text"), list):
            return self._error(400, "Value for 'text' not supported.")
        target, source = body.get("target_lang"), body.get("source_lang")
        if target == "EN":
            return self._error(400, "Value for 'target_lang' not supported. Use EN-GB or EN-US.")
        if target not in TARGETS or (source is not None and source not in SOURCES):
            return self._error(400, "Value for 'target_lang' not supported.")
        out = [
            {"detected_source_language": source or "EN",
             "text": self.render(str(t), str(source).lower(), str(target).lower())}
            for t in body["text"]
        ]
        if mode == "garbage":
            out = out[:-1]
        return web.json_response({"translations": out})
