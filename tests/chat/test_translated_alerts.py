"""A Korean alert through a running bot (the CLI's wiring, in this process) to a local
Slack and a local Discord, translated by a local LibreTranslate: asked once for both
channels, never held past the deadline (late: a post, then an edit of it), and a hostile
translator's pings and markup escaped like any feed text.

What the payload shows of a translation is the renderers' (issue 17's other half); these
tests hold the alert the adapters are handed, and the payloads they post. ``start_bot`` comes
last among the fixtures, so the bot stops before the fakes (and discord.py's endpoints) go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.chat import wording
from bot.models import Alert
from tests.chat.conftest import SEED, Home, RunningBot
from tests.fakes.discord import ADMIN as DISCORD_ADMIN
from tests.fakes.discord import ALERTS as DISCORD_ALERTS
from tests.fakes.discord import GUILD_ID, FakeDiscord, serve
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.fakes.slack import FakeSlack

pytestmark = [pytest.mark.network, pytest.mark.timeout(180)]

RENDERED = hasattr(wording, "shown_translation")
"""The renderers show ``Alert.translation`` (the other half of issue 17, branch tr-render):
from then on the English headline and quote must be in the payloads themselves."""

SLACK_ALERTS = "C0ALERTS"
SLACK_ADMIN = "C0ADMIN"
DOC = Path(__file__).resolve().parents[1] / "data" / "kursk_ko.md"
HEADLINE = "북한군, 쿠르스크 전선에 병력 추가 파견"
QUOTE = "북한군 약 3천 명이 이번 주 쿠르스크에 도착한 것으로 파악된다"
ENGLISH = "North Korean troops: more soldiers sent to the Kursk front"
ENGLISH_QUOTE = "About 3,000 North Korean soldiers are believed to have reached Kursk this week"


SECOND_DOC = """---
title: 쿠르스크 주민들, 겨울 앞두고 난방 복구 촉구
language: ko
source: 가상 통신
---
러시아 쿠르스크 주의 한 마을 주민들이 겨울을 앞두고 파손된 난방 시설의 복구를 요구하고 있다.

지역 행정 책임자는 "다음 달까지 모든 가구에 난방을 공급하겠다"고 약속했다.
"""


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    yield from serve()
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def fake_lt() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate() as fake:
        fake.dictionary = {HEADLINE: ENGLISH, QUOTE: ENGLISH_QUOTE}
        yield fake  # type: ignore[misc]


class Handed:
    """What the adapters were handed (posts and edits), in order, per platform."""

    def __init__(self, bot: RunningBot) -> None:
        self.sent: dict[str, list[Alert]] = {"slack": [], "discord": []}
        self.edited: dict[str, list[Alert]] = {"slack": [], "discord": []}
        for name, adapter in bot.bot.adapters.items():
            self._spy(name, adapter)

    def _spy(self, name: str, adapter: Any) -> None:
        send, update = adapter.send_alert, adapter.update_alert

        async def send_alert(target: Any, alert: Alert) -> Any:
            self.sent[name].append(alert)
            return await send(target, alert)

        async def update_alert(target: Any, message_id: str, alert: Alert) -> Any:
            self.edited[name].append(alert)
            return await update(target, message_id, alert)

        adapter.send_alert, adapter.update_alert = send_alert, update_alert


def start(home: Home, start_bot: Any, monkeypatch: pytest.MonkeyPatch, slack: FakeSlack,
          discord: FakeDiscord, lt: FakeLibreTranslate, **translate: Any) -> tuple[RunningBot, Handed]:
    (home.root / "seeds" / SEED.name).unlink()  # the French seed: this test is about Korean
    for key, value in {**slack.env(), **discord.env()}.items():
        monkeypatch.setenv(key, value)
    config = home.write_config(
        [{"platform": "slack", "channel": SLACK_ALERTS, "items": ["kursk"]},
         {"platform": "discord", "channel": DISCORD_ALERTS, "items": ["kursk"]}],
        slack={"admin_channel": SLACK_ADMIN},
        discord={"admin_channel": DISCORD_ADMIN, "guild_ids": [int(GUILD_ID)]},
        translate={"backend": "libretranslate", "url": lt.url, "to": "en", **translate},
    )
    bot = start_bot(config)
    handed = Handed(bot)
    home.add_seed("kursk_ko.md", DOC.read_text(encoding="utf-8"))
    return bot, handed


def slack_text(slack: FakeSlack, method: str = "chat.postMessage") -> str:
    return json.dumps([c.body for c in slack.received(method, channel=SLACK_ALERTS) if c.ok],
                      ensure_ascii=False)


def discord_text(discord: FakeDiscord, method: str = "POST") -> str:
    path = rf"/channels/{DISCORD_ALERTS}/messages" + (r"/\d+" if method == "PATCH" else "")
    return json.dumps([r.body for r in discord.received(method, path) if r.status == 200],
                      ensure_ascii=False)


def test_a_korean_alert_reaches_slack_and_discord_translated_with_one_request(
    home: Home, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack,
    fake_discord: FakeDiscord, fake_lt: FakeLibreTranslate, start_bot: Any,
) -> None:
    _bot, handed = start(home, start_bot, monkeypatch, fake_slack, fake_discord, fake_lt)
    fake_slack.wait_for(lambda: fake_slack.posts(SLACK_ALERTS), 90, "the Slack alert")
    fake_discord.wait_for(lambda: fake_discord.posts(DISCORD_ALERTS), 90)
    (call,) = fake_lt.translate_calls()  # one request for both channels
    assert call.body["source"] == "ko" and call.body["target"] == "en"
    assert HEADLINE in call.body["q"] and QUOTE in call.body["q"]
    for platform in ("slack", "discord"):
        (alert,) = handed.sent[platform]
        t = alert.translation
        assert t is not None and not t.pending
        assert (t.title, t.quotes, t.source, t.target) == (ENGLISH, (ENGLISH_QUOTE,), "ko", "en")
        assert alert.title == HEADLINE  # the original travels with it
    for posted in (slack_text(fake_slack), discord_text(fake_discord)):
        assert HEADLINE in posted  # the original stays visible
        if RENDERED:
            assert ENGLISH in posted and ENGLISH_QUOTE in posted, posted
    assert not handed.edited["slack"] and not handed.edited["discord"]


def test_a_late_translation_posts_the_original_then_edits_it_in_place(
    home: Home, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack,
    fake_discord: FakeDiscord, fake_lt: FakeLibreTranslate, start_bot: Any,
) -> None:
    fake_lt.hang()
    _bot, handed = start(home, start_bot, monkeypatch, fake_slack, fake_discord, fake_lt,
                         deadline="0.3s")
    fake_slack.wait_for(lambda: fake_slack.posts(SLACK_ALERTS), 90, "the Slack alert")
    fake_discord.wait_for(lambda: fake_discord.posts(DISCORD_ALERTS), 90)
    for platform in ("slack", "discord"):
        (alert,) = handed.sent[platform]
        assert alert.translation is not None and alert.translation.pending
    assert not fake_slack.received("chat.update")
    fake_lt.release()
    fake_slack.wait_for(lambda: [c for c in fake_slack.received("chat.update") if c.ok], 60, "the edit")
    fake_discord.wait_for(lambda: discord_text(fake_discord, "PATCH") != "[]", 60)
    for platform in ("slack", "discord"):
        (edited,) = handed.edited[platform]
        assert edited.translation is not None and not edited.translation.pending
        assert edited.translation.title == ENGLISH
    if RENDERED:
        assert ENGLISH in slack_text(fake_slack, "chat.update")
        assert ENGLISH in discord_text(fake_discord, "PATCH")
    assert len(fake_lt.translate_calls()) == 1
    assert len(fake_slack.posts(SLACK_ALERTS)) == 1 and len(fake_discord.posts(DISCORD_ALERTS)) == 1


SLACK_PINGS = re.compile(r"<!channel>|<!here>|<!everyone>|<@U|(?<![\w`])@everyone|(?<![\w`])@here")
DISCORD_PINGS = re.compile(r"(?<![\w`\u200b])@everyone|(?<![\w`\u200b])@here|<@&\d+>")
"""What would ping on each platform: Slack's special mentions, Discord's @everyone, @here
and role mentions (Discord does not read Slack's ``<!channel>``)."""


def test_a_hostile_translator_pings_nobody(
    home: Home, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack,
    fake_discord: FakeDiscord, fake_lt: FakeLibreTranslate, start_bot: Any,
) -> None:
    fake_lt.render = lambda text, source, target: (
        "<!channel> @everyone @here <@&123456789012345678> *bold* <https://evil.example|click> "
        + text
    )
    _bot, handed = start(home, start_bot, monkeypatch, fake_slack, fake_discord, fake_lt)
    fake_slack.wait_for(lambda: fake_slack.posts(SLACK_ALERTS), 90, "the Slack alert")
    fake_discord.wait_for(lambda: fake_discord.posts(DISCORD_ALERTS), 90)
    (alert,) = handed.sent["slack"]
    assert alert.translation is not None and "<!channel>" in (alert.translation.title or "")
    slack_posted = slack_text(fake_slack)
    assert not SLACK_PINGS.search(slack_posted), slack_posted
    for post in fake_discord.posts(DISCORD_ALERTS):
        mentions = post.body.get("allowed_mentions")
        assert mentions is not None and not mentions.get("parse") and not mentions.get("roles")
        shown = json.dumps(post.body, ensure_ascii=False)
        assert not DISCORD_PINGS.search(shown), shown


def test_a_translator_down_for_a_while_loses_nothing_and_tells_the_admins_once(
    home: Home, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack,
    fake_discord: FakeDiscord, fake_lt: FakeLibreTranslate, start_bot: Any,
) -> None:
    """Down (500s) by the fake's switch rather than the clock, with the retry shortened:
    the alerts go out untranslated at once, the admin channels hear of it once, and when
    the translator answers again every post is edited with its translation."""
    fake_lt.mode = "down"
    _bot, handed = start(home, start_bot, monkeypatch, fake_slack, fake_discord, fake_lt,
                         retry="0.5s")
    fake_slack.wait_for(lambda: fake_slack.posts(SLACK_ALERTS), 90, "the Slack alert")
    fake_discord.wait_for(lambda: fake_discord.posts(DISCORD_ALERTS), 90)
    home.add_seed("kursk_ko_2.md", SECOND_DOC)
    fake_slack.wait_for(lambda: len(fake_slack.posts(SLACK_ALERTS)) == 2, 90, "the second alert")
    fake_discord.wait_for(lambda: len(fake_discord.posts(DISCORD_ALERTS)) == 2, 90)
    for platform in ("slack", "discord"):
        assert all(a.translation is not None and a.translation.pending for a in handed.sent[platform]), (
            platform, [a.translation for a in handed.sent[platform]])

    def admin_texts() -> str:
        return json.dumps(fake_slack.posts(SLACK_ADMIN), ensure_ascii=False)

    fake_slack.wait_for(lambda: "is down" in admin_texts(), 30, "the outage notice")
    fake_lt.wait_calls(len(fake_lt.translate_calls()) + 1)  # it is being asked again
    fake_lt.mode = "ok"
    fake_slack.wait_for(lambda: len([c for c in fake_slack.received("chat.update") if c.ok]) >= 2,
                        60, "the edits")
    fake_discord.wait_for(lambda: len(handed.edited["discord"]) >= 2, 60)
    fake_slack.wait_for(lambda: "is back" in admin_texts(), 30, "the recovery notice")
    for platform in ("slack", "discord"):
        titles = {a.translation.title for a in handed.edited[platform]
                  if a.translation is not None and not a.translation.pending}
        assert titles == {ENGLISH, "[en] 쿠르스크 주민들, 겨울 앞두고 난방 복구 촉구"}, titles
    assert len([p for p in fake_slack.posts(SLACK_ADMIN) if "is down" in json.dumps(p)]) == 1
    assert len(fake_slack.posts(SLACK_ALERTS)) == 2 and len(fake_discord.posts(DISCORD_ALERTS)) == 2
    told = [r for r in fake_discord.posts(DISCORD_ADMIN) if "is down" in json.dumps(r.body)]
    assert len(told) == 1
