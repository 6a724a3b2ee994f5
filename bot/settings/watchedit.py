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
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.nlp.watchlist import WatchItem, Watchlist, parse_watchlist
from bot.settings.watchrequest import AddRequest, WatchEditError, new_item
from bot.yamlfile import ConfigError


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
    _write_text(path, edit.before, edit.after)


def text_digest(text: str) -> str:
    """What an editor remembers of the text it loaded, to tell whether the file changed since."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replace(path: Path, loaded: str, after: str) -> Watchlist:
    """Write a whole new text (the web console's editor), the way ``/watch`` writes.

    ``loaded`` is ``text_digest`` of the text the editor started from: when the file says
    something else now (a hand edit or ``/watch`` meanwhile), nothing is written. Invalid
    YAML is refused with ``ConfigError`` (``path:line: message``), before anything is written.
    """
    try:
        before = path.resolve().read_text(encoding="utf-8")
    except OSError as exc:
        raise WatchEditError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if text_digest(before) != loaded:
        raise WatchEditError(
            "The watchlist file changed on disk since you loaded it (a hand edit or /watch); "
            "nothing was written. Reload the page to start from what it says now."
        )
    watchlist = parse_watchlist(after, path)
    _write_text(path, before, after)
    return watchlist


def _write_text(path: Path, before: str, after: str) -> None:
    real = path.resolve()
    if real.read_text(encoding="utf-8") != before:
        raise WatchEditError("The watchlist file changed meanwhile; nothing was written, try again.")
    mode = real.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(after)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
