"""Watchlist errors name the file and line, so an admin can fix them in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlp.watchlist import Watchlist, load_watchlist, parse_watchlist
from bot.yamlfile import ConfigError

from .conftest import ROOT


def test_shipped_watchlist_has_the_default_ids(watchlist: Watchlist) -> None:
    assert set(watchlist.ids()) == {"north-korea", "kursk", "arms-transfers", "russia", "ukraine"}
    item = watchlist.get("arms-transfers")
    assert item is not None and item.kind == "topic" and item.rule is not None
    assert watchlist.get("nope") is None
    for item in watchlist.items:
        if item.kind == "entity":
            assert {"en", "fr", "de", "es", "ru", "uk", "ko"} <= set(item.aliases)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "items:\n  - id: kursk\n    name: Kursk\n    aliases: {en: [Kursk\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_watchlist(path)
    assert str(err.value).startswith(f"{path}:5:") or str(err.value).startswith(f"{path}:4:")
    assert "YAML syntax error" in str(err.value)


def test_unknown_field_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(
        "items:\n  - id: kursk\n    name: Kursk\n    aliases: {en: [Kursk]}\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_watchlist(path)
    assert str(err.value) == f"{path}:5: items[0].colour: unknown field 'colour'"


def test_duplicate_id_names_the_second_one() -> None:
    text = (
        "items:\n"
        "  - id: kursk\n    name: Kursk\n    aliases: {en: [Kursk]}\n"
        "  - id: kursk\n    name: Again\n    aliases: {en: [Kursk]}\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_watchlist(text, "w.yaml")
    assert str(err.value).startswith("w.yaml:5: items[1].id: duplicate id 'kursk'")


@pytest.mark.parametrize(
    ("snippet", "line", "words"),
    [
        ("    aliases: {en: [Ku*rsk]}\n", 4, "may only end a word"),
        ("    aliases: {english: [Kursk]}\n", 4, "not a language code"),
        ("    aliases: {en: [Kursk]}\n    min_score: 0\n", 5, "greater than 0"),
        ("    aliases: {}\n", 2, "at least one alias"),
        ("    aliases: {en: [Kursk]}\n    rule: {all_of: [{en: [x]}]}\n", 2, "only a topic"),
        ("    aliases: {en: [Kursk]}\n    also: [{all_of: [{en: [x]}]}]\n", 2, "only a topic"),
        (
            "    kind: topic\n    aliases: {en: [x]}\n    also: [{all_of: [{en: [y]}]}]\n",
            2,
            "give 'rule' first",
        ),
        (
            "    kind: topic\n    rule: {within: 3, all_of: [{en: [x]}]}\n"
            "    also: [{all_of: [{en: [y]}]}]\n",
            2,
            "same 'within'",
        ),
    ],
)
def test_bad_values(snippet: str, line: int, words: str) -> None:
    text = "items:\n  - id: kursk\n    name: Kursk\n" + snippet
    with pytest.raises(ConfigError) as err:
        parse_watchlist(text, "w.yaml")
    assert str(err.value).startswith(f"w.yaml:{line}:"), str(err.value)
    assert words in str(err.value)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match=r":1: file not found"):
        load_watchlist(ROOT / "config" / "does-not-exist.yaml")
