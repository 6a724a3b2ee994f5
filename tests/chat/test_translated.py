"""An alert carrying its machine translation (issue 17), as each platform shows it: the
translated headline first with the original under it, each quote translated with its original
one line away, a mark naming the language and the translator, and a translator's output
treated exactly like feed text (escaped, cut to the platform's limits, never a ping)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.chat.console import ConsoleAdapter, render_alert, render_digest
from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.discord.digest import digest_payload as discord_digest
from bot.chat.discord.render import EMBED_TOTAL_MAX, embed_length, units
from bot.chat.discord.render import alert_payload as discord_payload
from bot.chat.slack.adapter import SlackAdapter
from bot.chat.slack.blocks import MAX_BLOCKS
from bot.chat.slack.blocks import alert_payload as slack_payload
from bot.chat.slack.blocks import digest_payload as slack_digest
from bot.chat.wording import LANGUAGE_NAMES, language_name, translation_mark
from bot.commands.dispatch import Commands
from bot.models import Alert, Digest, Match, Quote, Target, Translation
from bot.nlp.languages import LANGUAGES
from bot.settings.sections import DiscordConfig, SlackConfig
from tests.chat.slack.test_blocks import assert_within_limits, texts
from tests.fakes.discord import ALERTS, GUILD_ID, FakeDiscord
from tests.fakes.discord import serve as serve_discord
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.fuzzing import FUZZ, huge, tricky

TITLE = "북한, 쿠르스크 전선에 포탄 추가 공급"
LEAD = "북한이 러시아에 포탄을 추가로 보냈다고 정보당국이 밝혔다."
SAID = "우리는 끝까지 함께할 것이다"
SAID_TOO = "추가 지원은 없다"
EN_TITLE = "North Korea sends more shells to the Kursk front"
EN_LEAD = "North Korea has sent more shells to Russia, intelligence officials said."
EN_SAID = "We will stand together to the end"
MARK = "machine translation from Korean (LibreTranslate)"

DISCORD_PING = re.compile(r"@(everyone|here)\b|<@[!&]?\d+>", re.IGNORECASE)
SLACK_PING = re.compile(r"<[!@#]|@(channel|here|everyone)\b", re.IGNORECASE)
HOSTILE = "<!channel> <!here> @everyone @here <@U0BOSS> <@123456789012345678> <@&123456789012345678>"


def korean(**changes: Any) -> Alert:
    """A Korean wire story about the watchlist, translated into English by LibreTranslate."""
    fields: dict[str, Any] = {
        "id": "0f1e2d3c4b5a6978",
        "title": TITLE,
        "source_name": "연합 와이어",
        "language": "ko",
        "matches": (Match("north-korea", "North Korea", "entity", 4, 6.0, ("북한",), in_title=True),),
        "quotes": (Quote(SAID, "최선희"), Quote(SAID_TOO, None)),
        "url": "https://wire.example/ko/1",
        "lead": LEAD,
        "translation": Translation("en", "ko", EN_TITLE, EN_LEAD, (EN_SAID, None), "LibreTranslate"),
    }
    fields.update(changes)
    return Alert(**fields)


def translated(**changes: Any) -> Alert:
    """:func:`korean` with its translation changed."""
    alert = korean()
    assert alert.translation is not None
    return replace(alert, translation=replace(alert.translation, **changes))


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from strings(value)


def terminal(alert: Alert | Digest, *, colour: bool = False) -> str:
    out = io.StringIO()
    what = render_digest(alert) if isinstance(alert, Digest) else render_alert(alert)
    Console(file=out, width=100, force_terminal=colour, color_system="standard" if colour else None,
            legacy_windows=False).print(what)
    return out.getvalue()


# -- the words -----------------------------------------------------------------------------


def test_every_language_the_bot_detects_has_an_english_name() -> None:
    assert {code: language_name(code) for code in ("ko", "ru", "uk", "ko-KR")} == {
        "ko": "Korean", "ru": "Russian", "uk": "Ukrainian", "ko-KR": "Korean"
    }
    assert all(language_name(code) == LANGUAGE_NAMES[code] for code in LANGUAGES)
    assert language_name("tl") == "tl"  # not in the table: the code itself
    assert translation_mark(Translation("en", "ru", "x", backend="DeepL")) == (
        "machine translation from Russian (DeepL)"
    )
    assert translation_mark(Translation("en", "uk", pending=True)) == (
        "original in Ukrainian · translation pending"
    )


def test_without_a_usable_translation_nothing_changes() -> None:
    plain = korean(translation=None)
    empty = translated(title=None, lead=None, quotes=(None, None))
    blank = translated(title=" \n", lead="", quotes=())
    for alert in (empty, blank):
        assert slack_payload(alert) == slack_payload(plain)
        assert discord_payload(alert) == discord_payload(plain)
        assert terminal(alert) == terminal(plain)
        digest, plain_digest = Digest("Brief", (alert,)), Digest("Brief", (plain,))
        assert slack_digest(digest) == slack_digest(plain_digest)
        assert discord_digest(digest) == discord_digest(plain_digest)


# -- Slack ---------------------------------------------------------------------------------


def test_slack_shows_the_translated_headline_over_the_original_and_says_who_translated() -> None:
    payload = slack_payload(korean())
    blocks = payload["blocks"]
    assert [b["type"] for b in blocks] == [
        "header", "context", "context", "section", "section", "context", "section", "actions",
    ]
    assert blocks[0]["text"]["text"] == EN_TITLE
    assert blocks[1]["elements"][0]["text"] == TITLE
    assert [e["text"] for e in blocks[2]["elements"]] == ["🇰🇷 ko · 연합 와이어", f"_{MARK}_"]
    # The translated quote with its speaker, the original words right under it...
    assert blocks[4]["text"]["text"] == f">“{EN_SAID}”\n>— _최선희_"
    assert blocks[5]["elements"][0]["text"] == f"“{SAID}”"
    # ... and a quote the translator did not return, as the original alone.
    assert blocks[6]["text"]["text"] == f">“{SAID_TOO}”"
    assert payload["text"] == f"North Korea: {EN_TITLE}"
    assert_within_limits(payload)


def test_slack_marks_a_pending_translation_and_shows_the_original() -> None:
    blocks = slack_payload(translated(pending=True, title=None, lead=None, quotes=()))["blocks"]
    assert blocks[0]["text"]["text"] == TITLE
    assert [e["text"] for e in blocks[1]["elements"]][-1] == "_original in Korean · translation pending_"
    assert f">“{SAID}”\n>— _최선희_" in [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert EN_TITLE not in json.dumps(blocks, ensure_ascii=False)


def test_slack_escapes_a_hostile_translation_and_keeps_block_kit_limits() -> None:
    alert = translated(
        title=f"{HOSTILE} <script>alert(1)</script> *bold* " + "Kursk " * 1700,  # ~10,000 chars
        lead=HOSTILE,
        quotes=(f"{HOSTILE} <b>quote</b> **x** " + "q" * 10_000, HOSTILE),
    )
    payload = slack_payload(alert)
    assert_within_limits(payload)
    for text in texts(payload):
        assert not SLACK_PING.search(text), text
        assert len(text) <= 3000
    blocks = payload["blocks"]
    assert blocks[0]["text"]["text"].startswith("&lt;!channel&gt; &lt;!here&gt; @\u200beveryone")
    assert blocks[0]["text"]["text"].endswith("…") and len(blocks[0]["text"]["text"]) <= 150
    quoted = [b["text"]["text"] for b in blocks if b["type"] == "section" and b["text"]["text"][:1] == ">"]
    assert "&lt;b&gt;quote&lt;/b&gt;" in quoted[0]
    assert quoted[1].startswith(">“&lt;!channel&gt;")
    # Both originals are still there under the cut translations.
    assert blocks[1]["elements"][0]["text"] == TITLE
    assert f"“{SAID}”" in texts(payload)


# -- Discord -------------------------------------------------------------------------------


def test_discord_titles_the_embed_in_translation_with_the_originals_in_it() -> None:
    payload = discord_payload(korean())
    (embed,) = payload["embeds"]
    assert embed["title"] == EN_TITLE
    assert embed["description"] == f"*{TITLE}*\n\n{EN_LEAD}\n\n*{LEAD}*"
    quotes = embed["fields"][1:]
    assert quotes[0] == {"name": "최선희", "value": f"“{EN_SAID}”\n*“{SAID}”*", "inline": False}
    assert quotes[1] == {"name": "Quote", "value": f"“{SAID_TOO}”", "inline": False}
    assert embed["footer"]["text"] == f"ko · 연합 와이어 · {MARK}"
    assert payload["content"] == f"North Korea: {EN_TITLE}"
    assert payload["allowed_mentions"] == {"parse": []}
    assert discord.Embed.from_dict(embed).to_dict() == {**embed, "flags": 0}


def test_discord_marks_a_pending_translation_and_shows_the_original() -> None:
    (embed,) = discord_payload(translated(pending=True))["embeds"]
    assert embed["title"] == TITLE
    assert embed["description"] == LEAD
    assert embed["fields"][1]["value"] == f"“{SAID}”"
    assert embed["footer"]["text"].endswith(" · original in Korean · translation pending")


def test_discord_neutralises_a_hostile_translation_and_keeps_embed_limits() -> None:
    alert = translated(
        title=f"{HOSTILE} **x** " + "Kursk " * 1700,
        lead=f"{HOSTILE} [click](https://evil.example) > quoted **x** " + "L" * 10_000,
        quotes=(f"{HOSTILE} **x** `code` " + "q" * 10_000, "*bold* " * 500),
    )
    payload = discord_payload(alert)
    (embed,) = payload["embeds"]
    assert not [t for t in strings(payload) if DISCORD_PING.search(t)]
    assert units(embed["title"]) <= 256 and embed["title"].endswith("…")
    assert units(embed["description"]) <= 4096
    assert all(units(f["value"]) <= 1024 for f in embed["fields"])
    assert embed_length(embed) <= EMBED_TOTAL_MAX
    assert len(discord.Embed.from_dict(embed)) <= EMBED_TOTAL_MAX
    assert "\\*\\*x\\*\\*" in embed["description"]
    assert not re.search(r"(?<!\\)\[[^\]]+\]\(", embed["description"])
    # Each translated quote keeps its original on the next line, even when cut.
    assert embed["fields"][1]["value"].endswith(f"\n*“{SAID}”*")
    assert embed["fields"][2]["value"].startswith("“\\*bold\\*")
    assert embed["footer"]["text"].endswith(MARK)


def test_a_backslash_at_the_end_of_an_original_cannot_undo_its_italics() -> None:
    alert = korean(title="제목 \\", quotes=(Quote("말했다 \\", "최선희"),))
    (embed,) = discord_payload(alert)["embeds"]
    assert embed["description"].startswith("*제목 \\\\*")
    assert embed["fields"][1]["value"].endswith("*“말했다 \\\\”*")


# -- the terminal --------------------------------------------------------------------------


def test_the_terminal_prints_the_translation_then_the_original_dim() -> None:
    lines = terminal(korean()).splitlines()
    assert lines[1:4] == [EN_TITLE, TITLE, MARK]
    assert lines[5:8] == [f"“{EN_SAID}” — 최선희", f" “{SAID}”", f"“{SAID_TOO}”"]
    coloured = terminal(korean(), colour=True)
    assert f"\x1b[2m{TITLE}" in coloured and f"\x1b[2m“{SAID}”" in coloured
    assert "\x1b" not in terminal(korean())  # not a terminal: no colour codes at all


def test_the_terminal_prints_a_hostile_translation_literally() -> None:
    alert = translated(title="[bold red]x[/] \x1b[2J" + "T" * 10_000, quotes=("[link=file:///etc]y[/link]",))
    out = terminal(alert)
    assert "[bold red]x[/]" in out and "\x1b" not in out
    assert "[link=file:///etc]y[/link]" in out
    assert out.count("T") <= 500  # cut, not ten thousand characters of headline


def test_the_terminal_marks_a_pending_translation() -> None:
    lines = terminal(translated(pending=True)).splitlines()
    assert lines[1:3] == [TITLE, "original in Korean · translation pending"]


def test_the_terminal_prints_a_late_translation_again_since_it_cannot_edit() -> None:
    out = io.StringIO()
    adapter = ConsoleAdapter(Console(file=out, width=100))
    here = Target("console", "-")

    async def go() -> None:
        mid = await adapter.send_alert(here, translated(pending=True))
        assert mid is not None
        await adapter.update_alert(here, mid, korean())

    asyncio.run(go())
    printed = out.getvalue()
    assert "translation pending" in printed
    assert printed.index(EN_TITLE) > printed.index("translation pending")
    assert MARK in printed and "also carried by" not in printed


# -- /brief ----------------------------------------------------------------------------------


def test_a_brief_lists_translated_headlines_with_their_originals_and_the_mark() -> None:
    digest = Digest("Brief · North Korea", (korean(), translated(pending=True)))
    (_, _, first, _, second) = slack_digest(digest)["blocks"]
    assert first["text"]["text"].split("\n") == [
        f"*<https://wire.example/ko/1|{EN_TITLE}>*",
        TITLE,
        f"North Korea · ko · 연합 와이어 · {MARK}",
        f">“{EN_SAID}” — 최선희",
    ]
    assert second["text"]["text"].split("\n")[:3] == [
        f"*<https://wire.example/ko/1|{TITLE}>*",
        "North Korea · ko · 연합 와이어 · original in Korean · translation pending",
        f">“{SAID}” — 최선희",
    ]
    description = discord_digest(digest)["embeds"][0]["description"]
    assert description.split("\n\n")[0].split("\n") == [
        f"**[{EN_TITLE}](https://wire.example/ko/1)**",
        f"*{TITLE}*",
        f"North Korea · ko · 연합 와이어 · {MARK}",
        f"“{EN_SAID}” — 최선희",
    ]
    shown = terminal(digest)
    assert EN_TITLE in shown and TITLE in shown and "translation pending" in shown


def test_a_brief_of_many_hostile_translations_keeps_every_limit_and_every_mark() -> None:
    alerts = tuple(
        translated(title=f"{HOSTILE} **x** {i} " + "T" * 10_000, quotes=(HOSTILE * 50,))
        for i in range(80)
    )
    slack = slack_digest(Digest("Brief", alerts))
    assert len(slack["blocks"]) <= MAX_BLOCKS
    assert all(len(t) <= 3000 and not SLACK_PING.search(t) for t in texts(slack))
    payload = discord_digest(Digest("Brief", alerts))
    (embed,) = payload["embeds"]
    assert units(embed["description"]) <= 4096 and embed_length(embed) <= EMBED_TOTAL_MAX
    assert not [t for t in strings(payload) if DISCORD_PING.search(t)]
    entries = [e for e in embed["description"].split("\n\n") if e.startswith("**")]
    assert entries and all(e.split("\n")[2].endswith(MARK) for e in entries)


# -- what newsbot preview prints -----------------------------------------------------------


def test_preview_renders_a_translated_alert_as_json() -> None:
    # ``newsbot preview`` calls the feedback module's ``alert_message`` and dumps it as JSON.
    import bot.chat.discord.feedback as discord_module
    import bot.chat.slack.feedback as slack_module

    for module in (slack_module, discord_module):
        message = module.alert_message(korean(), with_buttons=True)
        text = json.dumps(message, ensure_ascii=False, indent=2)
        assert EN_TITLE in text and TITLE in text and MARK in text


# -- any translation at all ----------------------------------------------------------------

texts_ = st.one_of(st.none(), tricky, st.text(max_size=300), huge, st.just(HOSTILE))


@settings(FUZZ, max_examples=150)
@given(
    title=texts_,
    lead=texts_,
    quotes=st.lists(texts_, max_size=4),
    backend=st.one_of(st.just("DeepL"), tricky, st.text(max_size=60)),
    source=st.one_of(st.sampled_from(sorted(LANGUAGE_NAMES)), st.text(max_size=20)),
    pending=st.booleans(),
)
def test_any_translation_renders_within_limits_and_pings_nobody(
    title: str | None, lead: str | None, quotes: list[str | None], backend: str, source: str,
    pending: bool,
) -> None:
    alert = korean(translation=Translation("en", source, title, lead, tuple(quotes), backend, pending))
    slack = slack_payload(alert)
    assert_within_limits(slack)
    assert all(len(t) <= 3000 and not SLACK_PING.search(t) for t in texts(slack))
    discord_ = discord_payload(alert)
    (embed,) = discord_["embeds"]
    assert not [t for t in strings(discord_) if DISCORD_PING.search(t)]
    assert units(embed["title"]) <= 256 and units(embed.get("description", "")) <= 4096
    assert all(units(f["value"]) <= 1024 for f in embed.get("fields", []))
    assert units(embed.get("footer", {}).get("text", "")) <= 2048
    assert embed_length(embed) <= EMBED_TOTAL_MAX and units(discord_["content"]) <= 2000
    assert "\x1b" not in terminal(alert)


# -- through the real clients, to the fakes ------------------------------------------------


@pytest.mark.network
@pytest.mark.timeout(60)
def test_slack_receives_a_pending_alert_then_its_translation_as_an_edit(fake_slack: FakeSlack) -> None:
    commands: Any = Commands(None, None, None, watchlist=lambda: None)  # type: ignore[arg-type]
    slack = SlackAdapter.from_env(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "NEWSBOT_SLACK_API_URL": fake_slack.api_url}, SlackConfig(), commands
    )
    channel = Target("slack", "C0NEWS")

    async def scenario() -> None:
        await slack.start()
        try:
            ts = await slack.send_alert(channel, translated(pending=True))
            assert ts is not None
            await slack.update_alert(channel, ts, translated(title=f"<!channel> {EN_TITLE}"))
        finally:
            await slack.stop()

    asyncio.run(scenario())
    (post,) = fake_slack.posts("C0NEWS")
    assert post["blocks"][0]["text"]["text"] == TITLE
    assert "translation pending" in json.dumps(post["blocks"], ensure_ascii=False)
    (edit,) = fake_slack.received("chat.update")
    blocks = edit.body["blocks"]
    assert blocks[0]["text"]["text"] == f"&lt;!channel&gt; {EN_TITLE}"
    assert blocks[1]["elements"][0]["text"] == TITLE
    assert f"_{MARK}_" in [e["text"] for e in blocks[2]["elements"]]
    assert not SLACK_PING.search(edit.body["text"])


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve_discord()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.mark.network
@pytest.mark.timeout(120)
def test_discord_receives_a_pending_alert_then_its_translation_as_an_edit(
    fake_discord: FakeDiscord, commands: Commands
) -> None:
    adapter = DiscordAdapter.from_env(fake_discord.env(), DiscordConfig(guild_ids=[int(GUILD_ID)]), commands)
    adapter.guild_ready_timeout = 0.2
    adapter.pacer.interval = 0.0
    target = Target("discord", ALERTS)

    async def scenario() -> None:
        await adapter.start()
        try:
            first = await adapter.send_alert(target, translated(pending=True))
            assert first is not None
            await adapter.update_alert(target, first, translated(quotes=(f"{HOSTILE} {EN_SAID}", None)))
        finally:
            await adapter.stop()

    asyncio.run(asyncio.wait_for(scenario(), timeout=90))
    (post,) = fake_discord.posts(ALERTS)
    assert post.body["embeds"][0]["title"] == TITLE
    assert post.body["embeds"][0]["footer"]["text"].endswith("translation pending")
    (patch,) = fake_discord.received("PATCH", rf"/channels/{ALERTS}/messages/\d+")
    embed = patch.body["embeds"][0]
    assert embed["title"] == EN_TITLE
    assert embed["description"].startswith(f"*{TITLE}*")
    assert embed["fields"][1]["value"].endswith(f"{EN_SAID}”\n*“{SAID}”*")
    assert embed["footer"]["text"].endswith(MARK)
    assert patch.body["allowed_mentions"] == {"parse": []}
    assert not [t for t in strings(patch.body) if DISCORD_PING.search(t)]
