"""HTML to readable plain text, plus the few metadata a news page carries in its head.

Feeds put HTML in their items and seed folders hold saved pages; the matcher and the quote
extractor want sentences, not markup. The stdlib parser is enough: it never fetches anything,
tolerates broken markup, and keeps us free of a heavy dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from bot.text import collapse_ws

# Content a reader never sees as part of the article.
_SKIP = frozenset(
    {
        "script",
        "style",
        "nav",
        "footer",
        "aside",
        "noscript",
        "template",
        "svg",
        "iframe",
        "button",
        "select",
        "form",
        "head",
        "object",
        "canvas",
        "map",
    }
)
# Elements that start a new line of text.
_BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "tr",
        "figure",
        "figcaption",
        "address",
        "hr",
        "details",
        "summary",
        "body",
        "html",
        "title",
    }
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
@dataclass(frozen=True)
class HtmlPage:
    """What a saved web page says about itself."""

    text: str
    title: str | None = None
    """``og:title`` when present (it has no `` | Site`` suffix), else ``<title>``, else ``<h1>``."""
    canonical_url: str | None = None
    language: str | None = None
    """The ``<html lang>`` attribute as written."""


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip_depth = 0
        self._skip_stack: list[str] = []
        self._in_title = False
        self._title: list[str] = []
        self._in_h1 = False
        self._h1: list[str] = []
        self.og_title: str | None = None
        self.canonical: str | None = None
        self.lang: str | None = None

    # -- line building -------------------------------------------------------------------
    def _break(self) -> None:
        line = collapse_ws("".join(self._line))
        if line:
            self.lines.append(line)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and a.get("lang") and self.lang is None:
            self.lang = a["lang"].strip() or None
        elif tag == "meta":
            prop = (a.get("property") or a.get("name") or "").lower()
            if prop == "og:title" and a.get("content") and self.og_title is None:
                self.og_title = collapse_ws(a["content"]) or None
        elif tag == "link":
            rels = (a.get("rel") or "").lower().split()
            if "canonical" in rels and a.get("href") and self.canonical is None:
                self.canonical = a["href"].strip() or None
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self._in_h1 = True

        if tag == "body" and "head" in self._skip_stack:
            # An unclosed <head> must not swallow the whole page.
            del self._skip_stack[self._skip_stack.index("head") :]
        if tag in _SKIP and tag not in _VOID:
            self._skip_stack.append(tag)
            return
        if tag == "br" or tag in _BLOCK:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIP and self._skip_stack and self._skip_stack[-1] == tag:
            self._skip_stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "h1":
            self._in_h1 = False
        if tag in self._skip_stack:
            # Pop up to and including the matching tag: tolerate unclosed children.
            while self._skip_stack:
                if self._skip_stack.pop() == tag:
                    break
            return
        if tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
            return
        if self._skip_stack:
            return
        if self._in_h1:
            self._h1.append(data)
        self._line.append(data)

    def close(self) -> None:
        super().close()
        self._break()

    @property
    def title(self) -> str | None:
        return collapse_ws("".join(self._title)) or None

    @property
    def h1(self) -> str | None:
        return collapse_ws("".join(self._h1)) or None


def _extract(markup: str) -> _Extractor:
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    return parser


def html_to_text(markup: str) -> str:
    """Readable text of an HTML fragment or page: one paragraph a line, entities decoded."""
    return "\n".join(_extract(markup).lines)


def parse_html(markup: str) -> HtmlPage:
    """Text and head metadata (title, canonical link, language) of a whole page."""
    p = _extract(markup)
    return HtmlPage(
        text="\n".join(p.lines),
        title=p.og_title or p.title or p.h1,
        canonical_url=p.canonical,
        language=p.lang,
    )
