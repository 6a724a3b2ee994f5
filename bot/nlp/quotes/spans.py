"""Where quoted wording starts and ends: paired marks (often mismatched or nested), typewriter
quotes, and dash-introduced speech. Offsets only; who spoke is decided elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOSERS = {
    "«": "»”“",
    "“": "”»“",
    "„": '“”"',
    "‘": "’",
    '"': '"',
    "‹": "›",
    "「": "」",
    "『": "』",
    "»": "«",
    "‚": "‘’",
}

_MARKS = re.compile(
    "[" + re.escape("".join(sorted({*"".join(_CLOSERS), *"".join(_CLOSERS.values())}))) + "]"
)
"""Every opening or closing mark: the only characters ``quote_pairs`` acts on."""

_AMBIGUOUS_OPENERS = {"“", '"', "‘", "»", "‚"}

_AMBIGUOUS_CLOSERS = {"“", '"', "«"}

_HANGUL = re.compile(r"[\uac00-\ud7a3]")

_BEFORE_OPEN = " \t\u00a0([{:—–-/\n"


@dataclass
class Raw:
    start: int
    end: int
    close_end: int
    dash: bool = False
    incise: str | None = None
    """The attribution set inside the quotation marks (``« Nous irons, a déclaré X, jusqu'au
    bout »``, ``«Мы готовы, — сказал X, — но…»``): it names the speaker of both parts."""
    runs_on: bool = False
    """Opened at the paragraph's start and not closed: a quote running into the next
    paragraph (newspapers open each paragraph of a long quote and close only the last)."""


def _opening_ok(para: str, i: int, c: str) -> bool:
    nxt = para[i + 1] if i + 1 < len(para) else ""
    if not nxt or nxt == "\n":
        return False
    if c not in _AMBIGUOUS_OPENERS:
        return True
    prev = para[i - 1] if i > 0 else " "
    if prev in _CJK_BEFORE_OPEN or _CJK_CHAR.match(prev):
        return bool(_CJK_CHAR.match(nxt))
    return prev in _BEFORE_OPEN and not nxt.isspace()


def _closing_ok(para: str, i: int, c: str) -> bool:
    nxt = para[i + 1] if i + 1 < len(para) else " "
    if nxt.isalnum() and (c in _AMBIGUOUS_CLOSERS or c == "’") and not _HANGUL.match(nxt):
        return False  # an apostrophe (l’armée) or an opener, not a closer
    if c in _AMBIGUOUS_CLOSERS:
        prev = para[i - 1] if i > 0 else " "
        return not prev.isspace()
    return True


def quote_pairs(para: str) -> list[Raw]:
    """Top-level quotation spans in one paragraph (offsets within the paragraph)."""
    out: list[Raw] = []
    stack: list[tuple[str, int]] = []
    for m in _MARKS.finditer(para):  # every other character leaves the stack as it is
        i, c = m.start(), m.group()
        if stack and c in _CLOSERS[stack[-1][0]] and _closing_ok(para, i, c):
            _, p = stack.pop()
            if not stack:
                out.append(Raw(p + 1, i, i + 1))
            continue
        if c in _CLOSERS and _opening_ok(para, i, c) and len(stack) < 3:
            stack.append((c, i))
    if stack and stack[0][1] == len(para) - len(para.lstrip()):
        out.append(Raw(stack[0][1] + 1, len(para.rstrip()), len(para), runs_on=True))
    elif not out:
        out = _spaced_straight(para)
    if "'" in para:
        out = _with_single(out, _straight_single(para))
    return out


_STRAIGHT_SINGLE = re.compile(
    r"(?<![\w'’.,-])'(?=[^\W\d_])((?:[^'\n]|(?<=\w)'(?=\w)){1,300}?[\w.!?…])'(?![\w'’])"
)
"""``hails troops for cementing 'invincible alliance' with Moscow``: typewriter apostrophes
as quotation marks (wire headlines, digests). An opener follows a space or a bracket and
comes before a letter; a closer ends a word and is followed by no letter; an apostrophe
between letters inside (``Kim's``, ``прем'єр``) is a letter of the word, not a mark."""


def _straight_single(para: str) -> list[Raw]:
    return [Raw(m.start(1), m.end(1), m.end()) for m in _STRAIGHT_SINGLE.finditer(para)]


def _with_single(out: list[Raw], single: list[Raw]) -> list[Raw]:
    """``single`` spans that lie outside every span of ``out`` (a ``'…'`` inside “…” is a
    quote within the quote), merged in order; both lists are sorted and do not overlap."""
    if not single:
        return out
    merged: list[Raw] = []
    i = 0
    for raw in single:
        while i < len(out) and out[i].close_end <= raw.start - 1:
            merged.append(out[i])
            i += 1
        if i < len(out) and out[i].start - 1 < raw.close_end:
            continue  # overlaps the next span of ``out``
        merged.append(raw)
    merged.extend(out[i:])
    return merged


def _spaced_straight(para: str) -> list[Raw]:
    """``" La baisse … des projets ", a souligné X``: straight quotes set off by spaces
    on both sides (a French habit) cannot be told apart as opener and closer one by one,
    but an even number of them in a paragraph with no other quotes pairs up in order."""
    count = para.count('"')
    if count < 2 or count % 2:
        return []
    marks = [m.start() for m in re.finditer('"', para)]
    return [Raw(a + 1, b, b + 1) for a, b in zip(marks[::2], marks[1::2], strict=True)]


_DASH_START = re.compile(r"^\s*(?:[—–]\s*|-\s+)(?=\S)")

_DASH_END = re.compile(r",?\s+[—–]\s*(?=\w)|[.!?…]\s+[—–]\s*(?=\w)")
"""``— Speech, — said X`` and the Spanish ``—Speech —dijo X``."""


def dash_speech(para: str) -> Raw | None:
    """``— Speech, — said X.``: a paragraph opened by a dash; headings (``– X –``) excluded."""
    m = _DASH_START.match(para)
    if not m or re.search(r"[—–-]\s*$", para.rstrip()):
        return None
    start = m.end()
    end_m = _DASH_END.search(para, start)
    end = end_m.start() if end_m else len(para.rstrip())
    if end_m and para[end_m.start()] in ".!?…":
        end += 1
    return Raw(start, end, end, dash=True)


_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_CJK_BEFORE_OPEN = "：，。、；！？（"
"""Japanese and Chinese set a quotation mark right after a character or a full-width
colon or comma (``称美日韩联合军演“是…”``, ``他说：“…”``), never after a space."""
