"""The tables (column types in :mod:`bot.store.columns`), and an alert as its row holds it.

The schema itself is made and changed by Alembic migrations (``bot/store/migrate.py``);
these models are what the repositories query and what the migrations are checked against.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.models import Alert, Match, Quote
from bot.store.columns import (
    CHANNEL,
    GUID,
    SOURCE_ID,
    URL_KEY,
    CleanJSON,
    CleanText,
    KeyString,
    ShownString,
    UTCDateTime,
    WholeString,
)
from bot.store.db import utcnow


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(URL_KEY, unique=True)
    """The URL as configured; the key that ties this row to config/newsbot.yaml."""
    current_url: Mapped[str | None] = mapped_column(WholeString(2048))
    """Where the feed lives now, after a permanent redirect."""
    name: Mapped[str | None] = mapped_column(ShownString(512))
    etag: Mapped[str | None] = mapped_column(WholeString(1024))
    last_modified: Mapped[str | None] = mapped_column(WholeString(256))
    first_poll_done: Mapped[bool] = mapped_column(Boolean, default=False)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(CleanText)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the scheduler polls next (later than the interval while backing off)."""
    down_notified: Mapped[bool | None] = mapped_column(Boolean, default=False)
    """The admin channel was told this feed is down, and has to hear when it recovers."""
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    """The instance polling this feed now; no other instance polls it until
    ``lease_until`` (renewed while the holder lives, so it runs out when it dies)."""
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """An admin paused this feed (web console): no instance polls it until it is resumed."""


class LeaseRow(Base):
    """A named job (a seed folder's scan) that one instance at a time runs."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(KeyString(1024, max_bytes=1000), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSubRow(Base):
    """A WebSub subscription of one configured feed at the hub it advertises."""

    __tablename__ = "websub"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_url: Mapped[str] = mapped_column(URL_KEY, unique=True)
    hub: Mapped[str] = mapped_column(KeyString(2048))
    topic: Mapped[str] = mapped_column(KeyString(2048))
    secret: Mapped[str] = mapped_column(String(128))
    """Ours, random per subscription: the hub signs every push with it."""
    state: Mapped[str] = mapped_column(String(16), default="requested")
    """requested -> active (the hub verified) | failed."""
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(CleanText)


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source_id", "guid", name="uq_article_source_guid"),
        # The articles whose text is still kept, oldest first: what pruning and a backtest
        # read, without walking every article ever seen.
        Index(
            "ix_articles_retained", "seen_at", "id",
            sqlite_where=sql("text IS NOT NULL"), postgresql_where=sql("text IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(SOURCE_ID)
    guid: Mapped[str] = mapped_column(GUID)
    url: Mapped[str | None] = mapped_column(URL_KEY, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(CleanText)
    language: Mapped[str | None] = mapped_column(ShownString(16))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    story_of: Mapped[str | None] = mapped_column(String(64), index=True)
    """The alert this article joined as one more source of the same story."""
    source_name: Mapped[str | None] = mapped_column(ShownString(512))
    location: Mapped[str | None] = mapped_column(ShownString(2048))
    text: Mapped[str | None] = mapped_column(CleanText)
    """The body as ingested (at most ``MAX_TEXT`` characters), kept for ``retention``
    (config) so a watchlist edit can be tried against what was seen, then pruned (NULL).
    Indexed for search with the title, ``summary`` and ``source_name``
    (``bot/store/search.py``)."""
    summary: Mapped[str | None] = mapped_column(CleanText)
    """What an alerted article's alert quotes of it (lead and quotes): searchable for as
    long as the alert is kept, after the text is pruned."""


class AlertRow(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    item_ids: Mapped[list[str]] = mapped_column(CleanJSON)
    top_score: Mapped[float] = mapped_column(Double, default=0.0)
    payload: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
    fingerprint: Mapped[str | None] = mapped_column(String(16))
    """SimHash of the story's text (hex), to recognise a near-copy from another outlet."""


class DeliveryRow(Base):
    """The outbox: one row per (alert, target); the delivery worker is its only reader."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "platform", "channel", name="uq_delivery"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(CHANNEL)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    """pending -> sending -> sent | failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(WholeString(256))
    kind: Mapped[str | None] = mapped_column(String(16), default="post")
    """post: send the alert; update: edit the message ``external_id`` (a story gained a
    source). Same claim, retry and failure rules either way."""
    refresh: Mapped[bool | None] = mapped_column(Boolean, default=False)
    """The alert changed while this row was in flight: edit the message once it is sent."""
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the attempt began that may have reached the platform (kept while in doubt)."""
    in_doubt: Mapped[bool | None] = mapped_column(Boolean, default=False)
    """An attempt may have posted it (the process died, or the request failed midway):
    before posting again, the platform's channel history is asked."""
    hold: Mapped[str | None] = mapped_column(String(16))
    """``burst`` or ``quiet``: waits (until ``next_attempt_at``) to go out in a digest."""
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    """The digest message this row goes (or went) out in; fixed once claimed, so a retry
    after a crash posts, or finds, the same digest."""
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    """The instance that claimed it last (the one holding the platform's connection)."""
    translation_pending: Mapped[bool | None] = mapped_column(Boolean, default=False)
    """Posted in the original because its translation was late (or the translator down):
    once the translation is stored, the message is edited (``kind`` becomes ``update``)."""
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the claim now in flight began (``claimed_at`` keeps an in-doubt row's first
    attempt): a row its instance has held far longer than a post can take was orphaned
    (its drain died on an error before handing it back) and is requeued in doubt."""
    thread_id: Mapped[str | None] = mapped_column(WholeString(256))
    """Where replies to the posted alert go: on Discord the thread started on its message
    (kept so the next follow-up reuses it); Slack replies name the message's ``ts``."""
    followups: Mapped[str | None] = mapped_column(String(8))
    """``edit``, ``thread`` or ``both``: how the channel asked to hear of the story's
    follow-ups when the last one was queued (a refresh of a row in flight reads it)."""


class FollowupRow(Base):
    """One reply to tell in a posted alert's thread (another outlet, a late translation).

    Written with the change that calls for it, in the same transaction; its delivery row
    is queued (``kind`` ``followup`` or ``update``) and carries the claim, retries and the
    in-doubt state. ``sent_at`` is set as each reply is posted, so a retry posts only what
    is left, and looks in the thread first for the one that was in flight.
    """

    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``source`` or ``translation``."""
    source_name: Mapped[str | None] = mapped_column(ShownString(512))
    url: Mapped[str | None] = mapped_column(WholeString(4096))
    text: Mapped[str | None] = mapped_column(CleanText)
    language: Mapped[str | None] = mapped_column(ShownString(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    external_id: Mapped[str | None] = mapped_column(WholeString(256))
    """The reply's id on the platform (Slack ``ts``, Discord message id)."""


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("platform", "channel", "item_id", name="uq_subscription"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(CHANNEL)
    item_id: Mapped[str] = mapped_column(KeyString(128))
    """A watch item id, or ``all``."""
    created_by: Mapped[str | None] = mapped_column(ShownString(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set when the bot could not post to the channel at all (gone, archived, the bot
    removed): a paused subscription gets no alerts until ``/subscribe`` there again."""
    paused_reason: Mapped[str | None] = mapped_column(CleanText)
    lang: Mapped[str | None] = mapped_column(String(16))
    """``/subscribe kursk lang:fr``: the language this channel gets the item's alerts in."""


class TranslationRow(Base):
    """One machine translation of one text (as sent: cut, hashed) into one language, so
    five channels and a restart cost one request."""

    __tablename__ = "translations"
    __table_args__ = (
        UniqueConstraint("text_hash", "source", "target", name="uq_translation"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(CleanText)
    """The translation, as the translator gave it (escaped by each renderer, like feed text)."""
    backend: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackRow(Base):
    """One person's answer about one alert in one channel: a second click changes it."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("alert_id", "platform", "channel", "user_id", name="uq_feedback"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), index=True)
    """No foreign key: an alert pruned later takes its ratings' meaning, not the rows."""
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(CHANNEL)
    user_id: Mapped[str] = mapped_column(KeyString(128))
    verdict: Mapped[str] = mapped_column(String(16))
    """``useful`` or ``not_relevant``."""
    reason: Mapped[str | None] = mapped_column(String(16))
    """Why not relevant: ``entity``, ``topic``, ``duplicate``, ``other`` (None: not said)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MuteRow(Base):
    """A channel silenced a story (no more edits or follow-ups there) or a watch item
    (no alerts there until ``until``)."""

    __tablename__ = "mutes"
    __table_args__ = (
        UniqueConstraint("platform", "channel", "kind", "key", name="uq_mute"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(CHANNEL)
    kind: Mapped[str] = mapped_column(String(8))
    """``story`` (key: the alert id) or ``item`` (key: the watch item id)."""
    key: Mapped[str] = mapped_column(KeyString(128))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """None: for good (a story); an item's mute runs out."""
    created_by: Mapped[str | None] = mapped_column(ShownString(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRunRow(Base):
    """When a periodic job (the weekly feedback note) last ran, so a restart does not
    run it again early or skip it."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- (de)serialising alerts -----------------------------------------------------------------


def alert_to_json(alert: Alert) -> dict[str, Any]:
    data = asdict(alert)
    data.pop("feedback", None)  # per channel, read from the feedback table when shown
    for key in ("published", "created_at"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    return data


def alert_from_json(data: dict[str, Any]) -> Alert:
    def when(v: str | None) -> datetime | None:
        return datetime.fromisoformat(v) if v else None

    matches = tuple(
        Match(
            id=m["id"],
            name=m["name"],
            kind=m["kind"],
            count=m["count"],
            score=m["score"],
            evidence=tuple(m["evidence"]),
            spans=tuple(tuple(s) for s in m.get("spans", ())),
            in_title=m.get("in_title", False),
        )
        for m in data["matches"]
    )
    quotes = tuple(Quote(**q) for q in data["quotes"])
    return Alert(
        id=data["id"],
        title=data["title"],
        source_name=data["source_name"],
        language=data["language"],
        matches=matches,
        quotes=quotes,
        url=data.get("url"),
        location=data.get("location"),
        published=when(data.get("published")),
        created_at=when(data.get("created_at")),
        lead=data.get("lead", ""),
        also_in=tuple(data.get("also_in", ())),
    )
