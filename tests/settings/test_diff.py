"""What the admin channel is told after an edit: the diff of two watchlists or two configs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.nlp.watchlist import parse_watchlist
from bot.settings.diff import (
    describe_settings_diff,
    describe_watchlist_diff,
    keep_running,
    settings_diff,
    watchlist_diff,
)
from bot.settings.model import Settings

BEFORE = parse_watchlist(
    """
items:
  - id: north-korea
    name: North Korea
    aliases:
      en: [North Korea*, Kim Jong Un]
      fr: [Corée du Nord, RPDC]
  - id: kursk
    name: Kursk
    aliases:
      en: [Kursk*]
  - id: ukraine
    name: Ukraine
    aliases:
      en: [Ukrain*]
"""
)

AFTER = parse_watchlist(
    """
items:
  - id: north-korea
    name: North Korea
    aliases:
      en: [North Korea*, Kim Jong Un, Kim Jong-un]
      fr: [Corée du Nord]
      ko: [북한*]
    min_score: 2
  - id: ukraine
    name: Ukraine
    aliases:
      en: [Ukrain*]
  - id: choe-son-hui
    name: Choe Son Hui
    aliases:
      any: [Choe Son Hui]
"""
)


def test_watchlist_diff_lists_items_and_aliases_per_language() -> None:
    diff = watchlist_diff(BEFORE, AFTER)
    assert [i.id for i in diff.added] == ["choe-son-hui"]
    assert [i.id for i in diff.removed] == ["kursk"]
    (change,) = diff.changed
    assert change.id == "north-korea"
    assert change.aliases_added == {"en": ("Kim Jong-un",), "ko": ("북한*",)}
    assert change.aliases_removed == {"fr": ("RPDC",)}
    assert change.other == ("min_score",)
    assert describe_watchlist_diff(diff) == [
        "added choe-son-hui (Choe Son Hui)",
        "removed kursk (Kursk)",
        "north-korea: aliases added en: Kim Jong-un; ko: 북한* · aliases removed fr: RPDC"
        " · min_score changed",
    ]


def test_an_unchanged_watchlist_has_nothing_to_say() -> None:
    assert not watchlist_diff(BEFORE, BEFORE)
    assert describe_watchlist_diff(watchlist_diff(BEFORE, BEFORE)) == []


def test_a_reordering_is_said_in_a_word() -> None:
    swapped = BEFORE.model_copy(update={"items": list(reversed(BEFORE.items))})
    assert describe_watchlist_diff(watchlist_diff(BEFORE, swapped)) == ["items reordered"]


def test_other_fields_of_an_item_are_named_not_itemised() -> None:
    renamed = parse_watchlist(
        """
items:
  - id: kursk
    name: Kursk region
    aliases:
      en: [Kursk*]
    exclude:
      en: [Kursky station]
"""
    )
    old = parse_watchlist("items:\n  - id: kursk\n    name: Kursk\n    aliases:\n      en: [Kursk*]\n")
    assert describe_watchlist_diff(watchlist_diff(old, renamed)) == ["kursk: name, exclude changed"]


def settings(**values: object) -> Settings:
    return Settings.model_validate(values).model_copy(
        update={"database_url": "sqlite:///x.db", "base_dir": Path("/srv/newsbot")}
    )


def test_settings_diff_names_feeds_routes_admins_and_values() -> None:
    old = settings(
        feeds=[{"url": "https://a.example/rss", "name": "A"}, {"url": "https://b.example/rss"}],
        routes=[{"platform": "slack", "channel": "C1", "items": ["kursk"]}],
        admins=["U1"],
        scan_interval="60s",
    )
    new = settings(
        feeds=[
            {"url": "https://a.example/rss", "name": "A", "interval": "10m"},
            {"url": "https://c.example/rss", "name": "C"},
        ],
        routes=[{"platform": "slack", "channel": "C1", "items": ["kursk", "russia"]}],
        admins=["U1", "discord:42"],
        scan_interval="30s",
        slack={"admin_channel": "C0ADMIN"},
    )
    diff = settings_diff(old, new)
    assert [f.url for f in diff.feeds_added] == ["https://c.example/rss"]
    assert [f.url for f in diff.feeds_removed] == ["https://b.example/rss"]
    assert [(f.url, fields) for f, fields in diff.feeds_changed] == [
        ("https://a.example/rss", ("interval",))
    ]
    assert diff.changed("scan_interval") and not diff.restart
    assert describe_settings_diff(diff) == [
        "feeds added: C (https://c.example/rss)",
        "feeds removed: https://b.example/rss",
        "feed A (https://a.example/rss): interval changed",
        "routes changed: + slack C1 [kursk, russia]; - slack C1 [kursk]",
        "admins added: discord:42",
        "scan_interval: 1m → 30s",
        "slack.admin_channel: none → C0ADMIN",
    ]


def test_what_needs_a_restart_is_said_and_the_running_value_kept() -> None:
    old = settings(slack={"http_port": 3000, "admin_channel": "C1"}, story_window="48h")
    new = settings(slack={"http_port": 3100, "admin_channel": "C2"}, story_window="24h",
                   websub={"callback_url": "https://bot.example/websub"})
    diff = settings_diff(old, new)
    assert [name for name, _, _ in diff.restart] == ["websub", "slack.http_port"]
    lines = describe_settings_diff(diff)
    assert "slack.http_port: 3000 → 3100 needs a restart; the running value is kept until then" in lines
    assert "story_window: 2d → 1d" in lines
    kept = keep_running(old, new)
    assert kept.slack.http_port == 3000 and kept.slack.admin_channel == "C2"
    assert kept.websub.callback_url is None
    assert kept.story_window == timedelta(hours=24)
    assert kept.database_url == "sqlite:///x.db"


def test_the_environment_only_fields_never_count_as_changes() -> None:
    a = settings()
    b = a.model_copy(update={"database_url": "postgresql://db/newsbot", "base_dir": Path("/elsewhere")})
    assert not settings_diff(a, b)
