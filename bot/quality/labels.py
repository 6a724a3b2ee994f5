"""Labelled sets: reading ``labels.jsonl`` into gold labels, and what the bot said beside them.

A labelled set is a folder with ``labels.jsonl`` (one object per article: ``file``, ``lang``,
one boolean per watch id, ``quotes`` [{"text", "speaker"}], ``ambiguous`` [ids]) and the
articles it names (``articles/NNN_<lang>_<slug>.txt``). ``tests/data/eval`` is ours;
``../shared/devset`` has the same layout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

WATCH_IDS: tuple[str, ...] = ("north-korea", "kursk", "arms-transfers", "russia", "ukraine")
"""The ids every labelled set carries (the default watchlist's)."""


class EvalSetError(ValueError):
    """A labelled set that cannot be scored; ``str()`` is ``"<file>:<line>: <reason>"``."""


@dataclass(frozen=True)
class LabelledQuote:
    text: str
    speaker: str | None


@dataclass(frozen=True)
class Labelled:
    """One article's gold labels."""

    file: str
    lang: str
    labels: Mapping[str, bool]
    quotes: tuple[LabelledQuote, ...] = ()
    ambiguous: frozenset[str] = frozenset()
    kind: str = "article"
    notes: str = ""


@dataclass(frozen=True)
class Predicted:
    """What the bot said about one article: the ids it matched and the quotes it found."""

    ids: frozenset[str]
    quotes: tuple[LabelledQuote, ...] = ()
    language: str = ""


def _quote(raw: object, where: str) -> LabelledQuote:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"]:
        raise EvalSetError(f"{where}: each quote needs a non-empty 'text'")
    speaker = raw.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise EvalSetError(f"{where}: a quote's 'speaker' is a string or null")
    return LabelledQuote(raw["text"], speaker or None)


def parse_label(obj: object, where: str, ids: Sequence[str] = WATCH_IDS) -> Labelled:
    """One line of ``labels.jsonl``; ``where`` (``file:line``) prefixes any error."""
    if not isinstance(obj, dict):
        raise EvalSetError(f"{where}: expected a JSON object")
    file, lang = obj.get("file"), obj.get("lang")
    if not isinstance(file, str) or not file:
        raise EvalSetError(f"{where}: missing 'file'")
    if not isinstance(lang, str) or not lang:
        raise EvalSetError(f"{where}: missing 'lang'")
    labels: dict[str, bool] = {}
    for item in ids:
        value = obj.get(item)
        if not isinstance(value, bool):
            raise EvalSetError(f"{where}: '{item}' must be true or false")
        labels[item] = value
    quotes = obj.get("quotes") or []
    ambiguous = obj.get("ambiguous") or []
    if not isinstance(quotes, list):
        raise EvalSetError(f"{where}: 'quotes' must be a list")
    if not isinstance(ambiguous, list) or not all(a in ids for a in ambiguous):
        raise EvalSetError(f"{where}: 'ambiguous' must list watch ids ({', '.join(ids)})")
    return Labelled(
        file=file,
        lang=lang,
        labels=labels,
        quotes=tuple(_quote(q, where) for q in quotes),
        ambiguous=frozenset(ambiguous),
        kind=str(obj.get("kind") or "article"),
        notes=str(obj.get("notes") or ""),
    )


def load_labels(directory: Path, ids: Sequence[str] = WATCH_IDS) -> list[Labelled]:
    """Every labelled article of ``directory``; every named file must exist."""
    path = Path(directory) / "labels.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalSetError(f"{path}:0: cannot read ({exc.strerror or exc})") from exc
    items: list[Labelled] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{where}: not JSON ({exc.msg})") from exc
        item = parse_label(obj, where, ids)
        if item.file in seen:
            raise EvalSetError(f"{where}: {item.file} is labelled twice")
        if not (Path(directory) / item.file).is_file():
            raise EvalSetError(f"{where}: {item.file} does not exist")
        seen.add(item.file)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}:0: no labelled articles")
    return items
