"""The plain values that flow from sources to chat adapters.

Everything between a source and an adapter speaks only these types, so each stage can be
tested and replaced on its own. They are frozen: a stage never edits what it was handed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

ItemKind = Literal["entity", "topic"]


def content_hash(title: str, text: str) -> str:
    """Identity of an article's wording, insensitive to whitespace and Unicode form.

    The same story re-published under a new guid or URL hashes the same, so it is not
    alerted twice.
    """
    folded = unicodedata.normalize("NFKC", f"{title}\n{text}").casefold()
    compact = " ".join(folded.split())
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Article:
    """One document from a source, before any matching."""

    source_id: str
    """Stable id of the source: ``feed:<url>`` or ``files:<folder>``."""
    source_name: str
    """What a reader calls the source: the feed's title, or ``seed file``."""
    guid: str
    """Identity inside the source: the feed item's guid or link, or the file's path."""
    title: str
    text: str
    """Plain-text body. For a ``.txt`` without a title line the title is its first sentence,
    which then also stays at the start of ``text``."""
    url: str | None = None
    """Canonical link, when the source has one."""
    published: datetime | None = None
    language: str | None = None
    """Language the source declares (front matter, feed ``<language>``); None = detect."""
    location: str | None = None
    """Where a person finds it: the link, or the file's path."""

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.title, self.text)


@dataclass(frozen=True)
class Match:
    """One watch item found in one document, with the evidence that makes it auditable."""

    id: str
    name: str
    kind: ItemKind
    count: int
    score: float
    evidence: tuple[str, ...]
    """Distinct surface forms as written in the document, in order of first appearance."""
    spans: tuple[tuple[int, int], ...] = ()
    """Character offsets of every hit in ``Article.text`` (title-only hits have none)."""
    in_title: bool = False


@dataclass(frozen=True)
class Quote:
    """Direct speech found in ``Article.text``."""

    text: str
    speaker: str | None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Analysis:
    """What the matcher and the quote extractor found in one document."""

    language: str
    matches: tuple[Match, ...]
    quotes: tuple[Quote, ...]

    @property
    def alert(self) -> bool:
        return bool(self.matches)


@dataclass(frozen=True)
class Translation:
    """An alert's headline, lead and quotes machine-translated into one language.

    Carried beside the originals, never instead of them: an analyst must always be able to
    quote what the outlet wrote. Speakers, links and the why-line are never translated.
    """

    target: str
    """Language the texts below are in (``en``, ``fr`` ...)."""
    source: str
    """Language they were translated from: the one the matcher detected."""
    title: str | None = None
    lead: str | None = None
    quotes: tuple[str | None, ...] = ()
    """One per ``Alert.quotes``, in the same order; None where that quote was not translated."""
    backend: str = ""
    """Who translated it (``LibreTranslate``, ``DeepL``), named in the mark beside the text."""
    pending: bool = False
    """The translator had not answered by the deadline: the alert went out in the original,
    marked, and is edited in place when the translation arrives."""


@dataclass(frozen=True)
class Feedback:
    """What one channel's readers said about an alert: shown on the posted message.

    Counted per (alert, channel, user), one answer each; the renderers show it under the
    alert so an edit for another reason (the story gained a source) keeps it.
    """

    useful: int = 0
    not_relevant: int = 0

    @property
    def any(self) -> bool:
        return bool(self.useful or self.not_relevant)


@dataclass(frozen=True)
class Alert:
    """What a chat channel is told about one article."""

    id: str
    """Stable across restarts: derived from the article's identity."""
    title: str
    source_name: str
    language: str
    matches: tuple[Match, ...]
    quotes: tuple[Quote, ...]
    """At most three, the ones closest to what matched."""
    url: str | None = None
    location: str | None = None
    published: datetime | None = None
    created_at: datetime | None = None
    lead: str = ""
    """The first sentences of the article, for renderers that show a description."""
    also_in: tuple[str, ...] = ()
    """Other outlets that carried the same story (one alert per story, not per outlet)."""
    translation: Translation | None = None
    """The texts above in the receiving channel's language, when it differs from ``language``."""
    feedback: Feedback | None = None
    """The receiving channel's ratings (buttons under the alert), set per channel when the
    posted message is edited; never stored with the alert."""

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.matches)


FollowUpKind = Literal["source", "translation"]


@dataclass(frozen=True)
class FollowUp:
    """Something new about an alert already posted, told as a reply in its thread.

    ``source``: another outlet carried the story (``source_name``, ``url`` its article);
    ``translation``: the alert's translation arrived after the post (``text`` its
    translated headline, ``language`` the language it is in). Everything but ``key`` and
    ``kind`` came from a feed or a translator: escaped by each renderer.
    """

    key: str
    """Stable per follow-up and channel: how the bot recognises its own reply after a crash."""
    alert_id: str
    kind: FollowUpKind
    source_name: str = ""
    url: str | None = None
    text: str = ""
    language: str | None = None


@dataclass(frozen=True)
class Target:
    """A place an alert is delivered to: a platform and a channel on it."""

    platform: str
    """``console``, ``slack`` or ``discord``."""
    channel: str
    """A channel id, or ``dm:<user id>``."""


@dataclass(frozen=True)
class Digest:
    """A list of recent alerts, as ``/brief`` and ``newsbot brief`` give it."""

    title: str
    alerts: tuple[Alert, ...]
    since: datetime | None = None
    item_id: str | None = None
    notes: tuple[str, ...] = field(default=())
