"""Hypothesis strategies for feed documents as strangers write them.

:func:`feed_documents` draws ``(body, content_type)`` pairs: RSS 2.0, Atom and RDF
documents with odd namespace prefixes, odd and invalid dates, missing and duplicated
guids, huge and empty fields, entities, CDATA, HTML in titles, control characters, deep
nesting, wrong declared encodings, broken XML; and raw random bytes. The words are ours
(a few watch-item names among filler), so some items match and take the alert path.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from hypothesis import strategies as st

WORDS = [
    "Kursk", "Nordkorea", "North Korea", "Pyongyang", "Russia", "Ukraine", "missiles",
    "shells", "delivered", "said", "the", "governor", "weather", "markets", "Курск",
    "북한", "Corée du Nord", "livraisons d'armes", "Waffenlieferungen", "football",
]

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"

_UNITS = ["Kursk ", "a", "é", "<b>", "&amp;", "北", "\u202e"]
_HUGE = re.compile("\x00\x01HUGE:(\\d+):(\\d+)\x01\x00")


def _huge_counts(unit: str) -> st.SearchStrategy[int]:
    """How many times a huge field repeats ``unit``: past every text limit of the bot
    (200,000 characters) for text; for a tag, thousands of them, which is a tag soup to
    the parser but no text, so more only multiplies the parse (a second per 70,000 in a
    malformed feed) without reaching a limit the fewer do not."""
    return st.integers(1_000, 20_000) if unit.startswith("<") else st.integers(5_000, 200_000)


def _expand(text: str) -> str:
    """The document with each huge-field marker replaced by what it stands for."""
    return _HUGE.sub(lambda m: _UNITS[int(m.group(1))] * int(m.group(2)), text)


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)

raw_text = st.one_of(
    sentence,
    sentence,
    st.text(max_size=40),
    st.just(""),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), max_size=8),
    st.integers(0, len(_UNITS) - 1).flatmap(
        lambda unit: st.builds(
            "\x00\x01HUGE:{}:{}\x01\x00".format, st.just(unit), _huge_counts(_UNITS[unit])
        )
    ),
)
"""Text before it is put into XML; escaping (or not) is decided by :func:`as_xml`.

Huge fields are drawn as a marker that :attr:`Served.body` expands: hypothesis keeps every
value it draws while a test runs, and a thousand documents of megabytes each would cost
the test process gigabytes."""

markup = st.sampled_from(
    [
        "&amp;", "&lt;b&gt;bold&lt;/b&gt;", "&nbsp;", "&#0;", "&#xD800;", "&#x1F600;",
        "&#1114112;", "&undefined;", "&", "<", "]]>", "<![CDATA[ inner ]]>",
        "<b>bold</b>", "<script>alert(1)</script>", "<img src=x onerror=y>",
        "<p>Kursk<br/>Pyongyang</p>", "<a href='javascript:alert(1)'>link</a>",
        "<!-- comment -->", "<?pi data?>", "\x00", "\x0b", "\ufffe", "\ud7ff",
        "<<<<>>>>", "<x:y xmlns:x='urn:z'>ns</x:y>", "&lt;![CDATA[",
    ]
)


@st.composite
def as_xml(draw: st.DrawFn, text: st.SearchStrategy[str] = raw_text) -> str:
    """A field's content: escaped, raw, in CDATA, with markup mixed in, or deeply nested."""
    value = draw(text)
    how = draw(st.sampled_from(["escape"] * 4 + ["raw", "cdata", "markup", "nested", "html"]))
    if how == "escape":
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if how == "raw":
        return value
    if how == "cdata":
        return f"<![CDATA[{value}]]>"
    if how == "markup":
        parts = draw(st.lists(markup, min_size=1, max_size=5))
        return value.replace("&", "&amp;").replace("<", "&lt;") + "".join(parts)
    if how == "nested":
        depth = draw(st.integers(50, 3000))
        tag = draw(st.sampled_from(["div", "b", "x:y", "p"]))
        return f"<{tag}>" * depth + value.replace("<", "&lt;").replace("&", "&amp;") + f"</{tag}>" * depth
    escaped_html = f"<b>{value}</b><script>x()</script>".replace("&", "&amp;").replace("<", "&lt;")
    return escaped_html


dates = st.one_of(
    st.sampled_from(
        [
            "Tue, 10 Jun 2025 04:00:00 GMT", "Tue, 10 Jun 2025 04:00:00 +0900",
            "2025-06-10T04:00:00Z", "2025-06-10T04:00:00+14:00", "2025-06-10",
            "Mon, 31 Feb 2025 25:61:61 GMT", "0000-00-00T00:00:00Z", "9999-12-31T23:59:60Z",
            "99999-01-01T00:00:00Z", "-0001-01-01", "yesterday", "", " ", "1718000000",
            "Tue, 10 Jun 2025 04:00:00 XYZ", "2025-13-45T99:99:99+99:99", "NaN", "\x00",
            "Sat, 01 Jan 1 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -1200",
        ]
    ),
    st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=30),
)

guids = st.one_of(
    st.sampled_from(["g-1", "g-1", "g-2", "", "  ", "http://example.test/a#frag", "urn:x"]),
    st.text(max_size=20),
    st.builds(operator.mul, st.just("g"), st.integers(1_000, 100_000)),
)

links = st.one_of(
    st.sampled_from(
        [
            "https://news.example/a", "/relative/path", "javascript:alert(1)", "",
            "http://[::1", "https://news.example/a?utm_source=x&id=1#top", "mailto:x@y",
            "https://news.example/" + "a" * 5000, "http://127.0.0.1:1/x", "ftp://x/y",
            "https://news.example/a\nb", "data:text/html,<b>x</b>",
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def item(draw: st.DrawFn, kind: str) -> str:
    """One <item> or <entry>, some of its fields missing, some twice."""
    fields: list[str] = []
    title_tag, body_tag, date_tag, id_tag = {
        "rss": ("title", "description", "pubDate", "guid"),
        "atom": ("title", "summary", "updated", "id"),
        "rdf": ("title", "description", "dc:date", "dc:identifier"),
    }[kind]
    for tag, strategy in (
        (title_tag, as_xml()),
        (body_tag, as_xml()),
        (date_tag, dates),
        (id_tag, guids),
        ("content:encoded", as_xml()),
    ):
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            value = draw(strategy)
            if tag in (date_tag, id_tag):
                value = value.replace("&", "&amp;").replace("<", "&lt;")
            attrs = ""
            if kind == "atom" and tag in ("title", "summary"):
                attrs = draw(st.sampled_from(["", ' type="html"', ' type="xhtml"', ' type="text"',
                                              ' type="bogus"', ' xml:lang="de"', ' xml:lang="??"']))
            if tag == "guid":
                attrs = draw(st.sampled_from(["", ' isPermaLink="true"', ' isPermaLink="false"',
                                              ' isPermaLink="maybe"']))
            fields.append(f"<{tag}{attrs}>{value}</{tag}>")
    link = draw(links).replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    if kind == "atom":
        fields.append(draw(st.sampled_from([f'<link href="{link}"/>', f'<link rel="alternate" href="{link}"/>',
                                            "<link/>", ""])))
    else:
        fields.append(draw(st.sampled_from([f"<link>{link}</link>", "<link/>", ""])))
    if draw(st.integers(0, 5)) == 0:
        fields.append(draw(st.sampled_from([
            "<unknown:tag xmlns:unknown='urn:x'>?</unknown:tag>", "<media:content url='x'/>",
            "<category>Kursk</category><category/>", "<enclosure url='x' length='-1'/>",
            "<source url='javascript:x'>s</source>", "<title/>",
        ])))
    fields = draw(st.permutations(fields))
    wrapper = {"rss": "item", "atom": "entry", "rdf": "item"}[kind]
    about = f' rdf:about="{link}"' if kind == "rdf" else ""
    return f"<{wrapper}{about}>{''.join(fields)}</{wrapper}>"


@st.composite
def xml_document(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    items = "".join(draw(st.lists(item(kind), max_size=8)))
    title = draw(as_xml())
    lang = draw(st.sampled_from(["", "<language>en</language>", "<language>xx-??</language>",
                                 "<language></language>", "<dc:language>fr</dc:language>"]))
    if kind == "rss":
        ns = draw(st.sampled_from([
            f'xmlns:dc="{DC}" xmlns:content="{CONTENT}"',
            f'xmlns:dc="{DC}" xmlns:content="{CONTENT}" xmlns:atom="{ATOM}"',
            f'xmlns="{ATOM}" xmlns:dc="{DC}" xmlns:content="{CONTENT}"',  # a default ns that lies
            "",  # prefixes used but never declared
            f'xmlns:dc="urn:wrong" xmlns:content="{DC}"',
        ]))
        version = draw(st.sampled_from(['version="2.0"', 'version="0.91"', 'version="9"', ""]))
        body = f"<rss {version} {ns}><channel><title>{title}</title>{lang}{items}</channel></rss>"
    elif kind == "atom":
        prefix = draw(st.sampled_from(["", "a:", "atom:"]))
        ns = f'xmlns:{prefix[:-1]}="{ATOM}"' if prefix else draw(
            st.sampled_from([f'xmlns="{ATOM}"', "", 'xmlns="urn:not-atom"']))
        if prefix:  # every element of the entries in the prefixed namespace
            items = items.replace("<", f"<{prefix}").replace(f"<{prefix}/", f"</{prefix}")
            items = items.replace(f"<{prefix}!", "<!").replace(f"<{prefix}?", "<?")
        ns += f' xmlns:dc="{DC}" xmlns:content="{CONTENT}"'
        body = f"<{prefix}feed {ns}><{prefix}title>{title}</{prefix}title>{items}</{prefix}feed>"
    else:
        ns = draw(st.sampled_from([
            f'xmlns:rdf="{RDF}" xmlns="{RSS1}" xmlns:dc="{DC}" xmlns:content="{CONTENT}"',
            f'xmlns:rdf="{RDF}" xmlns:dc="{DC}"',
            f'xmlns:rdf="urn:not-rdf" xmlns="{RSS1}" xmlns:dc="{DC}" xmlns:content="{CONTENT}"',
        ]))
        body = f'<rdf:RDF {ns}><channel><title>{title}</title>{lang}</channel>{items}</rdf:RDF>'
    prolog = draw(st.sampled_from([
        '<?xml version="1.0" encoding="UTF-8"?>\n', "", '<?xml version="1.0"?>',
        '<?xml version="1.1" encoding="utf-8"?>', "\ufeff", "  \n\n",
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE rss>',
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY w "Kursk">]>',
        '<?xml version="1.0"?><!-- <!ENTITY x "y"> --><?xml-stylesheet href="x"?>',
    ]))
    return prolog + body


def _break(doc: bytes, how: str, where: float, junk: bytes) -> bytes:
    """Make well-formed XML not so, now and then."""
    at = int(where * len(doc))
    if how == "truncate":
        return doc[:at]
    if how == "unclose":
        return doc.replace(b"</item>", b"", 1).replace(b"</entry>", b"", 1)
    if how == "garbage":
        return doc[:at] + junk + doc[at:]
    if how == "swap":
        return doc.replace(b"</title>", b"</titel>", 1)
    return doc


@dataclass(frozen=True)
class Served:
    """One response at the feed's URL: a recipe, its body built on demand."""

    text: str
    """The document, huge fields as markers; or the body as latin-1 when ``encoding`` is None."""
    encoding: str | None
    content_type: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    damage: tuple[str, float, bytes] = ("keep", 0.0, b"")

    @property
    def body(self) -> bytes:
        if self.encoding is None:
            return self.text.encode("latin-1")
        errors = "surrogatepass" if self.encoding == "utf-16" else "replace"
        return _break(_expand(self.text).encode(self.encoding, errors), *self.damage)

    def __str__(self) -> str:
        return (f"HTTP {self.status} {self.content_type!r} {dict(self.headers)}, "
                f"{len(self.body)} bytes: {self.body[:160]!r}")


odd_headers = st.lists(
    st.tuples(
        st.sampled_from(["Location", "Retry-After", "Link", "ETag", "Last-Modified",
                         "Content-Encoding", "X-Odd"]),
        st.sampled_from([
            "http://[::1", "//", "javascript:alert(1)", "/feed", "http://127.0.0.1:99999/x",
            "²", "-5", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "soon",
            '<http://[::1>; rel="hub"', '<hub>; rel=hub, <self>; rel="self"', "<>; rel=",
            'W/"x"', "", "gzip", "br",
        ]),
    ),
    max_size=3,
    unique_by=lambda h: h[0],
)
"""Headers a stranger's server may send with the feed (Location only matters on 3xx)."""


@st.composite
def feed_documents(draw: st.DrawFn) -> Served:
    """What the feed's URL answers: mostly a 200 with a drawn document."""
    content_type = draw(st.sampled_from([
        "application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
        "text/xml; charset=iso-8859-1", "application/rss+xml; charset=bogus",
        "text/html", "application/octet-stream", "text/plain; charset=utf-16", "",
    ]))
    status = draw(st.sampled_from([200] * 12 + [301, 302, 304, 404, 429, 500, 503]))
    headers = tuple(draw(odd_headers)) if draw(st.integers(0, 4)) == 0 or status != 200 else ()
    if draw(st.integers(0, 9)) == 0:
        raw = draw(st.binary(max_size=2_000)).decode("latin-1")
        return Served(raw, None, content_type, status, headers)
    text = draw(xml_document())
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "latin-1", "cp1251", "utf-8-sig"]))
    declared = draw(st.sampled_from([None] * 5 + ["utf-8", "utf-16", "iso-8859-1", "windows-1251",
                                                 "bogus-enc", "ebcdic-cp-us", "utf-32"]))
    if declared is not None:
        text = text.replace('encoding="UTF-8"', f'encoding="{declared}"').replace(
            'encoding="utf-8"', f'encoding="{declared}"')
    damage = (
        draw(st.sampled_from(["keep"] * 6 + ["truncate", "unclose", "garbage", "swap"])),
        draw(st.floats(0, 1)),
        draw(st.binary(min_size=1, max_size=40)),
    )
    return Served(text, encoding, content_type, status, headers, damage)
