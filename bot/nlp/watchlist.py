"""The watchlist: what the team watches, with its aliases in every language.

Admins edit ``config/watchlist.yaml`` by hand while the bot runs, so every mistake must come
back as ``path:line: message`` (see ``bot.yamlfile``) and the last good watchlist keeps
running. The models are frozen: the matcher compiles a watchlist once and caches it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.models import ItemKind
from bot.nlp.text import WORD_RE
from bot.yamlfile import ConfigError, key_line, parse_yaml, read_text, validate

ANY_LANGUAGE = "any"
"""Alias key for forms used in every language (``DPRK``, ``HIMARS``)."""

_LANG = re.compile(r"^[a-z]{2,3}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Terms = dict[str, list[str]]
"""Language code (or ``any``) -> phrases."""


def _check_terms(value: Terms) -> Terms:
    for lang, phrases in value.items():
        if lang != ANY_LANGUAGE and not _LANG.match(lang):
            raise ValueError(f"'{lang}' is not a language code (use en, fr, ko, ... or any)")
        for phrase in phrases:
            check_phrase(phrase)
    return value


def check_phrase(phrase: str) -> None:
    """Reject phrases the matcher could not use; the message says how to write them."""
    if not isinstance(phrase, str) or not phrase.strip():
        raise ValueError("empty phrase")
    body = phrase.strip()
    if not WORD_RE.search(body):
        raise ValueError(f"'{phrase}': no letters or digits to match")
    chunks = body.split()
    for n, chunk in enumerate(chunks):
        inner = chunk[1:] if (n == 0 and len(chunks) == 1) else chunk
        if "*" in inner.rstrip("*") or chunk.endswith("**"):
            raise ValueError(
                f"'{phrase}': '*' may only end a word (Курськ*) or start a one-word phrase (*munition)"
            )
        if chunk.startswith("*") and chunk.endswith("*") and len(chunk) > 1:
            raise ValueError(f"'{phrase}': use '*' at one end of a word only")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicRule(_Strict):
    """Terms that must co-occur in one sentence (or within ``within`` words)."""

    within: Literal["sentence"] | int = "sentence"
    all_of: list[Terms] = Field(default_factory=list)
    """Every one of these groups needs a term in the window."""
    any_of: list[Terms] = Field(default_factory=list)
    """At least one of these groups needs a term in the window (when given)."""
    none_of: list[Terms] = Field(default_factory=list)
    """No term of these groups may be in the window."""

    @field_validator("within")
    @classmethod
    def _positive(cls, v: Literal["sentence"] | int) -> Literal["sentence"] | int:
        if isinstance(v, int) and v < 1:
            raise ValueError("within must be 'sentence' or a number of words >= 1")
        return v

    @field_validator("all_of", "any_of", "none_of")
    @classmethod
    def _groups(cls, v: list[Terms]) -> list[Terms]:
        for group in v:
            _check_terms(group)
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> TopicRule:
        if not self.all_of and not self.any_of:
            raise ValueError("a rule needs all_of or any_of term groups")
        return self


class WatchItem(_Strict):
    """One entity or topic that chat channels can subscribe to."""

    id: str
    name: str
    kind: ItemKind = "entity"
    aliases: Terms = Field(default_factory=dict)
    """Entity names per language; for a topic, phrases that count on their own."""
    exclude: Terms = Field(default_factory=dict)
    """Phrases whose words never count for this item (``South Korea`` for north-korea)."""
    rule: TopicRule | None = None
    also: list[TopicRule] = Field(default_factory=list)
    """Narrower rules that count on their own too ("a named system + debate"): a sentence
    counts when ``rule`` or any of these holds. They share ``rule``'s window."""
    min_score: float = Field(default=1.0, gt=0)
    """Score needed to alert: 1 per passing mention, 2 in the lead, 3 in the title."""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("id must be lowercase letters, digits, '-' or '_'")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name must not be empty")
        return v

    @field_validator("aliases", "exclude")
    @classmethod
    def _terms(cls, v: Terms) -> Terms:
        return _check_terms(v)

    @model_validator(mode="after")
    def _kind_fits(self) -> WatchItem:
        has_aliases = any(self.aliases.values())
        if self.kind == "entity":
            if self.rule is not None or self.also:
                raise ValueError("only a topic can have a rule")
            if not has_aliases:
                raise ValueError("an entity needs at least one alias")
        elif self.rule is None and not has_aliases:
            raise ValueError("a topic needs a rule or aliases")
        if self.also and self.rule is None:
            raise ValueError("'also' adds rules to 'rule': give 'rule' first")
        for extra in self.also:
            if self.rule is not None and extra.within != self.rule.within:
                raise ValueError("the rules under 'also' use the same 'within' as 'rule'")
        return self

    @property
    def rules(self) -> list[TopicRule]:
        """``rule`` then the ``also`` rules: a window counts when any of them holds."""
        return ([self.rule] if self.rule is not None else []) + list(self.also)


class Watchlist(_Strict):
    """Everything that can be watched; ids are unique."""

    items: list[WatchItem] = Field(default_factory=list)

    @field_validator("items")
    @classmethod
    def _unique(cls, v: list[WatchItem]) -> list[WatchItem]:
        seen: set[str] = set()
        for item in v:
            if item.id in seen:
                raise ValueError(f"duplicate id '{item.id}'")
            seen.add(item.id)
        return v

    def get(self, item_id: str) -> WatchItem | None:
        """The item with this id, or None."""
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    def ids(self) -> tuple[str, ...]:
        """All ids, in file order."""
        return tuple(item.id for item in self.items)


def parse_watchlist(text: str, path: str | Path = "<watchlist>") -> Watchlist:
    """Validate watchlist YAML already in memory; ConfigError names the line.

    The text is parsed once; duplicate ids are reported (with the line of each repeat and
    the index of the first use) before the model is validated.
    """
    data, root = parse_yaml(text, path)
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        seen: dict[str, int] = {}
        problems = []
        for i, item in enumerate(data["items"]):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                if item["id"] in seen:
                    line = key_line(root, ("items", i, "id")) or 1
                    first = seen[item["id"]]
                    problems.append(
                        f"{path}:{line}: items[{i}].id: duplicate id '{item['id']}' "
                        f"(first used by items[{first}])"
                    )
                else:
                    seen[item["id"]] = i
        if problems:
            raise ConfigError(problems)
    return validate(Watchlist, data, root, path)


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file; ConfigError is ``path:line: message``."""
    path = Path(path)
    return parse_watchlist(read_text(path), path)
