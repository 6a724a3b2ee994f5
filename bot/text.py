"""Small, platform-neutral text helpers for showing untrusted feed text to people.

Feed text is written by strangers: before any renderer (terminal, Slack, Discord) shows it,
it loses terminal escape sequences and invisible controls and is cut to a sane length. Each
renderer still applies its own escaping (Slack's ``&<>``, rich's markup) on top of this.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from bot.nlp.text import fold, fold_char, fold_mapped

ELLIPSIS = "…"

# ESC-introduced sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks), DCS/SOS/PM/APC
# strings, and two-character escapes. C1 CSI (\x9b) and OSC (\x9d) are the 8-bit variants.
_ANSI_RE = re.compile(
    r"""
    (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]                       # CSI ... final byte
  | (?:\x1b[\]PX^_]|[\x90\x9d\x98\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|$)  # OSC/DCS/... until ST/BEL
  | \x1b [ -/]* [0-~]                                          # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)

# Bidirectional overrides and isolates can make a terminal or chat client display text in a
# different order than it is stored ("Trojan Source"); plain LRM/RLM marks and joiners stay.
_BIDI_CONTROLS = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A)],
    None,
)

_WS_RE = re.compile(r"\s+")
# Browsers collapse ASCII whitespace only; a no-break space before « or ? is deliberate.
_ASCII_WS = re.compile(r"[ \t\n\r\f\v]+")


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Remove escape sequences and control characters that could drive a terminal.

    Tabs, and newlines when ``keep_newlines``, become plain whitespace; everything else in
    Unicode category Cc (C0, DEL, C1) and the bidi override characters are dropped.
    """
    text = _ANSI_RE.sub("", text).translate(_BIDI_CONTROLS)
    out: list[str] = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\n\r\v\f\x85\u2028\u2029":
            out.append(" " if not keep_newlines or ch not in "\r\x85\u2028\u2029" else "\n")
        elif unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    return "".join(out)


def clean_line(text: str | None, max_len: int | None = None) -> str:
    """One display line from untrusted text: no controls, whitespace collapsed, length capped."""
    if not text:
        return ""
    line = _WS_RE.sub(" ", strip_controls(text)).strip()
    return shorten(line, max_len) if max_len is not None else line


def collapse_ws(text: str) -> str:
    """Collapse runs of ASCII whitespace to one space, as a browser renders inline text."""
    return _ASCII_WS.sub(" ", text).strip()


def one_line(value: object) -> str:
    """An exception or a stranger's value as one short line of an admin-facing error."""
    text = collapse_ws(str(value)) if value is not None else "unknown error"
    return text[:200]


def shorten(text: str, max_len: int) -> str:
    """Cut ``text`` to at most ``max_len`` characters at a word boundary, ending in " …".

    A word is only chopped when the last space is far back (one very long token, a URL),
    so the reader never loses most of the room to a needlessly clean cut.
    """
    if len(text) <= max_len:
        return text
    if max_len < 4:
        return text[: max(0, max_len - 1)] + ELLIPSIS if max_len > 0 else ""
    room = text[: max_len - 2]
    if not text[max_len - 2].isspace():
        space = room.rfind(" ")
        if space < len(room) * 3 // 5:
            return text[: max_len - 1] + ELLIPSIS  # one long token: chop it
        room = room[:space]
    room = room.rstrip().rstrip(" ,;:–—-(«“„‘\"'")
    return f"{room} {ELLIPSIS}" if room else ELLIPSIS


# --- sentences ------------------------------------------------------------------------------

SENTENCE_END = ".!?…。！？"
CLOSERS = "\"'»”’)]›"
_OPENERS = "\"'«“‘([‹„"
_NO_SPACE_END = "。！？"
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jr",
        "sr",
        "mme",
        "mlle",
        "mgr",
        "prof",
        "gen",
        "sen",
        "rep",
        "gov",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "vs",
        "etc",
        "no",
        "nr",
        "bzw",
        "z.b",
        "u.a",
        "vgl",
        "ca",
        "dt",
        "hr",
        "fr",
        "т.е",
        "т.д",
        "г",
        "гг",
        "им",
        "ул",
        "тыс",
        "млн",
        "млрд",
        "janv",
        "févr",
        "avr",
        "juil",
        "sept",
        "oct",
        "nov",
        "déc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "dec",
    }
)

def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the ``.`` at ``dot`` the end of an abbreviation or a name's initial, not a sentence?"""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    word = text[start:dot]
    if not word:
        return False
    if word.casefold() in _ABBREVIATIONS:
        return True
    # "M. Macron", "J. R. R. Tolkien", "U.S." - an initial, not a sentence end.
    return len(word.rstrip(".")) == 1 and word[0].isupper() or "." in word and len(word) <= 5


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (whole text if it has no recognisable sentence end)."""
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            return text[:i].strip()
        if ch in SENTENCE_END:
            j = i + 1
            while j < n:
                if text[j] in SENTENCE_END or text[j] in CLOSERS:
                    j += 1
                elif text[j] in " \xa0\u202f" and text[j + 1 : j + 2] in ("»", "›"):
                    j += 1  # French spacing: « Oui ! »
                else:
                    break
            if ch in _NO_SPACE_END and j < n and not text[j].isspace():
                return text[:j].strip()
            if j >= n:
                return text.strip()
            if text[j].isspace():
                k = j
                while k < n and text[k].isspace():
                    k += 1
                nxt = text[k] if k < n else ""
                if nxt == "" or "\n" in text[j:k]:
                    return text[:j].strip()
                # Next sentence starts with anything but a lowercase letter (Hangul has no case).
                if (nxt in _OPENERS or not nxt.islower()) and not (
                    ch == "." and _is_abbreviation(text, i)
                ):
                    return text[:j].strip()
            i = j
            continue
        i += 1
    return text.strip()


def sentences(text: str, limit: int | None = None) -> list[str]:
    """Split plain text into sentences, with the same rule as ``first_sentence``; only the
    first ``limit`` when given (each step copies the rest of the text)."""
    out: list[str] = []
    rest = text.strip()
    while rest and (limit is None or len(out) < limit):
        sentence = first_sentence(rest)
        if not sentence:
            break
        out.append(sentence)
        rest = rest[len(sentence) :].lstrip()
    return out


# --- headlines ----------------------------------------------------------------------------
# A document without a declared title still needs a headline a person can read in a chat
# alert; these rules turn "the first sentence" into something headline-sized without cutting
# a word in half.

HEADLINE_MAX = 120
"""A first sentence longer than this is cut at a clause boundary."""
TITLE_LINE_MAX = 200
"""A first line longer than this is a paragraph, not a title."""

# Where a long sentence may be cut into a headline: after a comma or semicolon, or before a dash.
_CLAUSE = re.compile(r"[,;](?=\s)|\s(?=[–—-]\s)")
_CLAUSE_MIN = 30


def headline(text: str, limit: int = HEADLINE_MAX) -> str:
    """A headline from body text: its first sentence, cut at a clause if longer than ``limit``.

    News leads put the news first and the attribution after a comma ("..., a prévenu à
    Moscou le ministre ..."), so the first clause of reasonable length is the headline.
    """
    sentence = first_sentence(text)
    if len(sentence) <= limit:
        return _strip_final_period(sentence)
    for m in _CLAUSE.finditer(sentence):
        cut = m.start()
        if cut < _CLAUSE_MIN:
            continue
        if cut > limit * 3 // 2:
            break
        return sentence[:cut].rstrip(" ,;")
    space = sentence.rfind(" ", 0, limit)
    return (sentence[: space if space > _CLAUSE_MIN else limit]).rstrip(" ,;:") + "…"


def _strip_final_period(sentence: str) -> str:
    """Headlines carry no final full stop (but keep ``?``, ``!`` and ``…``)."""
    if sentence.endswith(".") and not sentence.endswith(".."):
        return sentence[:-1].rstrip()
    return sentence


def split_title_line(body: str) -> tuple[str | None, str]:
    """``(title, rest)`` when the first line is a title line, else ``(None, body)``.

    A title line is short, has no sentence-final punctuation (nor a trailing ``,;:``) and
    is followed by more text - the shape of a headline above its article.
    """
    stripped = body.strip()
    first, sep, rest_raw = stripped.partition("\n")
    first = first.strip()
    rest = rest_raw.strip()
    blank_after = rest_raw.lstrip(" \t\r").startswith("\n")
    if not sep or not rest or not first or len(first) > TITLE_LINE_MAX:
        return None, stripped
    if rest[0].islower() and not blank_after:
        return None, stripped  # a hard-wrapped sentence continues on the next line
    tail = first.rstrip(CLOSERS)
    if tail.endswith(("...", "…")):
        return first, rest  # a title truncated by its publisher
    # "?" and "!" end sentences, but headlines use them too: accept those when short.
    question = bool(tail) and tail[-1] in "?!" and len(first) <= HEADLINE_MAX
    if (not tail or tail[-1] in SENTENCE_END + ",;:") and not question:
        return None, stripped
    return first, rest


# --- comparing a title with the start of a text ------------------------------------------------

def prefix_end(text: str, prefix: str) -> int | None:
    """Offset in ``text`` just past a leading copy of ``prefix``, compared loosely, or None.

    "Loosely" means ignoring case, accents, apostrophe style and whitespace runs, so a title
    that also opens the body is recognised although the feed typeset it differently.
    """
    want = fold(prefix, collapse_whitespace=True)
    if not want:
        return None
    got: list[str] = []
    length = 0
    i = 0
    while i < len(text) and text[i].isspace():
        i += 1
    for j in range(i, len(text)):
        folded = " " if text[j].isspace() else fold_char(text[j])
        if folded == " " and got and got[-1] == " ":
            continue
        got.append(folded)
        length += len(folded)
        if length >= len(want):
            return j + 1 if "".join(got) == want else None
    return None


def plural(count: int, noun: str) -> str:
    """``1 alert``, ``2 alerts``, ``3 entities``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def human_size(n: int) -> str:
    """``10485760`` -> ``"10 MB"``, ``1536`` -> ``"1.5 KB"``: sizes in one-line error messages."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def display_url(url: str) -> str:
    """``scheme://host[:port]/path`` of a URL, for anything a person or a scraper sees.

    A feed URL may carry credentials (``user:pass@``) or an API key in its query; /feeds,
    metric labels, logs and admin notices show this instead, never the URL as configured.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # unparseable: keep what is surely not a credential
        head = re.split(r"[?#]", url.strip(), maxsplit=1)[0]
        return re.sub(r"(?<=//)[^/@]*@", "", head)
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
def window_text(since: datetime, now: datetime | None = None) -> str:
    """``24 h`` or ``7 days``: how far back a digest looked, in the words ``/brief`` uses.

    Here rather than with the renderers' wording because commands and the CLI say it too.
    """
    if now is None:
        now = datetime.now(UTC) if since.tzinfo else datetime.now(UTC).replace(tzinfo=None)
    seconds = max(0.0, (now - since).total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    hours = round(seconds / 3600)
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} h"


def folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` folded as the matcher folds it, and for each folded character its offset in
    ``text``: to find words whatever their case and accents, and show them as written."""
    return fold_mapped(text)
