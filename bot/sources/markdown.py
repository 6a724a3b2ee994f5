"""Markdown seed documents: YAML front matter and the few markup rules that hide words.

Not a Markdown renderer: the matcher needs the words and the paragraphs, so links become
their text, emphasis markers go, and soft-wrapped lines join into one paragraph.
"""

from __future__ import annotations

import re
from typing import Any

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


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``(metadata, body)``; a document without front matter has empty metadata.

    Raises ValueError naming the line when the front matter is not a YAML mapping.
    """
    m = _FRONT.match(text.lstrip("\ufeff"))
    if m is None:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1) or "")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"invalid front matter ({where}{problem})") from e
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ValueError("invalid front matter (expected 'key: value' lines)")
    return {str(k).lower(): v for k, v in meta.items()}, text.lstrip("\ufeff")[m.end() :]


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
