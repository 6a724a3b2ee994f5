"""What a source says about a document - its link, language tag and date - made fit to keep.

Feeds, front matter and saved pages are written by strangers: a link may carry escape
sequences or click-tracking parameters, a language tag a region, a date any of three
formats. Each helper returns the value an ``Article`` keeps, or None for junk.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bot.text import clean_line

# Whitespace, C0/DEL/C1 controls and bidi overrides/isolates: none belongs in a link as written.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TRACKING = re.compile(r"^(utm_[a-z_]*|fbclid|gclid|dclid|msclkid|mc_eid|mc_cid|igshid)$", re.I)


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


def clean_url(url: str, base: str | None = None) -> str:
    """Absolute link without fragment and click-tracking parameters, so the same story
    shared through two campaigns is one URL."""
    url = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def absolute_url(href: str, base: str | None = None) -> str | None:
    """:func:`clean_url`, or None for a link no URL parser accepts (``http://[::1``): one
    odd link in a feed costs that link, not the feed."""
    try:
        return clean_url(href, base)
    except ValueError:
        return None


def join_url(base: str, href: str) -> str | None:
    """``urljoin``, or None for a stranger's link it refuses ("Invalid IPv6 URL")."""
    try:
        return urljoin(base, href)
    except ValueError:
        return None


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
