"""The terminal adapter: what `make run` shows, and that feed text cannot drive the terminal."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len
from rich.console import Console

from bot.chat.base import ChatAdapter, DeliveryError
from bot.chat.console import ConsoleAdapter, pack, render_alert, render_digest
from bot.models import Alert, Digest, Match, Quote, Target

WHEN = datetime(2024, 11, 1, 9, 30, tzinfo=UTC)
HERE = Target(platform="console", channel="-")

NORTH_KOREA = Match(
    "north-korea",
    "North Korea",
    "entity",
    14,
    9.5,
    ("Corée du Nord", "nord-coréens"),
    spans=((0, 13),),
    in_title=True,
)
KURSK = Match("kursk", "Kursk", "entity", 3, 3.0, ("Koursk",), spans=((400, 406),))
ARMS = Match(
    "arms-transfers",
    "Arms transfers",
    "topic",
    3,
    2.5,
    ("fournir … obus … missiles", "envoyer des armes"),
    spans=((300, 340),),
)


def seed_alert(**changes: object) -> Alert:
    """An alert like the design's example for the seed file."""
    fields: dict[str, object] = {
        "id": "b5e3709a28e5c677",
        "title": "La Corée du Nord sera aux côtés de la Russie jusqu'à sa « victoire » en Ukraine",
        "source_name": "seed file",
        "language": "fr",
        "matches": (NORTH_KOREA, KURSK, ARMS),
        "quotes": (
            Quote(
                "Nous réaffirmons que nous serons toujours fermement aux côtés de nos "
                "camarades russes jusqu'au jour de la victoire",
                "Choe Son Hui",
                120,
                230,
            ),
            Quote(
                "Nous n'avons pas encore vu ces troupes se déployer pour combattre les forces "
                "ukrainiennes",
                "Antony Blinken",
                420,
                510,
            ),
        ),
        "location": "seeds/000_b5e3709a28e5c677.txt",
        "created_at": WHEN,
        "lead": "… a prévenu à Moscou le ministre, au moment où l'Occident dénonce le "
        "déploiement de milliers de soldats nord-coréens.",
    }
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]


def plain_console(width: int = 100) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=width), out


def render(renderable: object, width: int = 100) -> str:
    console, out = plain_console(width)
    console.print(renderable)
    return out.getvalue()


def test_alert_reads_like_the_design_example() -> None:
    lines = render(render_alert(seed_alert())).splitlines()
    assert lines[0].startswith("● North Korea · Kursk · Arms transfers ")
    assert lines[0].endswith(" fr · seed file")
    assert len(lines[0]) == 100  # the source sits at the right edge
    assert lines[1] == (
        "La Corée du Nord sera aux côtés de la Russie jusqu'à sa « victoire » en Ukraine"
    )
    assert lines[2] == (
        'why   North Korea ×14 in title and lead ("Corée du Nord", "nord-coréens") · '
        'Kursk ×3 ("Koursk")'
    )
    # the next part would not fit: it starts a line of its own, under the first
    assert lines[3] == (
        '      Arms transfers ×3 ("fournir … obus … missiles", "envoyer des armes")'
    )
    assert lines[4] == (
        "«\u00a0Nous réaffirmons que nous serons toujours fermement aux côtés de nos camarades "
        "russes jusqu'au"
    )
    assert lines[5] == "  jour de la victoire\u00a0» — Choe Son Hui"  # hangs under the «
    assert lines[6].startswith("«\u00a0Nous n'avons pas encore vu")
    assert lines[-1] == "seeds/000_b5e3709a28e5c677.txt"
    assert all(line == line.rstrip() for line in lines[1:])  # no padding to the width


def test_narrow_terminal_wraps_without_overflowing() -> None:
    text = render(render_alert(seed_alert()), width=50)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= 50
    assert lines[:4] == [
        "● North Korea · Kursk · Arms transfers",
        "fr · seed file",  # no room at the right edge: its own line
        "La Corée du Nord sera aux côtés de la Russie",
        "jusqu'à sa « victoire » en Ukraine",
    ]
    assert lines[4].startswith("why   North Korea ×14")
    # each why-part starts its own line rather than being split after a " · "
    assert '      Kursk ×3 ("Koursk")' in lines
    # French quotation marks stay with their words
    assert "  ukrainiennes\u00a0» — Antony Blinken" in lines
    assert all(line == line.rstrip() for line in lines)
    assert not any(line.rstrip().endswith("·") for line in lines)


def test_hostile_feed_text_prints_literally_and_cannot_drive_the_terminal() -> None:
    hostile = "[bold]x[/bold] \x1b[31m<!channel> @everyone [link=file:///etc/passwd]y[/link]"
    alert = seed_alert(
        title=hostile,
        source_name="Evil\x1b]0;owned\x07 feed [red]",
        quotes=(Quote("[blink]bonjour[/blink]\x1b[2J tout le monde", "Kim\x1b[5m", 0, 10),),
        matches=(Match("kursk", "Kursk", "entity", 1, 1.0, ("Koursk\x1b[1A",)),),
    )
    for force_terminal in (False, True):
        out = io.StringIO()
        Console(file=out, force_terminal=force_terminal, width=120).print(render_alert(alert))
        text = out.getvalue()
        assert "[bold]x[/bold] <!channel> @everyone [link=file:///etc/passwd]y[/link]" in text
        assert "Evil feed [red]" in text
        assert "[blink]bonjour[/blink] tout le monde" in text
        assert "Kim" in text
        assert '("Koursk")' in text
        for sequence in ("\x1b[31m", "\x1b]0;", "\x07", "\x1b[2J", "\x1b[5m", "\x1b[1A"):
            assert sequence not in text
    plain = render(render_alert(alert))
    assert "\x1b" not in plain  # not a terminal: no escapes at all
    assert "tout le monde\u00a0» — Kim" in plain


def test_no_color_gives_plain_text_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=100).print(render_alert(seed_alert()))
    params = {p for sgr in re.findall(r"\x1b\[([0-9;]*)m", out.getvalue()) for p in sgr.split(";")}
    assert not params & {str(n) for n in [*range(30, 39), *range(90, 98)]}  # no colours
    assert "North Korea ×14" in out.getvalue()


def test_send_alert_prints_each_alert_separated_by_a_rule() -> None:
    console, out = plain_console()
    adapter = ConsoleAdapter(console)
    assert adapter.platform == "console"
    first = asyncio.run(adapter.send_alert(HERE, seed_alert()))
    asyncio.run(adapter.send_alert(HERE, seed_alert(title="Deuxième alerte")))
    assert first == seed_alert().id  # the alert id stands in, so a later update can name it
    lines = out.getvalue().splitlines()
    assert lines.count("─" * 100) == 1
    rule = lines.index("─" * 100)
    assert lines[rule + 2] == "Deuxième alerte"
    assert lines[rule - 1] == "seeds/000_b5e3709a28e5c677.txt"


def test_empty_digest_says_nothing_matched_over_the_span_asked() -> None:
    digest = Digest(
        "Brief: Kursk, last 24 h", (), since=WHEN - timedelta(hours=24), item_id="kursk"
    )
    lines = render(render_digest(digest, now=WHEN)).splitlines()
    assert lines == ["Brief: Kursk, last 24 h", "No alerts for kursk in the last 24 h."]


def test_digest_lists_its_alerts_between_rules() -> None:
    digest = Digest(
        "Brief: all watch items, last 48 h",
        (seed_alert(), seed_alert(title="Des obus pour Moscou", quotes=())),
        since=WHEN - timedelta(hours=48),
        notes=("2 older alerts not shown",),
    )
    console, out = plain_console()
    asyncio.run(ConsoleAdapter(console).send_digest(HERE, digest))
    lines = out.getvalue().splitlines()
    assert lines[0] == "Brief: all watch items, last 48 h · 2 alerts"
    assert lines[1] == "2 older alerts not shown"
    assert lines.count("─" * 100) == 2
    titles = [lines[i + 2] for i, line in enumerate(lines) if line == "─" * 100]
    assert titles == [seed_alert().title, "Des obus pour Moscou"]


def test_an_unwritable_output_is_a_permanent_delivery_error() -> None:
    class FullDisk(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError(28, "No space left on device")

    adapter = ConsoleAdapter(Console(file=FullDisk(), force_terminal=False))
    with pytest.raises(DeliveryError) as caught:
        asyncio.run(adapter.send_alert(HERE, seed_alert()))
    assert caught.value.permanent and caught.value.retry_after is None


def test_the_adapter_interface_is_small_and_platform_neutral() -> None:
    with pytest.raises(TypeError):
        ChatAdapter()  # type: ignore[abstract]

    class Minimal(ChatAdapter):
        platform = "test"

        async def send_alert(self, target: Target, alert: Alert) -> str | None:
            return "m1"

        async def send_digest(self, target: Target, digest: Digest) -> str | None:
            return None

    async def use() -> str | None:
        async with Minimal() as adapter:  # start/stop default to doing nothing
            return await adapter.send_alert(HERE, seed_alert())

    assert asyncio.run(use()) == "m1"
    limited = DeliveryError("rate limited", retry_after=1.5)
    assert not limited.permanent and limited.retry_after == 1.5


def test_pack_keeps_parts_whole() -> None:
    assert pack(["aaaa", "bbbb", "cccc"], 11) == ["aaaa · bbbb", "cccc"]
    assert pack(["a very long part"], 5) == ["a very long part"]
