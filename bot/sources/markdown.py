"""Markdown seed documents: YAML front matter and the few markup rules that hide words.

Not a Markdown renderer: the matcher needs the words and the paragraphs, so links become
their text, emphasis markers go, and soft-wrapped lines join into one paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import yaml

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<!\w)_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_CODE = re.compile(r"`([^`]*)`")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")


FRONT_MATTER_KEYS = frozenset({"title", "url", "source", "published", "date", "language", "lang"})
"""The front matter keys a seed document may set; others are ignored."""

Scalar = str | int | float | bool | date | datetime


@dataclass(frozen=True)
class FrontMatter:
    meta: dict[str, Scalar]
    """Known keys (lower-cased) with single values; anything else is left out."""
    body: str
    ignored: tuple[str, ...] = ()
    """What was ignored and why, one phrase each: ``front matter ignored (...)``."""


MAX_DEPTH = 20
"""Deepest nesting of lists and mappings accepted in front matter."""


def _refusal(source: str) -> str | None:
    """Why the YAML ``source`` must not be loaded, or None when it is safe to.

    Checked on the event stream, which expands nothing and is read lazily, so the check
    stops early on hostile input. Anchors and aliases (``&a [...]``, ``*a``) are how a few
    hundred bytes grow into gigabytes ("billion laughs"); deep nesting makes the loader
    recurse and the scanner slow down quadratically. Seed metadata needs neither.
    """
    depth = 0
    for event in yaml.parse(source, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            return "YAML anchors and aliases are not allowed"
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def split_front_matter(text: str) -> FrontMatter:
    """The front matter's known keys and the body; a document without front matter has
    empty metadata.

    Front matter with anchors, aliases or deep nesting is ignored as a whole, and a known
    key whose value is not a single value (a list, a mapping) is ignored alone; ``ignored``
    says so and the document is still read. Raises ValueError naming the line when the
    front matter is not a YAML mapping.
    """
    text = text.lstrip("\ufeff")
    m = _FRONT.match(text)
    if m is None:
        return FrontMatter({}, text)
    source = m.group(1) or ""
    body = text[m.end() :]
    try:
        refusal = _refusal(source)
        if refusal is not None:
            return FrontMatter({}, body, (f"front matter ignored ({refusal})",))
        meta = yaml.safe_load(source)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"invalid front matter ({where}{problem})") from e
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError("invalid front matter (expected 'key: value' lines)")
    known: dict[str, Scalar] = {}
    ignored: list[str] = []
    for key, value in meta.items():
        name = key.lower() if isinstance(key, str) else ""
        if name not in FRONT_MATTER_KEYS or value is None:
            continue
        if isinstance(value, Scalar):
            known[name] = value
        else:
            ignored.append(f"front matter {name!r} ignored (not a single value)")
    return FrontMatter(known, body, tuple(ignored))


def _inline(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _TAG.sub("", line)
    line = _CODE.sub(r"\1", line)
    for _ in range(2):  # nested **_x_**
        line = _EMPHASIS.sub(r"\2", line)
    return line.strip()


def markdown_to_text(md: str) -> tuple[str | None, str]:
    """``(title, text)``: the title is a leading level-1 heading, removed from the text."""
    paragraphs: list[str] = []
    current: list[str] = []
    title: str | None = None
    in_fence = False
    skip = -1

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    lines = md.split("\n")
    for i, raw in enumerate(lines):
        if i == skip:
            continue  # the underline of a setext heading
        if _FENCE.match(raw):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            if raw.strip():
                paragraphs.append(raw.strip())
            continue
        if not raw.strip() or _REF_DEF.match(raw) or _RULE.match(raw):
            flush()
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        heading = _ATX.match(raw)
        setext = not current and _SETEXT.match(nxt) and not _LIST.match(raw)
        if heading or setext:
            flush()
            if setext and not heading:
                skip = i + 1
            words = _inline(heading.group(2) if heading else raw)
            level1 = heading.group(1) == "#" if heading else nxt.strip().startswith("=")
            if level1 and title is None and not paragraphs:
                title = words or None
            elif words:
                paragraphs.append(words)
            continue
        line = _QUOTE.sub("", raw)
        if _LIST.match(line):
            flush()
            line = _LIST.sub("", line)
        text = _inline(line)
        if text:
            current.append(text)
    flush()
    return title, "\n".join(p for p in paragraphs if p)
