"""The bytes of a feed document made safe and readable before feedparser sees them.

A feed is XML from a stranger. Some documents are attacks (entity declarations that expand
to gigabytes); some are merely broken in ways that made feedparser raise for the whole
feed (a character reference to no character, an encoding name with a NUL in it); some are
an HTML page where a feed was expected. ``prepare`` refuses the first and the last with a
``FeedError`` and repairs the rest, in the document's own encoding.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from feedparser.encodings import convert_to_utf8

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_FEED_ROOT = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(?:rss|feed|RDF)[\s>]")
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!DOCTYPE\s+html|html)", re.I | re.S
)
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*\sencoding\s*=\s*["'][A-Za-z0-9._:-]+["']""")
_CHARREF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_DECLARED = re.compile(rb"""(\xef\xbb\xbf)?(\s*<\?xml[^>]*?)\sencoding\s*=\s*(["'])(.*?)\3""", re.S)
_ENCODING_NAME = re.compile(rb"[A-Za-z0-9._:-]{1,40}")


class FeedError(Exception):
    """A document that is not a usable feed; ``str()`` is one line for the admin."""


def prepare(data: bytes, content_type: str | None) -> tuple[bytes, dict[str, str]]:
    """``(document, response headers)`` to hand feedparser, or ``FeedError`` when the
    document declares entities or is an HTML page. Pure: no I/O."""
    headers = _parser_headers(data, content_type)
    data = _fix_charrefs(_drop_junk_encoding(data))
    # Both views: the document as the parser will decode it (EBCDIC, BOM-less UTF-32) and
    # as its BOM says (a UTF-16 file the parser misreads is still refused in words).
    _check_prolog(_to_utf8_for_checks(data))
    checked = _as_parser_reads(data, headers)
    _check_prolog(checked)
    if _looks_like_html(checked, content_type):
        raise FeedError("not a feed (got HTML)")
    return data, headers


def _parser_headers(data: bytes, content_type: str | None) -> dict[str, str]:
    """The response headers feedparser is given.

    The HTTP charset is a server default, often wrong for the feed it serves; the XML
    declaration is written by whatever generated the feed. When the document names its
    encoding, that wins (a latin-1 header on a UTF-8 or cp1251 feed made mojibake).
    """
    declares = _XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf")) or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    )
    if content_type and "charset=" in content_type.lower() and not declares:
        return {"content-type": content_type}
    return {}


def _wide_codec(data: bytes) -> tuple[str, int] | None:
    """``(codec, BOM length)`` of a UTF-16/32 document, which byte searches cannot read."""
    head = data[:4]
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return codec, len(bom)
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", 0
    return None


def _to_utf8_for_checks(data: bytes) -> bytes:
    """UTF-16/32 documents with a BOM hide ``<!ENTITY`` from a byte search; re-encode those."""
    wide = _wide_codec(data)
    if wide is None:
        return data
    codec, bom = wide
    return data[bom:].decode(codec, "replace").encode("utf-8")


def _as_parser_reads(data: bytes, headers: dict[str, str]) -> bytes:
    """The document as feedparser's XML parser will read it: UTF-8, converted by
    feedparser's own encoding detection (BOMs, BOM-less UTF-16/32, EBCDIC, the XML
    declaration, the HTTP charset). A check on the bytes as served misses ``<!ENTITY``
    written in cp037, cp500 or UTF-32; on these bytes it sees what the parser will."""
    return bytes(convert_to_utf8(dict(headers), data, {}))


class _RootFound(Exception):
    pass


def _prolog_end(data: bytes) -> int:
    """Byte offset of the root element's start tag, found by a real XML tokenizer; or
    ``len(data)`` when the prolog is not well-formed and the root cannot be told apart.

    A regex for "the first ``<name``" is fooled by ``<x`` inside a comment, a processing
    instruction or a DOCTYPE literal; expat is not. Parsing stops at the root start tag, so
    nothing after the prolog is read and no entity is ever expanded. The latin-1 override
    reads any ASCII-compatible encoding byte for byte: markup characters are all ASCII.
    """
    parser = expat.ParserCreate(encoding="iso-8859-1")

    def stop(*args: object) -> None:
        raise _RootFound

    parser.StartElementHandler = stop
    try:
        parser.Parse(data, True)
    except _RootFound:
        return parser.CurrentByteIndex
    except expat.ExpatError:
        pass
    return len(data)


def _check_prolog(data: bytes) -> None:
    """Refuse entity declarations before parsing: "billion laughs" expands a few KB of
    DOCTYPE into gigabytes, and no real feed needs its own entities.

    ``data`` is what ``_as_parser_reads`` returns. Entities can only be declared in the
    DOCTYPE, before the root element; after it, ``<!ENTITY`` is text in a CDATA section (an
    article about XML) and harmless. When the prolog cannot be parsed, the whole document
    is searched.
    """
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if _ENTITY_DECL.search(data, 0, _prolog_end(data)):
        raise FeedError(
            "document declares XML entities (possible entity-expansion attack), refused"
        )


def _valid_charref(match: re.Match[bytes]) -> bytes:
    hex_digits, digits = match.group(1), match.group(2)
    number = hex_digits if hex_digits is not None else digits
    # More than 8 digits is out of range whatever they say (and int() refuses 4,300).
    if len(number.lstrip(b"0")) <= 8:
        value = int(number, 16 if hex_digits is not None else 10)
        if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
            return match.group(0)
    return b"&#xFFFD;"


def _fix_charrefs(data: bytes) -> bytes:
    """Character references to no character (``&#xD800;``, ``&#1114112;``) become U+FFFD.

    Such a reference makes the document not well-formed, so feedparser reads it with its
    loose parser, which decodes it with ``chr(n).encode()``: one such reference in one item
    made it raise for the whole feed. A UTF-16/32 document is rewritten in its own encoding.
    """
    wide = _wide_codec(data)
    if wide is None:
        return _CHARREF.sub(_valid_charref, data) if b"&" in data else data
    codec, bom = wide
    try:
        text = data[bom:].decode(codec)
    except UnicodeDecodeError:
        return data  # feedparser will say what is wrong with it
    fixed = _CHARREF.sub(_valid_charref, text.encode("utf-8", "surrogatepass"))
    return data[:bom] + fixed.decode("utf-8", "surrogatepass").encode(codec, "surrogatepass")


def _drop_junk_encoding(data: bytes) -> bytes:
    """An XML declaration's ``encoding="..."`` that is no encoding name at all is removed.

    feedparser looks the name up and catches only LookupError; a name with a NUL in it
    (``encoding="\x00UTF-8"``) raises ValueError and failed the whole feed. Without the
    attribute feedparser falls back as it does for an unknown name.
    """
    m = _DECLARED.match(data)
    if m is None or _ENCODING_NAME.fullmatch(m.group(4)):
        return data
    return (m.group(1) or b"") + m.group(2) + data[m.end() :]


def _looks_like_html(data: bytes, content_type: str | None) -> bool:
    head = data[:4096]
    if _FEED_ROOT.search(head):
        return False
    if _HTML_START.match(head):
        return True
    return bool(content_type and "html" in content_type.lower() and b"<" in head)
