"""Small text and date helpers shared by the file and feed sources.

A document without a declared title still needs a headline a person can read in a chat
alert; these rules turn "the first sentence" into something headline-sized without cutting
a word in half.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit, urlunsplit

from bot.text import CLOSERS, SENTENCE_END, clean_line, first_sentence

HEADLINE_MAX = 120
"""A first sentence longer than this is cut at a clause boundary."""
TITLE_LINE_MAX = 200
"""A first line longer than this is a paragraph, not a title."""

# Where a long sentence may be cut into a headline: after a comma or semicolon, or before a dash.
_CLAUSE = re.compile(r"[,;](?=\s)|\s(?=[–—-]\s)")
_CLAUSE_MIN = 30
# Whitespace, C0/DEL/C1 controls and bidi overrides/isolates: none belongs in a link as written.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_url(url: str | None) -> str | None:
    """``url`` without surrounding whitespace, or None when it holds whitespace or control
    characters: such a link was written to smuggle escape sequences into logs and terminals,
    and "repairing" it would yield a different address than the one published."""
    if url is None:
        return None
    url = url.strip()
    if not url or _URL_UNSAFE.search(url) or clean_line(url) != url:
        return None
    return url


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


def normalize_language(tag: object) -> str | None:
    """``"fr-FR"`` / ``"en_us"`` / ``"DE"`` -> ``"fr"`` / ``"en"`` / ``"de"``; junk -> None.

    The matcher keys aliases by primary language, so a region subtag would only miss them.
    """
    if not isinstance(tag, str):
        return None
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def to_utc(value: object) -> datetime | None:
    """An aware UTC datetime from a datetime, date, ISO 8601 or RFC 822 string; else None.

    Naive values are taken as UTC: a feed or front matter that omits the zone is usually
    UTC, and a few hours off is harmless for backfill windows.
    """
    dt: datetime | None = None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            try:
                dt = email.utils.parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def human_size(n: int) -> str:
    """``10485760`` -> ``"10 MB"``, ``1536`` -> ``"1.5 KB"``: sizes in one-line error messages."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
