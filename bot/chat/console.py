"""The terminal as a chat platform: what ``make run`` shows without any chat account.

Everything that came from a feed is printed as ``rich.text.Text`` (never as markup), after
:mod:`bot.text` removed escape sequences, so a title like ``[bold]x[/]`` or one carrying
``ESC[2J`` prints literally and cannot recolour the terminal or move the cursor. rich picks
the width from the terminal and drops colours when output is not a terminal or ``NO_COLOR``
is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.rule import Rule
from rich.text import Text

from bot.chat.base import ChatAdapter, DeliveryError, ThreadReply
from bot.chat.wording import (
    empty_digest_text,
    followup_line,
    items_line,
    quote_body,
    shown_translation,
    source_line,
    translated_quote_body,
    translated_title,
    translation_mark,
    why_parts,
)
from bot.models import Alert, Digest, FollowUp, Target
from bot.text import clean_line, display_url, strip_controls

_GLUE = "\u2800"
"""A blank that is not whitespace to rich's line breaker; stands in for no-break spaces."""

LABEL = "why   "
"""The why-lines hang under this label, as in the design's example."""


def pack(parts: Iterable[str], width: int, sep: str = " · ") -> list[str]:
    """Join ``parts`` with ``sep`` into as few lines of ``width`` cells as possible,
    never breaking a part across lines unless it is wider than a line by itself."""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}{sep}{part}" if line else part
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


class AlertView:
    """One alert laid out for the terminal; a rich renderable that adapts to the width.

    ::

        ● North Korea · Kursk · Arms transfers                    fr · seed file
        La Corée du Nord sera aux côtés de la Russie jusqu'à sa « victoire » en Ukraine
        why   North Korea ×14 in title and lead ("Corée du Nord", "nord-coréens")
              Kursk ×3 ("Koursk") · Arms transfers ×3 ("fournir … obus … missiles")
        « Nous réaffirmons … » — Choe Son Hui
        seeds/000_b5e3709a28e5c677.txt
    """

    def __init__(self, alert: Alert) -> None:
        self.alert = alert

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        alert = self.alert
        width = options.max_width

        # Items on the left, language and source at the right edge when they fit there.
        items = Text(items_line(alert), style="bold")
        header = list(_hanging(console, Text.assemble(("● ", "bold cyan")), items, width))
        source = source_line(alert)
        gap = width - header[-1].cell_len - cell_len(source)
        if gap >= 2:
            header[-1].append(" " * gap)
            header[-1].append(source, style="dim")
        elif source:
            header.append(Text(source, style="dim", overflow="fold"))
        yield from header
        translated = translated_title(alert)
        title = Text(translated or clean_line(alert.title) or "(untitled)", style="bold")
        yield from _hanging(console, Text(), title, width)
        tr = shown_translation(alert)
        if translated:
            yield from _hanging(console, Text(), Text(clean_line(alert.title), style="dim"), width)
        if tr is not None:
            yield from _hanging(console, Text(), Text(translation_mark(tr), style="dim italic"), width)

        lines = pack(why_parts(alert), max(20, width - len(LABEL)))
        for i, line in enumerate(lines):
            label = Text.assemble((LABEL if i == 0 else " " * len(LABEL), "dim"))
            yield from _hanging(console, label, Text(line), width)

        for i, quote in enumerate(alert.quotes):
            said = quote_body(quote, alert.language)
            translated_quote = translated_quote_body(alert, i)
            body = translated_quote or said
            # Wrapped lines hang under the opening mark, as in a printed quotation.
            opening = body[0] + ("\u00a0" if body[1:2] == "\u00a0" else "")
            rest = Text(body[len(opening) :])
            speaker = clean_line(quote.speaker)
            if speaker:
                rest.append(" — ", style="dim")
                rest.append(speaker, style="italic")
            yield from _hanging(console, Text(opening), rest, width)
            if translated_quote:
                # The original words on the next line, hanging under the translation.
                indent = Text(" " * cell_len(opening))
                yield from _hanging(console, indent, Text(said, style="dim"), width)

        where = clean_line(alert.location or alert.url)
        if where:
            yield Text(where, style="dim", overflow="fold")


def _hanging(console: Console, first: Text, body: Text, width: int) -> Iterable[Text]:
    """``body`` wrapped to ``width`` with ``first`` before its first line and its later
    lines indented to match, without the trailing padding a table would add."""
    indent = first.cell_len
    room = max(10, width - indent)
    # rich breaks lines at any whitespace, no-break spaces included; hide them while
    # wrapping so « and » stay with their words.
    glued = body.copy()
    glued.plain = body.plain.replace("\u00a0", _GLUE)
    for i, line in enumerate(glued.wrap(console, room)):
        line.rstrip()
        line.plain = line.plain.replace(_GLUE, "\u00a0")
        prefix = first.copy() if i == 0 else Text(" " * indent)
        prefix.append_text(line)
        prefix.no_wrap = True
        prefix.overflow = "fold"
        yield prefix


def render_alert(alert: Alert) -> RenderableType:
    """The alert as a rich renderable: header, headline, why-lines, quotes, location."""
    return AlertView(alert)


def render_digest(digest: Digest, *, now: datetime | None = None) -> RenderableType:
    """A digest: its title, any notes, then each alert between rule lines.

    An empty digest says what was asked for and over which span, so "nothing happened"
    cannot be mistaken for "the bot is broken".
    """
    parts: list[RenderableType] = []
    title = clean_line(digest.title)
    if title:
        heading = Text(title, style="bold")
        if digest.alerts:
            n = len(digest.alerts)
            heading.append(f" · {n} alert{'s' if n != 1 else ''}", style="dim")
        parts.append(heading)
    for note in digest.notes:
        parts.append(Text(clean_line(note), style="dim"))
    if not digest.alerts:
        parts.append(Text(empty_digest_text(digest, now)))
    for alert in digest.alerts:
        parts.append(Rule(style="dim"))
        parts.append(AlertView(alert))
    return Group(*parts)


class ConsoleAdapter(ChatAdapter):
    """Prints alerts and digests to a terminal (or any file a rich ``Console`` writes to).

    Every target is the same terminal; the channel name is not shown. Successive messages
    are separated by a rule line.
    """

    platform = "console"
    digest_limit = 100

    def __init__(self, console: Console | None = None) -> None:
        self.console = console if console is not None else Console()
        self._printed = 0

    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        """Print the alert; its id stands in for a message id, so updates can name it."""
        await self._print(render_alert(alert))
        return alert.id

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        """A terminal cannot edit what it printed: one short line says who else carried it,
        or, when the edit brings a translation that arrived late, the alert is printed again
        translated (it carries its mark and originals)."""
        tr = alert.translation
        if tr is not None and not tr.pending and shown_translation(alert) is not None:
            await self._print(render_alert(alert))
            return message_id
        others = ", ".join(clean_line(o, 80) for o in alert.also_in)
        title = clean_line(alert.title, 80)
        await self._print(Text(f"↳ also carried by {others}: {title}", style="dim"))
        return message_id

    async def send_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        """A terminal has no threads: the follow-up is one indented line under the rule."""
        link = f": {display_url(followup.url)}" if followup.url else ""
        title = f" ({clean_line(alert.title, 80)})" if alert is not None else ""
        await self._print(Text(f"↳ {followup_line(followup)}{title}{link}", style="dim"))
        return ThreadReply(message_id)

    async def send_digest(
        self, target: Target, digest: Digest, key: str | None = None
    ) -> str | None:
        """Print the digest; None, as for alerts."""
        await self._print(render_digest(digest))
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        """Print an operational notice as plain text."""
        await self._print(Text(strip_controls(text, keep_newlines=True)))
        return None

    async def _print(self, renderable: RenderableType) -> None:
        # Synchronous on purpose: no await between the rule and the message, so two
        # messages can never interleave.
        try:
            if self._printed:
                self.console.print(Rule(style="dim"))
            self.console.print(renderable)
            self._printed += 1
        except OSError as exc:  # closed pipe (``newsbot run | head``), full disk
            raise DeliveryError(f"cannot write to the console: {exc}", permanent=True) from exc
