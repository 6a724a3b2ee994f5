"""The translator interface, its errors, and the bounds on what is sent to it.

A translator is a remote service run by someone else (or by the operator, on a small box):
every request is bounded in time and size, every answer is checked before it is believed,
and every failure is one of a few kinds the bot knows how to wait out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

Failure = Literal["down", "slow", "quota", "refused", "garbage"]
"""Why a translator failed: unreachable or 5xx; no answer in time; out of quota or rate
limited; the request or the key was refused; an answer that is not what was asked for."""

MAX_TEXT_CHARS = 1500
"""What one text may be when sent: a headline of 10,000 characters is cut (at a sentence or
a word) to this. Beyond it nobody reads a chat message, and every character costs quota."""
MAX_TEXTS = 16
"""Texts in one request (a headline, a lead and three quotes is five)."""
MAX_ANSWER_BYTES = 256 * 1024
"""An answer larger than this is garbage, whatever it says."""
MAX_RETRY_AFTER = 3600.0
"""The longest ``Retry-After`` believed: a translator asking for more (``1e12``) is asked
again within the hour, not never."""

API_KEY_ENV = "NEWSBOT_TRANSLATE_API_KEY"


class TranslateError(Exception):
    """A translation that did not happen, and why (``kind``); the message never holds the
    key (it is built from the status and the server's short error text)."""

    def __init__(self, kind: Failure, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind: Failure = kind
        self.retry_after = retry_after


class Translator(Protocol):
    """One backend. ``name`` is what the mark beside a translation says (``DeepL``)."""

    name: str

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """``texts`` from ``source`` into ``target``, one answer per text, in order; raises
        :class:`TranslateError`."""
        ...

    async def languages(self) -> set[str]:
        """The language codes it translates into (lower case, ``en-us`` as the backend
        names them); raises :class:`TranslateError`."""
        ...

    async def close(self) -> None: ...


def cut_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` bounded to ``limit`` characters, cut after a sentence when one ends in the
    last third, else at a word, and marked with "…"."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    floor = (limit * 2) // 3
    stops = [head.rfind(p) for p in (". ", "! ", "? ", "。", "！", "？", "다. ")]
    best = max(stops)
    if best >= floor:
        return head[: best + 1].rstrip() + " …"
    space = head.rfind(" ")
    if space >= floor:
        head = head[:space]
    return head.rstrip() + "…"


def check_answer(answer: object, asked: int, backend: str) -> list[str]:
    """The translations in ``answer`` if it is a list of ``asked`` strings; else the
    translator answered garbage (a wrong count, a number, a null)."""
    if not isinstance(answer, list) or len(answer) != asked:
        got = f"{len(answer)} answers" if isinstance(answer, list) else type(answer).__name__
        raise TranslateError("garbage", f"{backend} answered {got} for {asked} texts")
    if not all(isinstance(t, str) for t in answer):
        raise TranslateError("garbage", f"{backend} answered something that is not text")
    return [str(t) for t in answer]


def short_error(text: str, limit: int = 200) -> str:
    """A server's error text as one short line (it may echo anything back)."""
    return " ".join(str(text).split())[:limit]
