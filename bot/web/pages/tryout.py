"""Try: an article pasted or fetched by URL, matched against the running watchlist and
shown as every platform would post it, with nothing stored or posted.

Everything here is what ``newsbot match`` and ``newsbot preview`` run: ``analyze``,
``build_alert``, the routes and subscriptions of ``targets_for``, and each platform's
``alert_message`` (what its adapter posts, the feedback buttons included) / ``render_alert``. The matching runs on the console's threads (spaCy
can take a few hundred milliseconds on a long article).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from bot.alerts.build import build_alert
from bot.alerts.routing import Subscribers, targets_for
from bot.chat.console import render_alert
from bot.models import Alert, Analysis, Article, Match, Target
from bot.nlp import MAX_TEXT_CHARS, MAX_TITLE_CHARS, analyze
from bot.nlp.watchlist import Watchlist
from bot.settings.model import Settings
from bot.text import clean_line, headline, split_title_line, strip_controls
from bot.web.app import Offload, Page, render

FetchText = Callable[[str], Awaitable[tuple[str | None, str | None]]]
"""``(text, error)`` of the article page at a URL, fetched with the feeds' guards."""
MAX_URL = 2048
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
SOURCE_NAME = "web console"


@dataclass(frozen=True)
class ItemRow:
    """One matched item as the table shows it."""

    id: str
    name: str
    kind: str
    count: int
    score: float
    min_score: float
    evidence: tuple[str, ...]
    in_title: bool


@dataclass(frozen=True)
class Trial:
    """What trying one article found, and how each platform would show it."""

    article: Article
    analysis: Analysis
    segments: list[tuple[str, str | None]]
    """The text cut into runs: ``(text, item name)`` where a match's evidence is, else
    ``(text, None)``."""
    items: list[ItemRow]
    alert: Alert | None = None
    targets: list[Target] = field(default_factory=list)
    slack: dict[str, Any] = field(default_factory=dict)
    discord: dict[str, Any] = field(default_factory=dict)
    terminal: str = ""

    @property
    def slack_json(self) -> str:
        return json.dumps(self.slack, ensure_ascii=False, indent=2)

    @property
    def discord_json(self) -> str:
        return json.dumps(self.discord, ensure_ascii=False, indent=2)


def segments(text: str, matches: Sequence[Match]) -> list[tuple[str, str | None]]:
    """``text`` in runs, each hit of ``matches`` (``Match.spans``) its own run labelled with
    the item's name; where hits overlap, the earlier-starting one wins."""
    hits = sorted(
        (start, end, m.name)
        for m in matches
        for start, end in m.spans
        if 0 <= start < end <= len(text)
    )
    out: list[tuple[str, str | None]] = []
    at = 0
    for start, end, name in hits:
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], None))
        out.append((text[start:end], name))
        at = end
    if at < len(text):
        out.append((text[at:], None))
    return out


def terminal_text(alert: Alert, width: int = 100) -> str:
    """The alert as ``newsbot run`` prints it in a terminal, without colours."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, record=True, color_system=None,
                      force_terminal=False, legacy_windows=False)
    console.print(render_alert(alert))
    return console.export_text()


def article_of(title: str, text: str, language: str | None, location: str | None = None) -> Article:
    """An ``Article`` from what was pasted: without a title, the text's title line or first
    sentence becomes one, as for a ``.txt`` seed file."""
    body = strip_controls(text.replace("\r\n", "\n"), keep_newlines=True).strip()
    heading = clean_line(title)
    if not heading:
        line, rest = split_title_line(body)
        if line is not None:
            heading, body = clean_line(line), rest
        else:
            heading = clean_line(headline(body))
    return Article(
        source_id="console:try", source_name=SOURCE_NAME, guid=location or "pasted",
        title=heading, text=body, url=location, language=language, location=location,
    )


def trial(
    article: Article, watchlist: Watchlist, settings: Settings, subscriptions: Subscribers
) -> Trial:
    """Match ``article`` and render what would be posted (blocking: run it on a thread)."""
    analysis = analyze(article.title, article.text, watchlist, article.language, quotes=True)
    items = []
    for m in analysis.matches:
        item = watchlist.get(m.id)
        items.append(ItemRow(
            m.id, m.name, m.kind, m.count, round(m.score, 3),
            item.min_score if item else 1.0, m.evidence, m.in_title,
        ))
    found = Trial(article, analysis, segments(article.text, analysis.matches), items)
    if not analysis.alert:
        return found
    # The platforms' own renderers, loaded on the first try: a bot without Slack or Discord
    # does not otherwise load their SDKs.
    from bot.chat.discord.feedback import alert_message as discord_message
    from bot.chat.slack.feedback import alert_message as slack_message

    alert = build_alert(article, analysis)
    return Trial(
        article, analysis, found.segments, items, alert,
        targets=targets_for(alert.item_ids, settings.routes, subscriptions),
        slack=slack_message(alert),
        discord=discord_message(alert),
        terminal=terminal_text(alert),
    )


# -- the Slack and Discord renderings -------------------------------------------------------

_BOLD = re.compile(r"\*([^*\n]+)\*")
_ITALIC = re.compile(r"(?<![\w])_([^_\n]+)_(?![\w])")
_LINK = re.compile(r"&lt;([^|&\s]+)\|([^&]*)&gt;")


def mrkdwn(text: str) -> Markup:
    """Slack mrkdwn as HTML, for reading: escaped first, then bold, italics, quotes and
    ``<url|label>`` as ``label (url)`` (no link: the console never links out)."""
    html = str(escape(text))
    html = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _ITALIC.sub(r"<em>\1</em>", html)
    lines = []
    for line in html.split("\n"):
        if line.startswith("&gt;"):
            lines.append(f'<span class="quote">{line[4:]}</span>')
        else:
            lines.append(line)
    return Markup("<br>".join(lines))


def block_text(element: Any) -> str:
    """The text of a Block Kit element or text object, whatever its kind."""
    if isinstance(element, dict):
        text = element.get("text")
        if isinstance(text, dict):
            return str(text.get("text", ""))
        if isinstance(text, str):
            return text
    return ""


def routes(
    watchlist: Callable[[], Watchlist],
    settings: Callable[[], Settings],
    subscriptions: Subscribers,
    fetch_text: FetchText,
    run: Offload,
) -> Page:
    """The Try page: the running watchlist and settings, the subscriptions for who would
    receive it, ``fetch_text`` for a URL."""
    table = web.RouteTableDef()

    def page(request: web.Request, *, status: int = 200, **context: Any) -> web.Response:
        form = {"title": "", "text": "", "language": "", "url": "", **context.pop("form", {})}
        return render(
            request, "try.html", status=status, form=form, max_text=MAX_TEXT_CHARS,
            error=context.pop("error", None), result=context.pop("result", None),
            mrkdwn=mrkdwn, block_text=block_text,
        )

    @table.get("/try")
    async def show(request: web.Request) -> web.StreamResponse:
        return page(request)

    @table.post("/try")
    async def try_it(request: web.Request) -> web.StreamResponse:
        data = await request.post()
        form = {k: str(data.get(k, "")) for k in ("title", "text", "language", "url")}
        language = form["language"].strip().lower() or None
        url = form["url"].strip()
        if language is not None and not _LANGUAGE.match(language):
            return page(request, status=400, form=form,
                        error="Language: a two- or three-letter code such as fr, or empty to detect it.")
        if len(form["title"]) > MAX_TITLE_CHARS or len(form["text"]) > MAX_TEXT_CHARS:
            return page(request, status=400, form=form,
                        error=f"Too long: at most {MAX_TITLE_CHARS:,} characters of title and "
                              f"{MAX_TEXT_CHARS:,} of text are matched.")
        text = form["text"]
        if url:
            if len(url) > MAX_URL or not url.startswith(("http://", "https://")):
                return page(request, status=400, form=form,
                            error="URL: an http:// or https:// address.")
            fetched, error = await fetch_text(url)
            if fetched is None:
                return page(request, status=422, form=form, error=f"Could not fetch {url}: {error}")
            text = fetched[:MAX_TEXT_CHARS]
            form["text"] = text
        if not text.strip():
            return page(request, status=400, form=form, error="Paste an article's text, or give its URL.")
        article = article_of(form["title"], text, language, url or None)
        result = await run(trial, article, watchlist(), settings(), subscriptions)
        return page(request, form=form, result=result)

    return Page("Try", "/try", table)
