"""``/watch add`` and ``/watch remove``: the watchlist file edited from chat, comments kept.

The file is the admin's: its comments document the syntax and its order is theirs. So an
edit from chat touches only the lines of the item it adds or removes. ruamel.yaml's
round-trip loader says where each item starts and renders the new item in the file's own
indentation; the text around is kept byte for byte (a whole-file ruamel dump would move
``- # comment`` lines of the default watchlist). Before anything is written, the result is
validated with the same loader as a hand edit and must equal the old watchlist plus or
minus that one item; then it is written atomically (a temporary file renamed over it), and
the running bot's reload announces the change like any other edit.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.commands.handlers import CommandError
from bot.nlp.watchlist import ANY_LANGUAGE, WatchItem, Watchlist, parse_watchlist
from bot.settings.yamlfile import ConfigError

if TYPE_CHECKING:
    from bot.settings.model import Settings

MAX_ALIASES = 50
MAX_TEXT = 200
"""Longest id, name or alias accepted from chat."""

PLATFORMS = ("slack", "discord", "console")
_LANG_PREFIX = re.compile(r"^(any|[a-z]{2,3}):\s*(.*)$", re.DOTALL)
_BARE_PREFIX = re.compile(r"^(any|[a-z]{2,3}):$")
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“", "«": "»"}
"""Opening -> closing quote. Apostrophes (' ‘ ’) are not quotes: aliases contain them
(d'armes, People's). Slack's and phones' typographic quotes are accepted."""

USAGE = (
    'Usage: /watch add <id> "<name>" <alias>, <alias>, ... (an alias may start with a '
    'language, fr:Corée du Nord; else it counts in every language), or /watch remove <id>.'
)


class WatchEditError(CommandError):
    """An edit that cannot be made; the message is meant for the admin who asked."""


class WatchHost(Protocol):
    """What ``/watch`` needs from the running bot (``NewsBot`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def watchlist_path(self) -> Path: ...

    def expect_watchlist_edit(self, text: str, by: str) -> None:
        """The file is about to say ``text``: the reload that sees it names ``by``."""

    async def watchlist_edited(self) -> None:
        """Reload the file now (announcing the change once)."""


def is_admin(admins: Sequence[str], platform: str, user: str) -> bool:
    """Whether ``user`` on ``platform`` is listed: ``U123`` (any platform) or ``slack:U123``."""
    if not user:
        return False
    for entry in admins:
        entry = str(entry).strip()
        prefix, sep, rest = entry.partition(":")
        if sep and prefix.casefold() in PLATFORMS:
            if prefix.casefold() == platform and rest.strip() == user:
                return True
        elif entry == user:
            return True
    return False


# -- what the admin typed --------------------------------------------------------------------


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


# -- the file --------------------------------------------------------------------------------


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    return y


@dataclass(frozen=True)
class _Layout:
    lines: list[str]
    starts: list[int]
    """Line index of each item's ``-``."""
    dash: int
    """Column of the ``-``."""
    key: int
    """Column of an item's keys."""
    end: int
    """Line index just past the items block."""


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _layout(text: str) -> _Layout:
    try:
        root = _yaml().load(text)
    except YAMLError as exc:
        raise WatchEditError(f"The watchlist file cannot be read as YAML: {exc}") from exc
    if not isinstance(root, CommentedMap) or not isinstance(root.get("items"), CommentedSeq):
        raise WatchEditError("The watchlist file has no items list to edit; edit it by hand.")
    items: CommentedSeq = root["items"]
    if items.fa.flow_style() or not items or not all(isinstance(i, CommentedMap) for i in items):
        raise WatchEditError("The watchlist's items are not written as a block list; edit it by hand.")
    lines = text.splitlines(keepends=True)
    starts: list[int] = []
    for n in range(len(items)):
        line, col = items.lc.item(n)
        head = lines[line][:col]  # "  - " when the item starts on its dash line
        while not head.lstrip().startswith("-"):
            line -= 1  # "-" alone (or with a comment) on a line of its own
            if line < 0:
                raise WatchEditError("Could not find where an item starts; edit the file by hand.")
            head = lines[line]
        starts.append(line)
    dash = lines[starts[0]].index("-")
    key = items.lc.item(0)[1]
    keys = list(root.keys())
    after = keys[keys.index("items") + 1 :]
    end = root.lc.key(after[0])[0] if after else len(lines)
    return _Layout(lines, starts, dash, key, end)


def _content_end(layout: _Layout, start: int, stop: int) -> int:
    """Past the last line of an item that runs until ``stop``: trailing blank lines and
    comments at the list's indentation belong to what follows."""
    end = stop
    while end > start + 1:
        line = layout.lines[end - 1]
        if _is_blank(line) or (_is_comment(line) and _indent(line) <= layout.dash):
            end -= 1
        else:
            break
    return end


def _lead_start(layout: _Layout, start: int) -> int:
    """The first line of the comment block directly above an item (no blank line between)."""
    s = start
    while s > 0 and _is_comment(layout.lines[s - 1]) and _indent(layout.lines[s - 1]) >= layout.dash:
        s -= 1
    return s


def _render(item: WatchItem, layout: _Layout) -> list[str]:
    entry = CommentedMap()
    entry["id"] = item.id
    entry["name"] = item.name
    aliases = CommentedMap()
    for lang, phrases in item.aliases.items():
        seq = CommentedSeq(phrases)
        seq.fa.set_flow_style()
        aliases[lang] = seq
    entry["aliases"] = aliases
    y = _yaml()
    y.indent(mapping=2, sequence=layout.key, offset=layout.dash)
    out = io.StringIO()
    y.dump({"items": [entry]}, out)
    rendered = out.getvalue().splitlines(keepends=True)
    return rendered[1:]  # without "items:"


def add_to_text(text: str, item: WatchItem) -> str:
    """The watchlist text with ``item`` appended after the last item; nothing else moves."""
    layout = _layout(text)
    lines = layout.lines
    last = layout.starts[-1]
    at = _content_end(layout, last, layout.end)
    if lines and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    spaced = len(layout.starts) == 1 or any(
        _is_blank(lines[_lead_start(layout, s) - 1]) for s in layout.starts[1:]
    )
    block = (["\n"] if spaced else []) + _render(item, layout)
    return "".join(lines[:at] + block + lines[at:])


def remove_from_text(text: str, item_id: str) -> str:
    """The watchlist text without the item ``item_id`` and the comment block directly above
    it; the comments before the next item stay."""
    layout = _layout(text)
    wl = parse_watchlist(text)
    ids = list(wl.ids())
    if item_id not in ids:
        raise WatchEditError(f"There is no watch item '{item_id}'.")
    n = ids.index(item_id)
    lines = layout.lines
    start = layout.starts[n]
    stop = layout.starts[n + 1] if n + 1 < len(layout.starts) else layout.end
    end = _content_end(layout, start, stop)
    begin = _lead_start(layout, start)
    before_blank = begin > 0 and _is_blank(lines[begin - 1])
    after_blank = end >= len(lines) or _is_blank(lines[end])
    if before_blank and after_blank:
        begin -= 1  # one separating blank line goes with the item
    elif n == 0 and end < len(lines) and _is_blank(lines[end]):
        end += 1
    return "".join(lines[:begin] + lines[end:])


@dataclass(frozen=True)
class Edit:
    """A checked edit, not yet written: the file's text before and after."""

    before: str
    after: str
    watchlist: Watchlist
    item: WatchItem
    """The item added or removed."""


def _current(path: Path) -> tuple[str, Watchlist]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WatchEditError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return text, parse_watchlist(text, path)
    except ConfigError as exc:
        raise WatchEditError(
            f"The watchlist file has an error; fix it first (nothing was changed):\n{exc}"
        ) from exc


def _checked(path: Path, before: str, after: str, expected: Watchlist, item: WatchItem) -> Edit:
    try:
        result = parse_watchlist(after, path)
    except ConfigError as exc:
        raise WatchEditError(f"Refused, the watchlist would not be valid (nothing was changed):\n{exc}") from exc
    if result != expected:
        raise WatchEditError("Could not edit the file safely (nothing was changed); edit it by hand.")
    return Edit(before, after, result, item)


def plan_add(path: Path, request: AddRequest) -> Edit:
    """Read the file and prepare the addition; WatchEditError says why it cannot be made."""
    item = new_item(request)
    before, current = _current(path)
    existing = current.get(item.id)
    if existing is not None:
        raise WatchEditError(
            f"'{item.id}' is already watched ({existing.name}); /watch remove it first or edit the file."
        )
    after = add_to_text(before, item)
    return _checked(path, before, after, Watchlist(items=[*current.items, item]), item)


def plan_remove(path: Path, item_id: str) -> Edit:
    before, current = _current(path)
    item = current.get(item_id.strip())
    if item is None:
        known = ", ".join(current.ids())
        raise WatchEditError(f"There is no watch item '{item_id}'. Known: {known}.")
    if len(current.items) == 1:
        raise WatchEditError("That is the last watch item; edit the file to replace it.")
    after = remove_from_text(before, item.id)
    expected = Watchlist(items=[i for i in current.items if i.id != item.id])
    return _checked(path, before, after, expected, item)


def write(path: Path, edit: Edit) -> None:
    """Write atomically: a temporary file in the same folder, renamed over the real one.

    Refused when the file changed since the edit was prepared (a hand edit meanwhile).
    A symlinked file is written where the link points, so the link survives.
    """
    real = path.resolve()
    if real.read_text(encoding="utf-8") != edit.before:
        raise WatchEditError("The watchlist file changed meanwhile; nothing was written, try again.")
    mode = real.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(edit.after)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
