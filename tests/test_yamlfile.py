"""bot.yamlfile: one parse per load, and every error is ``path:line: message``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from bot.nlp.watchlist import parse_watchlist
from bot.yamlfile import ConfigError, load_model, parse_yaml, validate


class _Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "x"
    sizes: list[int] = []


@pytest.fixture
def loaders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every YAML loader created (i.e. every parse of a text)."""
    created: list[str] = []
    original = yaml.SafeLoader.__init__

    def init(self: yaml.SafeLoader, stream: Any) -> None:
        created.append(stream if isinstance(stream, str) else "<stream>")
        original(self, stream)

    monkeypatch.setattr(yaml.SafeLoader, "__init__", init)
    return created


def test_parse_yaml_parses_once_and_keeps_the_node_tree(loaders: list[str]) -> None:
    data, root = parse_yaml("name: a\nsizes: [1, 2]\n", "c.yaml")
    assert data == {"name": "a", "sizes": [1, 2]}
    assert isinstance(root, yaml.MappingNode)
    assert len(loaders) == 1


def test_parse_watchlist_parses_once(loaders: list[str]) -> None:
    wl = parse_watchlist("items:\n  - id: kursk\n    name: Kursk\n    aliases: {en: [Kursk]}\n")
    assert wl.ids() == ("kursk",)
    assert len(loaders) == 1


def test_empty_document() -> None:
    assert parse_yaml("", "c.yaml") == (None, None)
    assert parse_yaml("# only a comment\n", "c.yaml") == (None, None)
    assert load_model(_Cfg, "c.yaml", "").name == "x"


def test_anchors_and_aliases_are_allowed() -> None:
    data, _ = parse_yaml("a: &s [1, 2]\nb: *s\n", "c.yaml")
    assert data == {"a": [1, 2], "b": [1, 2]}


def test_syntax_and_construction_errors_name_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^c\.yaml:3: YAML syntax error: mapping values"):
        parse_yaml("name: a\nsizes: [1]\nb: c: d\n", "c.yaml")
    # a constructor error (unhashable key) is found after composing; still path:line
    with pytest.raises(ConfigError, match=r"^c\.yaml:2: YAML syntax error"):
        parse_yaml("name: a\n? [x]\n: 1\n", "c.yaml")
    with pytest.raises(ConfigError, match=r"^c\.yaml:\d+: YAML syntax error"):
        parse_yaml("a: 1\n---\nb: 2\n", "c.yaml")  # two documents


def test_validate_uses_already_parsed_data_for_lines(tmp_path: Path) -> None:
    text = "name: a\nsizes:\n  - 1\n  - two\ncolour: red\n"
    data, root = parse_yaml(text, "c.yaml")
    with pytest.raises(ConfigError) as err:
        validate(_Cfg, data, root, "c.yaml")
    assert err.value.problems == [
        "c.yaml:4: sizes[1]: Input should be a valid integer, unable to parse string as an integer",
        "c.yaml:5: colour: unknown field 'colour'",
    ]
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as again:
        load_model(_Cfg, path)
    assert [p.split(":", 2)[1:] for p in again.value.problems] == [
        p.split(":", 2)[1:] for p in err.value.problems
    ]
