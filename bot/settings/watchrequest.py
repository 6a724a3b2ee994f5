"""What an admin typed after ``/watch add``: an id, a name and aliases, as a checked entity.

Chat syntax, kept apart from the file edit in :mod:`bot.settings.watchedit`: commas (or
semicolons) separate aliases, quotes group words, and ``fr:`` files an alias under one
language. Every refusal is a :class:`WatchEditError` whose message is meant for the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from bot.nlp.watchlist import ANY_LANGUAGE, WatchItem

MAX_ALIASES = 50
MAX_TEXT = 200
"""Longest id, name or alias accepted from chat."""

_LANG_PREFIX = re.compile(r"^(any|[a-z]{2,3}):\s*(.*)$", re.DOTALL)
_BARE_PREFIX = re.compile(r"^(any|[a-z]{2,3}):$")
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“", "«": "»"}
"""Opening -> closing quote. Apostrophes (' ‘ ’) are not quotes: aliases contain them
(d'armes, People's). Slack's and phones' typographic quotes are accepted."""

USAGE = (
    'Usage: /watch add <id> "<name>" <alias>, <alias>, ... (an alias may start with a '
    'language, fr:Corée du Nord; else it counts in every language), or /watch remove <id>.'
)


class WatchEditError(ValueError):
    """An edit that cannot be made; the message is meant for the admin who asked.

    Not a command's error type: the ``/watch`` command turns it into its reply, so the
    settings never depend on the commands."""


@dataclass(frozen=True)
class _Token:
    kind: str
    """``word``, ``quoted`` or ``,``."""
    text: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in ",;":
            out.append(_Token(",", c))
            i += 1
        elif c in _QUOTES:
            close = text.find(_QUOTES[c], i + 1)
            if c == "“" and close < 0:
                close = text.find("“", i + 1)
            if close < 0:
                raise WatchEditError(f"A quote is not closed: {text[i:i + 40]}")
            out.append(_Token("quoted", text[i + 1 : close].strip()))
            i = close + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in ",;" and text[j] not in _QUOTES:
                j += 1
            out.append(_Token("word", text[i:j]))
            i = j
    return out


def _alias(text: str) -> tuple[str, str]:
    """``fr:Corée du Nord`` -> (fr, Corée du Nord); no prefix -> every language."""
    m = _LANG_PREFIX.match(text)
    if m and m.group(2).strip():
        return m.group(1), m.group(2).strip()
    return ANY_LANGUAGE, text.strip()


def parse_aliases(text: str) -> dict[str, list[str]]:
    """Aliases as typed in chat, per language, in order, without repeats.

    Separated by commas (or semicolons); a quoted alias stands on its own, so
    ``"Choe Son Hui" "최선희"`` is two. ``fr:`` (any language code) before an alias,
    quoted or not, files it under that language; without one it goes under ``any``.
    """
    out: dict[str, list[str]] = {}
    words: list[str] = []

    def add(lang: str, phrase: str) -> None:
        phrase = " ".join(phrase.split())
        if not phrase:
            return
        if len(phrase) > MAX_TEXT:
            raise WatchEditError(f"An alias is longer than {MAX_TEXT} characters: {phrase[:40]}…")
        bucket = out.setdefault(lang, [])
        if phrase not in bucket:
            bucket.append(phrase)

    def flush() -> None:
        if len(words) == 1 and _BARE_PREFIX.match(words[0]):
            raise WatchEditError(f"'{words[0]}' needs an alias after it, e.g. {words[0]}Pyongyang")
        if words:
            add(*_alias(" ".join(words)))
            words.clear()

    for token in _tokens(text):
        if token.kind == ",":
            flush()
        elif token.kind == "quoted":
            if len(words) == 1 and _BARE_PREFIX.match(words[0]):
                lang = words[0][:-1]
                words.clear()
                add(lang, token.text)
            else:
                flush()
                add(ANY_LANGUAGE, token.text)
        else:
            words.append(token.text)
    flush()
    if sum(len(v) for v in out.values()) > MAX_ALIASES:
        raise WatchEditError(f"At most {MAX_ALIASES} aliases at once; edit the file for more.")
    return out


@dataclass(frozen=True)
class AddRequest:
    id: str
    name: str
    aliases: dict[str, list[str]]


def parse_add(text: str) -> AddRequest:
    """``<id> "<name>" <aliases...>``; a one-word name needs no quotes, and without aliases
    the name itself is the alias (in every language)."""
    tokens = _tokens(text)
    if not tokens or tokens[0].kind != "word":
        raise WatchEditError(USAGE)
    item_id = tokens[0].text
    if len(tokens) < 2 or tokens[1].kind == ",":
        raise WatchEditError(f"Give {item_id} a name: " + USAGE)
    name = tokens[1].text
    rest = _after_tokens(text, 2)
    return AddRequest(item_id, name, parse_aliases(rest))


def _after_tokens(text: str, count: int) -> str:
    """The text after the first ``count`` tokens (re-scanned, quotes respected)."""
    seen, i, n = 0, 0, len(text)
    while i < n and seen < count:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in ",;":
            i += 1
        elif c in _QUOTES:
            close = text.find(_QUOTES[c], i + 1)
            if c == "“" and close < 0:
                close = text.find("“", i + 1)
            i = close + 1
        else:
            while i < n and not text[i].isspace() and text[i] not in ",;" and text[i] not in _QUOTES:
                i += 1
        seen += 1
    return text[i:]


def new_item(request: AddRequest) -> WatchItem:
    """The entity an ``add`` describes, validated like a hand-written one."""
    if len(request.id) > MAX_TEXT or len(request.name) > MAX_TEXT:
        raise WatchEditError(f"Ids and names are at most {MAX_TEXT} characters.")
    aliases = request.aliases or {ANY_LANGUAGE: [" ".join(request.name.split())]}
    try:
        return WatchItem(id=request.id, name=request.name, aliases=aliases)
    except ValidationError as exc:
        problems = "; ".join(
            str(e.get("msg", "invalid")).removeprefix("Value error, ") for e in exc.errors()
        )
        raise WatchEditError(f"That item would not be valid: {problems}") from exc


