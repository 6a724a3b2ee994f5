"""config/newsbot.yaml: what operators get wrong, told with file and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings.model import load_settings
from bot.settings.sections import parse_duration
from bot.yamlfile import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config").mkdir(exist_ok=True)
    path = tmp_path / "config" / "newsbot.yaml"
    path.write_text(text)
    return path


def test_shipped_config_loads_and_secrets_come_from_the_environment() -> None:
    s = load_settings(ROOT / "config" / "newsbot.yaml", env={"NEWSBOT_DATABASE_URL": "sqlite:///x.db"})
    assert s.database_url == "sqlite:///x.db"
    assert s.base_dir == ROOT
    assert s.resolve(s.watchlist) == ROOT / "config" / "watchlist.yaml"
    assert all(f.url.startswith("https://") for f in s.feeds)
    assert load_settings(ROOT / "config" / "newsbot.yaml", env={}).database_url == (
        "sqlite:///data/newsbot.db"
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("feeds:\n  - url: https://a.example/rss\n  - url: https://a.example/rss\n", 1, "twice"),
        ("feeds:\n  - url: https://a.example/rss\n    interval: 10s\n", 3, "at least 30s"),
        ("routes:\n  - platform: slak\n    channel: C1\n", 2, "slak"),
        ("database_url: postgresql://u:secret@db/x\n", 1, "environment"),
        ("feeds:\n  - url: https://a.example/rss\n    intervall: 5m\n", 3, "intervall"),
        ("cluster:\n  lease: 1s\n", 2, "shorter than 3s"),
        ("translate:\n  backend: deepl\n  to: english\n", 3, "'english' is not a language code"),
        ("translate:\n  backend: libretranslate\n", 1, "needs translate.url"),
        ("translate:\n  backend: google\n", 2, "libretranslate"),
        ("routes:\n  - platform: slack\n    channel: C1\n    lang: fr-fr-fr\n", 4, "not a language code"),
    ],
)
def test_mistakes_are_refused_with_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert f"{path}:{line}:" in str(err.value)
    assert words in str(err.value)
    assert "secret" not in str(err.value)


def test_durations_read_as_people_write_them() -> None:
    assert parse_duration("90") == timedelta(seconds=90)
    assert parse_duration("5m") == timedelta(minutes=5)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration(" 7d ") == timedelta(days=7)
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_translation_is_off_unless_configured_and_codes_are_normalised(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "feeds: []\n"), env={}).translate is None
    path = write(tmp_path, "translate:\n  backend: deepl\n  to: EN_gb\nroutes:\n"
                 "  - platform: slack\n    channel: C1\n    lang: FR\n")
    settings = load_settings(path, env={})
    assert settings.translate is not None and settings.translate.to == "en-gb"
    assert settings.routes[0].lang == "fr"
