"""Load an admin-edited YAML file into a pydantic model, with errors as ``path:line: message``.

Admins edit these files by hand while the bot runs; an error that names the line is the
difference between a two-second fix and a support ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import ConfigError

__all__ = ["ConfigError"]  # re-exported: the loaders raise it, callers catch it from here

M = TypeVar("M", bound=BaseModel)


def _node_at(root: yaml.Node | None, loc: Sequence[int | str]) -> yaml.Node | None:
    """Walk a composed YAML tree along a pydantic error location; deepest node reached."""
    node = root
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    found = v
                    break
            if found is None:
                return node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return node
            node = node.value[key]
        else:
            return node
    return node


def key_line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """Line of the key itself for an unknown field, else of the value; 1-based."""
    if not loc:
        return 1 if root is None else root.start_mark.line + 1
    parent = _node_at(root, loc[:-1])
    last = loc[-1]
    if isinstance(parent, yaml.MappingNode):
        for k, _v in parent.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(last):
                return int(k.start_mark.line) + 1
    node = _node_at(root, loc)
    return None if node is None else int(node.start_mark.line) + 1


def _describe(loc: Sequence[int | str]) -> str:
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts)


def read_text(path: Path) -> str:
    """A config file's text, or ConfigError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}:1: file not found"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}:1: not UTF-8 text ({exc.reason})"]) from exc
    except OSError as exc:
        raise ConfigError([f"{path}:1: cannot read ({exc.strerror or exc})"]) from exc


def _syntax_error(exc: yaml.YAMLError, path: str | Path) -> ConfigError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        return ConfigError([f"{path}:{line}: YAML syntax error: {problem}"])
    return ConfigError([f"{path}:1: YAML error: {exc}"])


def parse_yaml(text: str, path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Parse text into plain data and its node tree, or raise ConfigError with the line.

    The text is parsed once: the data is constructed from the composed node tree, which
    is kept for ``key_line``. An empty document gives ``(None, None)``.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, path) from exc
    finally:
        loader.dispose()
    return data, root


def validate(
    model: type[M],
    data: Any,
    root: yaml.Node | None,
    path: str | Path,
    context: dict[str, Any] | None = None,
) -> M:
    """Validate already-parsed ``data`` (with its node tree ``root``) as ``model``.

    Raises ConfigError listing every problem with the line it is on. ``None`` data (an
    empty file) validates as an empty mapping.
    """
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            line = key_line(root, loc) or 1
            where = _describe(loc)
            msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                msg = f"unknown field '{loc[-1]}'" if loc else "unknown field"
            elif err.get("type") in ("literal_error", "enum") and isinstance(err.get("input"), str):
                # A choice among fixed words is never a secret: say what was written.
                msg = f"{msg}, not {str(err['input'])[:40]!r}"
            problems.append(f"{path}:{line}: {where + ': ' if where else ''}{msg}")
        raise ConfigError(problems) from exc


def load_model(
    model: type[M], path: str | Path, text: str | None = None, context: dict[str, Any] | None = None
) -> M:
    """Read ``path`` (or the given text) and validate it as ``model``.

    Raises ConfigError listing every problem with the line it is on.
    """
    path = Path(path)
    if text is None:
        text = read_text(path)
    data, root = parse_yaml(text, path)
    return validate(model, data, root, path, context)
