"""One JSON request to a translator: bounded in time and size, every failure a
:class:`~bot.translate.base.TranslateError` of a known kind, the key never in a message."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import aiohttp

from bot.translate.base import MAX_ANSWER_BYTES, MAX_RETRY_AFTER, TranslateError, short_error


async def read_at_most(content: aiohttp.StreamReader, limit: int) -> bytes:
    """The body, or its first ``limit`` + 1 bytes when it is longer (one more says so).
    One ``read(n)`` answers with what has arrived so far: of an answer that came in
    several packets, only its start (a good translation then read as garbage)."""
    raw = bytearray()
    while len(raw) <= limit:
        chunk = await content.read(limit + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    return bytes(raw)


class JsonClient:
    """An aiohttp session to one translator; ``secret`` is scrubbed from every error text
    (a server may echo a request back)."""

    def __init__(self, name: str, timeout: float, secret: str | None = None) -> None:
        self.name = name
        self.timeout = timeout
        self._secret = secret or None
        self._session: aiohttp.ClientSession | None = None

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"User-Agent": "newsbot (self-hosted news alerts)"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def call(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        statuses: dict[int, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON) of a 2xx answer; raises TranslateError otherwise.
        ``statuses``: what this backend's own status codes mean (DeepL's 456: quota)."""
        try:
            async with self.session().request(method, url, json=body, headers=headers) as resp:
                raw = await read_at_most(resp.content, MAX_ANSWER_BYTES)
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except TimeoutError:
            raise TranslateError("slow", f"{self.name} did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise TranslateError("down", self._scrub(f"{self.name} unreachable: {exc}")) from None
        except asyncio.CancelledError:
            raise
        if len(raw) > MAX_ANSWER_BYTES:
            raise TranslateError("garbage", f"{self.name} answered more than {MAX_ANSWER_BYTES} bytes")
        try:
            data = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
            if 200 <= status < 300:
                raise TranslateError("garbage", f"{self.name} answered {status} with no JSON") from None
        if 200 <= status < 300:
            return status, data
        said = ""
        if isinstance(data, dict):
            said = str(data.get("error") or data.get("message") or "")
        detail = self._scrub(short_error(said)) if said else ""
        message = f"{self.name} answered {status}" + (f": {detail}" if detail else "")
        kind = (statuses or {}).get(status)
        if kind is None:
            if status == 429:
                kind = "quota"
            elif status in (401, 403):
                kind = "refused"
            elif status >= 500:
                kind = "down"
            else:
                kind = "refused"
        after: float | None = None
        if retry_after:
            try:
                after = float(retry_after)
            except ValueError:
                after = None  # an HTTP date: our own retry interval serves
            if after is not None:
                after = min(max(0.0, after), MAX_RETRY_AFTER) if math.isfinite(after) else None
        raise TranslateError(kind, message, retry_after=after)  # type: ignore[arg-type]
