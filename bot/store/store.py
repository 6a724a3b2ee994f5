"""Persistence: what was seen, what was alerted, and the outbox of deliveries still owed.

An article's "seen" mark, its alert and one delivery row per target are written in one
transaction, so a crash can never leave an alert that nobody will deliver, and a restart never
alerts an article twice. SQLite by default; PostgreSQL (psycopg 3) by URL runs the same
code. The schema is made and changed by Alembic migrations (``bot/store/migrate.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from bot.models import Alert, Article, Match, Quote, Target


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# --- what a column may hold -----------------------------------------------------------------
# PostgreSQL enforces VARCHAR lengths, refuses NUL in text and cannot index a value of more
# than about 2,700 bytes; SQLite does none of that. Every string column that can hold a value
# from outside (a feed, a chat platform) has one of these types, which fit the value on the way
# in, in writes and in comparisons alike, so a write never fails on one backend only and a
# comparison finds what a write stored.


def clean_text(value: str) -> str:
    """``value`` without NUL (PostgreSQL text cannot hold it) and with any lone surrogate
    (which no database driver can encode as UTF-8) replaced by ``?``."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _cut_bytes(value: str, max_bytes: int) -> str:
    return value.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


class KeyString(TypeDecorator[str]):
    """An identity (a guid, a URL, a channel id): kept whole when it fits, else its start and
    a hash of the whole, so two long values still differ and the same one always compares
    equal. ``max_bytes`` keeps an indexed value under PostgreSQL's index row limit."""

    impl = String
    cache_ok = True

    def __init__(self, length: int, max_bytes: int | None = None) -> None:
        super().__init__(length)
        self.length = length
        self.max_bytes = max_bytes

    def stored(self, value: str) -> str:
        """The value as this column stores (and compares) it."""
        value = clean_text(value)
        too_long = len(value) > self.length
        if not too_long and self.max_bytes is not None and len(value) * 4 > self.max_bytes:
            too_long = len(value.encode("utf-8")) > self.max_bytes
        if not too_long:
            return value
        tail = "#" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
        head = value[: self.length - len(tail)]
        if self.max_bytes is not None:
            head = _cut_bytes(head, self.max_bytes - len(tail))
        return head + tail

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.stored(value)


class ShownString(TypeDecorator[str]):
    """Text for people (a feed's name, a language tag): an over-long one is cut, ending in …."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = clean_text(value)
        return value if len(value) <= self.length else value[: self.length - 1] + "…"


class WholeString(TypeDecorator[str]):
    """A value only useful whole (an ETag, a redirect target, a message id): one that does
    not fit is not stored (NULL), as if the server had not sent it."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or len(value) > self.length or clean_text(value) != value:
            return None
        return value


class CleanText(TypeDecorator[str]):
    """Unbounded text (a title, an error message), cleaned of what PostgreSQL refuses."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(value)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean_json(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


class CleanJSON(TypeDecorator[Any]):
    """JSON whose strings are cleaned like :class:`CleanText` (an alert quotes feed text)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return _clean_json(value)


# Index budgets (UTF-8 bytes): PostgreSQL refuses an index row over 2,704 bytes, and the
# (source_id, guid) pair shares one row of uq_article_source_guid.
SOURCE_ID = KeyString(2048, max_bytes=1000)
GUID = KeyString(2048, max_bytes=1500)
URL_KEY = KeyString(2048, max_bytes=2000)
CHANNEL = KeyString(256)


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
    __table_args__ = (UniqueConstraint("source_id", "guid", name="uq_article_source_guid"),)
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
    story_of: Mapped[str | None] = mapped_column(String(64))
    """The alert this article joined as one more source of the same story."""


class AlertRow(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
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
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the claim now in flight began (``claimed_at`` keeps an in-doubt row's first
    attempt): a row its instance has held far longer than a post can take was orphaned
    (its drain died on an error before handing it back) and is requeued in doubt."""


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


# --- (de)serialising alerts -----------------------------------------------------------------


def alert_to_json(alert: Alert) -> dict[str, Any]:
    data = asdict(alert)
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


@dataclass(frozen=True)
class StoryJoin:
    """What :meth:`Store.join_story` made of a near-copy."""

    alert: Alert
    """The story's alert as it now reads."""
    changed: bool = False
    """It gained a source or a watch item: its posted messages are queued as edits."""
    queued: int = 0
    """Deliveries queued for targets of watch items the alert did not name before."""


@dataclass(frozen=True)
class Paused:
    """What :meth:`Store.pause_target` did."""

    items: tuple[str, ...]
    """The channel's subscriptions (watch item ids) paused now."""
    failed: int = 0
    """Deliveries queued for the channel, failed with the reason."""
    already: bool = False
    """Its subscriptions were paused before (the admin channel was told then)."""


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    target: Target
    alert: Alert
    attempts: int
    kind: str = "post"
    """``post`` or ``update`` (edit ``message_id``, the id the platform gave the post)."""
    message_id: str | None = None
    in_doubt: bool = False
    """An earlier attempt may have posted it: look before posting again."""
    claimed_at: datetime | None = None
    """Since when a post of it may exist (where to start looking)."""


@dataclass(frozen=True)
class PendingDigest:
    """Held alerts for one channel, claimed together to go out as one digest message."""

    batch: str
    target: Target
    delivery_ids: tuple[int, ...]
    alerts: tuple[Alert, ...]
    attempts: int
    hold: str
    """Why they were held: ``burst`` or ``quiet``."""
    in_doubt: bool = False
    claimed_at: datetime | None = None


@dataclass(frozen=True)
class ChannelActivity:
    """What a channel was sent lately, for the burst rule."""

    posts: tuple[datetime, ...]
    """When single alerts were posted (within the window asked about), oldest first."""
    digests: tuple[datetime, ...]
    """When digests were posted (within the window), oldest first."""
    held_until: datetime | None
    """When alerts already waiting for a digest go out, if any are waiting."""


@dataclass(frozen=True)
class FeedState:
    url: str
    current_url: str | None
    etag: str | None
    last_modified: str | None
    first_poll_done: bool
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    items_seen: int
    name: str | None
    next_poll_at: datetime | None = None
    down_notified: bool = False


@dataclass(frozen=True)
class WebSubState:
    feed_url: str
    hub: str
    topic: str
    secret: str
    state: str
    requested_at: datetime | None
    expires_at: datetime | None
    last_error: str | None


# --- the store ------------------------------------------------------------------------------


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, say when a transaction begins (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=5000")
    _sqlite_wal(cur)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the bot
    # loses nothing, a power cut at most the last commits (which are then fetched and
    # recorded again). FULL made a thousand feeds' health updates wait on the disk.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_wal(cur: Any) -> None:
    """Put the file in WAL mode (it stays so), waiting out another process doing the same.

    Two processes opening a fresh database at once (`run` and `scan --once`, two instances)
    both want its lock to switch; SQLite refuses one at once instead of calling the busy
    handler, so that one asks again shortly.
    """
    for attempt in range(50):
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front, so "seen?" and "record" are one atomic step
    # even when `newsbot run` and `newsbot scan --once` share the file.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the PostgreSQL driver newsbot
    ships (SQLAlchemy alone would look for psycopg2)."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def make_engine(url: str) -> Engine:
    url = database_url(url)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if url.startswith("sqlite:///") and not in_memory:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if in_memory:
        # One shared connection: every thread (the store is used from worker threads) must
        # see the same database, not a new empty one.
        engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    elif url.startswith("postgresql"):
        # Pre-ping: a connection the server or a proxy closed while idle is replaced instead
        # of failing the next poll. The pool covers the worker threads that use the store at
        # once; the URL may set connect_timeout and application_name itself.
        query = make_url(url).query
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in query:
            connect_args["connect_timeout"] = 10
        if "application_name" not in query:
            connect_args["application_name"] = "newsbot"
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_recycle=1800,
            connect_args=connect_args,
        )
    else:
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) derived from a name, so each
    of newsbot's locks has its own key without a registry of numbers."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


RECORD_LOCK = advisory_key("newsbot:record")
"""Held (per transaction) by every check-then-insert of articles on PostgreSQL."""


class Store:
    """All database access. Methods are synchronous; async callers run them in an executor."""

    def __init__(self, url: str) -> None:
        from bot.store.migrate import upgrade  # bot.store.migrate reads this module's models

        self.engine = make_engine(url)
        upgrade(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._postgres = self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    def _serialise(self, s: Any) -> None:
        """Make a check-then-insert atomic across processes: first thing in its transaction.

        SQLite's BEGIN IMMEDIATE already lets one writer in at a time. PostgreSQL (READ
        COMMITTED) would let two instances both find a story unseen and both alert it
        (copies of one story under different guids get past the unique index), so there
        these transactions take turns on a transaction-level advisory lock. Each is short.
        """
        if self._postgres:
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_LOCK})

    # -- articles ------------------------------------------------------------------------

    @staticmethod
    def _seen_clause(article: Article) -> Any:
        clauses = [
            (ArticleRow.source_id == article.source_id) & (ArticleRow.guid == article.guid),
            ArticleRow.content_hash == article.content_hash,
        ]
        if article.url:
            clauses.append(ArticleRow.url == article.url)
        return or_(*clauses)

    def is_seen(self, article: Article) -> bool:
        with self._session() as s:
            return s.scalar(select(ArticleRow.id).where(self._seen_clause(article)).limit(1)) is not None

    def filter_new(self, articles: Iterable[Article], session: Any = None) -> list[Article]:
        """The articles not seen before, by guid, canonical URL or content hash.

        A few IN queries per batch, not one per article: a seed folder is re-checked
        every scan. Duplicates inside the batch count as seen after their first copy.
        """
        articles = list(articles)
        guids: set[tuple[str, str]] = set()
        urls: set[str] = set()
        hashes: set[str] = set()
        with contextlib.nullcontext(session) if session is not None else self._session() as s:
            for chunk in _chunks(articles, 400):
                by_source: dict[str, list[str]] = {}
                for a in chunk:
                    by_source.setdefault(a.source_id, []).append(a.guid)
                for source, gs in by_source.items():
                    rows = s.execute(
                        select(ArticleRow.guid).where(
                            ArticleRow.source_id == source, ArticleRow.guid.in_(gs)
                        )
                    )
                    guids |= {(source, g) for (g,) in rows}
                wanted_urls = [a.url for a in chunk if a.url]
                if wanted_urls:
                    urls |= set(
                        s.scalars(select(ArticleRow.url).where(ArticleRow.url.in_(wanted_urls)))
                    )
                hashes |= set(
                    s.scalars(
                        select(ArticleRow.content_hash).where(
                            ArticleRow.content_hash.in_([a.content_hash for a in chunk])
                        )
                    )
                )
        fresh: list[Article] = []
        for a in articles:
            # Compared as stored: an over-long guid or URL is kept shortened (KeyString).
            guid, url = (a.source_id, GUID.stored(a.guid)), a.url and URL_KEY.stored(a.url)
            if guid in guids or a.content_hash in hashes or (url and url in urls):
                continue
            fresh.append(a)
            guids.add(guid)
            hashes.add(a.content_hash)
            if url:
                urls.add(url)
        return fresh

    def record(
        self,
        article: Article,
        alert: Alert | None,
        targets: Sequence[Target] = (),
        fingerprint: str | None = None,
    ) -> bool:
        """Mark the article seen, and queue its alert for every target, in one transaction.

        Returns False (and writes nothing) if the article was seen meanwhile.
        ``fingerprint`` (the story's SimHash) lets a later near-copy find this alert.
        """
        try:
            return self._record(article, alert, targets, fingerprint)
        except IntegrityError:
            return False  # another process recorded the same guid first

    @staticmethod
    def _article_row(article: Article, language: str | None, **extra: Any) -> ArticleRow:
        return ArticleRow(**_article_values(article, language, **extra))

    def _record(
        self,
        article: Article,
        alert: Alert | None,
        targets: Sequence[Target],
        fingerprint: str | None,
    ) -> bool:
        with self._session.begin() as s:
            self._serialise(s)
            if s.scalar(select(ArticleRow.id).where(self._seen_clause(article)).limit(1)):
                return False
            language = alert.language if alert else article.language
            row = self._article_row(article, language, alerted=alert is not None)
            s.add(row)
            s.flush()
            if alert is not None:
                s.add(
                    AlertRow(
                        id=alert.id,
                        article_id=row.id,
                        created_at=alert.created_at or utcnow(),
                        item_ids=list(alert.item_ids),
                        top_score=max((m.score for m in alert.matches), default=0.0),
                        payload=alert_to_json(alert),
                        fingerprint=fingerprint,
                    )
                )
                for t in dict.fromkeys(targets):
                    s.add(DeliveryRow(alert_id=alert.id, platform=t.platform, channel=t.channel))
            return True

    def record_seen(self, articles: Iterable[Article], *, filtered: bool = False) -> int:
        """Mark many articles seen, none alerted, in one transaction (a feed's backlog).

        One transaction instead of one per article: a new feed's first poll brings dozens.
        Returns how many were new. ``filtered``: the caller just took these from
        :meth:`filter_new`, so they are inserted without asking again; should another
        process have recorded one meanwhile, the unique guid refuses the batch and it is
        filtered after all. (A same-URL copy slipping in twice is harmless: it alerts
        nobody.)
        """
        articles = list(articles)
        for attempt in range(3):
            try:
                with self._session.begin() as s:
                    self._serialise(s)
                    trust = filtered and attempt == 0
                    fresh = articles if trust else self.filter_new(articles, session=s)
                    if fresh:  # a core INSERT: the ORM's unit of work costs more than the row
                        s.execute(
                            insert(ArticleRow),
                            [_article_values(a, a.language, alerted=False) for a in fresh],
                        )
                    return len(fresh)
            except IntegrityError:  # another process recorded one of them: filter again
                continue
        return 0

    # -- stories (one alert per story) ---------------------------------------------------

    def story_candidates(self, since: datetime) -> list[tuple[str, str]]:
        """``(alert id, fingerprint)`` of the alerts since ``since`` that have a fingerprint."""
        with self._session() as s:
            rows = s.execute(
                select(AlertRow.id, AlertRow.fingerprint).where(
                    AlertRow.created_at >= since, AlertRow.fingerprint.is_not(None)
                )
            )
            return [(i, fp) for i, fp in rows if fp]

    def join_story(
        self,
        article: Article,
        alert_id: str,
        matches: Sequence[Match] = (),
        targets_of: Mapping[str, Sequence[Target]] | None = None,
    ) -> StoryJoin | None:
        """Record ``article`` as one more source of an alerted story, in one transaction:
        the article is marked seen, the alert lists the source, and every delivery of the
        alert that was already posted is queued again as an edit of that message.

        ``matches``: what the article matched. Watch items the alert did not name yet are
        added to it, and every target of those items (``targets_of[item]``) that the alert
        has no delivery for is queued the story's alert, in the same transaction: once,
        however many copies follow (the alert then names the item, and a target it was
        queued for has its row).

        Returns the alert as it now reads, or None if the article was seen meanwhile.
        """
        try:
            with self._session.begin() as s:
                self._serialise(s)
                if s.scalar(select(ArticleRow.id).where(self._seen_clause(article)).limit(1)):
                    return None
                alert_row = s.get(AlertRow, alert_id)
                if alert_row is None:
                    return None
                s.add(self._article_row(article, article.language, story_of=alert_id))
                alert = alert_from_json(alert_row.payload)
                had = set(alert.item_ids)
                # Spans point into this article's text, not the alert's: kept out.
                added = tuple(
                    replace(m, spans=()) for m in dict(
                        (m.id, m) for m in matches if m.id not in had
                    ).values()
                )
                source = article.source_name
                new_source = source != alert.source_name and source not in alert.also_in
                if not added and not new_source:
                    return StoryJoin(alert)  # the same outlet again, nothing new: nothing to tell
                if new_source:
                    alert = replace(alert, also_in=(*alert.also_in, source))
                queued = 0
                if added:
                    alert = replace(alert, matches=(*alert.matches, *added))
                    alert_row.item_ids = list(alert.item_ids)
                    alert_row.top_score = max(m.score for m in alert.matches)
                    queued = self._queue_new_targets(s, alert_id, added, targets_of or {})
                alert_row.payload = alert_to_json(alert)
                self._queue_updates(s, alert_id)
                return StoryJoin(alert, changed=True, queued=queued)
        except IntegrityError:
            return None

    @staticmethod
    def _queue_new_targets(
        s: Any, alert_id: str, added: Sequence[Match], targets_of: Mapping[str, Sequence[Target]]
    ) -> int:
        """Queue the alert for the targets of ``added`` items that it has no delivery for
        (whatever became of that delivery: those get the edit, or failed for their own
        reason). Returns how many rows were queued."""
        have = {
            (p, c)
            for p, c in s.execute(
                select(DeliveryRow.platform, DeliveryRow.channel).where(
                    DeliveryRow.alert_id == alert_id
                )
            )
        }
        queued = 0
        for target in dict.fromkeys(t for m in added for t in targets_of.get(m.id, ())):
            key = (target.platform, CHANNEL.stored(target.channel))
            if key in have:
                continue
            have.add(key)
            s.add(DeliveryRow(alert_id=alert_id, platform=target.platform, channel=target.channel))
            queued += 1
        return queued

    @staticmethod
    def _queue_updates(s: Any, alert_id: str) -> None:
        # Pending rows need nothing: they read the alert when claimed. Sent rows become an
        # edit of the posted message; rows in flight are edited once their post is done.
        s.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.alert_id == alert_id,
                DeliveryRow.status == "sent",
                DeliveryRow.batch.is_(None),  # a digest lists the story; it is not edited
            )
            .values(
                status="pending", kind="update", attempts=0, next_attempt_at=utcnow(),
                last_error=None,
            )
        )
        s.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.alert_id == alert_id,
                DeliveryRow.status == "sending",
                DeliveryRow.batch.is_(None),
            )
            .values(refresh=True)
        )

    def get_alert(self, alert_id: str) -> Alert | None:
        with self._session() as s:
            row = s.get(AlertRow, alert_id)
            return None if row is None else alert_from_json(row.payload)

    # -- alerts --------------------------------------------------------------------------

    def recent_alerts(
        self, since: datetime, item_id: str | None = None, limit: int = 20
    ) -> list[Alert]:
        """Alerts created since ``since``, newest first, optionally for one watch item."""
        with self._session() as s:
            rows = s.scalars(
                select(AlertRow)
                .where(AlertRow.created_at >= since)
                .order_by(AlertRow.created_at.desc(), AlertRow.top_score.desc())
            )
            out: list[Alert] = []
            for row in rows:
                if item_id is not None and item_id not in row.item_ids:
                    continue
                out.append(alert_from_json(row.payload))
                if len(out) >= limit:
                    break
            return out

    # -- outbox --------------------------------------------------------------------------

    def release_in_flight(self, platforms: Iterable[str] | None = None) -> int:
        """Put deliveries a killed process left 'sending' back in the queue, in doubt.

        Each may or may not have reached the platform before the process died; the worker
        asks the channel's history before posting it again. ``platforms``: only those (an
        instance taking over a platform from one that died releases that platform's rows).
        """
        with self._session.begin() as s:
            q = update(DeliveryRow).where(DeliveryRow.status == "sending")
            if platforms is not None:
                q = q.where(DeliveryRow.platform.in_(list(platforms)))
            result = s.execute(q.values(status="pending", in_doubt=True))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def release_stale(
        self, platforms: Iterable[str], owner: str | None, claimed_before: datetime
    ) -> int:
        """Requeue, in doubt, what ``owner`` claimed for ``platforms`` before
        ``claimed_before`` and still holds: a drain that died on an error (the database
        failed while it paced or handed rows back) left them "sending", and nothing else
        would requeue them before a restart. Returns how many."""
        platforms = list(platforms)
        if not platforms:
            return 0
        mine = DeliveryRow.claimed_by.is_(None) if owner is None else DeliveryRow.claimed_by == owner
        with self._session.begin() as s:
            result = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.status == "sending",
                    DeliveryRow.platform.in_(platforms),
                    mine,
                    DeliveryRow.sending_since < claimed_before,
                )
                .values(status="pending", in_doubt=True)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @staticmethod
    def _due(platforms: list[str], now: datetime, *where: Any) -> Any:
        """Pending deliveries due by ``now`` for ``platforms``, with their alert, locked.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: rows another instance is claiming at
        this moment are left to it rather than waited for (SQLite has one writer anyway).
        """
        return (
            select(DeliveryRow, AlertRow.payload)
            .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .where(
                DeliveryRow.status == "pending",
                DeliveryRow.next_attempt_at <= now,
                DeliveryRow.platform.in_(platforms),
                *where,
            )
            .with_for_update(skip_locked=True, of=DeliveryRow)
        )

    def claim_due(
        self,
        platforms: Iterable[str],
        now: datetime | None = None,
        limit: int = 20,
        *,
        owner: str | None = None,
    ) -> list[PendingDelivery]:
        """Take due single deliveries for the given platforms and mark them in flight.

        Rows held for a digest, or already part of one, are claimed by :meth:`claim_digests`.
        ``owner``: the claiming instance, recorded on the rows.
        """
        now = now or utcnow()
        platforms = list(platforms)
        if not platforms:
            return []
        with self._session.begin() as s:
            query = self._due(
                platforms, now, DeliveryRow.hold.is_(None), DeliveryRow.batch.is_(None)
            )
            rows = s.execute(
                query.order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit)
            ).all()
            out = []
            for d, payload in rows:
                d.status = "sending"
                d.attempts += 1
                d.claimed_by = owner
                d.sending_since = utcnow()
                if not d.in_doubt or d.claimed_at is None:
                    d.claimed_at = utcnow()
                out.append(
                    PendingDelivery(
                        id=d.id,
                        target=Target(d.platform, d.channel),
                        alert=alert_from_json(payload),
                        attempts=d.attempts,
                        kind=d.kind or "post",
                        message_id=d.external_id,
                        in_doubt=bool(d.in_doubt),
                        claimed_at=d.claimed_at,
                    )
                )
            return out

    def claim_digests(
        self,
        platforms: Iterable[str],
        now: datetime | None = None,
        per_message: Mapping[str, int] | None = None,
        *,
        owner: str | None = None,
    ) -> list[PendingDigest]:
        """Take held deliveries that are due, grouped per channel into digests.

        A group claimed before (it has a batch id: its post failed, or the process died)
        is claimed again exactly as it was, so a retry posts or finds the same message.
        New groups take at most ``per_message[platform]`` alerts each (what one message of
        that platform can show in full); the rest make the next digest.
        """
        now = now or utcnow()
        platforms = list(platforms)
        if not platforms:
            return []
        per_message = per_message or {}
        with self._session.begin() as s:
            query = self._due(
                platforms, now,
                or_(DeliveryRow.hold.is_not(None), DeliveryRow.batch.is_not(None)),
            )
            rows = s.execute(
                query.order_by(DeliveryRow.platform, DeliveryRow.channel, DeliveryRow.id)
            ).all()
            groups: dict[str, list[tuple[DeliveryRow, dict[str, Any]]]] = {}
            fresh: dict[tuple[str, str], list[tuple[DeliveryRow, dict[str, Any]]]] = {}
            for d, payload in rows:
                if d.batch:
                    groups.setdefault(d.batch, []).append((d, payload))
                else:
                    fresh.setdefault((d.platform, d.channel), []).append((d, payload))
            for (platform, _), members in fresh.items():
                size = max(1, per_message.get(platform, 20))
                for i in range(0, len(members), size):
                    batch = uuid.uuid4().hex
                    for d, _payload in members[i : i + size]:
                        d.batch = batch
                    groups[batch] = members[i : i + size]
            out = []
            for batch, members in groups.items():
                in_doubt = any(d.in_doubt for d, _ in members)
                claimed = [d.claimed_at for d, _ in members if d.in_doubt and d.claimed_at]
                for d, _ in members:
                    d.status = "sending"
                    d.attempts += 1
                    d.claimed_by = owner
                    d.sending_since = utcnow()
                    if not in_doubt:
                        d.claimed_at = utcnow()
                first = members[0][0]
                out.append(
                    PendingDigest(
                        batch=batch,
                        target=Target(first.platform, first.channel),
                        delivery_ids=tuple(d.id for d, _ in members),
                        alerts=tuple(alert_from_json(p) for _, p in members),
                        attempts=max(d.attempts for d, _ in members),
                        hold=first.hold or "burst",
                        in_doubt=in_doubt,
                        claimed_at=min(claimed) if claimed else first.claimed_at,
                    )
                )
            return out

    def hold(self, delivery_ids: Iterable[int], reason: str, until: datetime) -> None:
        """Turn claimed deliveries into ones that wait for a digest at ``until``.

        Not an attempt: nothing was sent.
        """
        ids = list(delivery_ids)
        if not ids:
            return
        with self._session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.status == "sending")
                .values(
                    status="pending",
                    hold=reason,
                    next_attempt_at=until,
                    attempts=DeliveryRow.attempts - 1,
                    claimed_at=None,
                )
            )

    def channel_activity(self, target: Target, since: datetime) -> ChannelActivity:
        """Single posts and digests sent to ``target`` since ``since``, and what waits."""
        where = (DeliveryRow.platform == target.platform, DeliveryRow.channel == target.channel)
        with self._session() as s:
            sent = s.execute(
                select(DeliveryRow.sent_at, DeliveryRow.batch)
                .where(*where, DeliveryRow.status == "sent", DeliveryRow.sent_at >= since,
                       or_(DeliveryRow.kind.is_(None), DeliveryRow.kind != "update"))
                .order_by(DeliveryRow.sent_at)
            ).all()
            held_until = s.scalar(
                select(DeliveryRow.next_attempt_at)
                .where(*where, DeliveryRow.status.in_(("pending", "sending")),
                       DeliveryRow.hold.is_not(None))
                .order_by(DeliveryRow.next_attempt_at)
                .limit(1)
            )
        posts = tuple(at for at, batch in sent if batch is None and at is not None)
        digests: dict[str, datetime] = {}
        for at, batch in sent:
            if batch is not None and at is not None:
                digests.setdefault(batch, at)
        return ChannelActivity(posts, tuple(sorted(digests.values())), held_until)

    def release(self, delivery_ids: Iterable[int], *, in_doubt: bool = False) -> None:
        """Give back claimed deliveries (the worker was stopped).

        Not attempted: as if never claimed. ``in_doubt``: the attempt was under way and
        may have reached the platform, so the next one looks first.
        """
        ids = list(delivery_ids)
        if not ids:
            return
        values: dict[str, Any] = {"status": "pending"}
        if in_doubt:
            values["in_doubt"] = True
        else:
            values["attempts"] = DeliveryRow.attempts - 1
        with self._session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.status == "sending")
                .values(**values)
            )

    def mark_sent(self, delivery_id: int, external_id: str | None = None) -> None:
        """Posted (or edited). An alert that gained a source meanwhile is queued as an edit."""
        with self._session.begin() as s:
            row = s.get(DeliveryRow, delivery_id)
            if row is None:
                return
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
            row.in_doubt = False
            if external_id is not None or row.kind != "update":
                row.external_id = external_id  # an edit that returns no id keeps the old one
            if row.refresh:
                row.refresh = False
                row.status, row.kind, row.attempts = "pending", "update", 0
                row.next_attempt_at = utcnow()

    def mark_retry(
        self,
        delivery_id: int,
        error: str,
        delay: timedelta,
        *,
        count_attempt: bool = True,
        maybe_posted: bool = False,
    ) -> None:
        """Try again after ``delay``; a rate limit (``count_attempt=False``) is no failure.

        ``maybe_posted``: the failed attempt may have reached the platform (a timeout, a
        5xx), so the next one looks before it posts.
        """
        self._retry([delivery_id], error, delay, count_attempt, maybe_posted)

    def _retry(
        self, ids: list[int], error: str, delay: timedelta, count_attempt: bool, maybe_posted: bool
    ) -> None:
        values: dict[str, Any] = {
            "status": "pending",
            "last_error": error[:2000],
            "next_attempt_at": utcnow() + delay,
        }
        if not count_attempt:
            values["attempts"] = DeliveryRow.attempts - 1
        values["in_doubt"] = maybe_posted
        if not maybe_posted:  # nothing can be out there: the next claim starts afresh
            values["claimed_at"] = None
        with self._session.begin() as s:
            s.execute(update(DeliveryRow).where(DeliveryRow.id.in_(ids)).values(**values))

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self._session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(status="failed", last_error=error[:2000], in_doubt=False)
            )

    def mark_batch_sent(self, batch: str, external_id: str | None = None) -> None:
        """The digest is posted: every alert in it is delivered to that channel."""
        with self._session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.batch == batch)
                .values(
                    status="sent", sent_at=utcnow(), last_error=None, in_doubt=False,
                    external_id=external_id, refresh=False,
                )
            )

    def mark_batch_retry(
        self,
        batch: str,
        error: str,
        delay: timedelta,
        *,
        count_attempt: bool = True,
        maybe_posted: bool = False,
    ) -> None:
        with self._session() as s:
            ids = list(s.scalars(select(DeliveryRow.id).where(DeliveryRow.batch == batch)))
        self._retry(ids, error, delay, count_attempt, maybe_posted)

    def mark_batch_failed(self, batch: str, error: str) -> None:
        with self._session.begin() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.batch == batch)
                .values(status="failed", last_error=error[:2000], in_doubt=False)
            )

    def delivery_counts(self) -> dict[str, int]:
        with self._session() as s:
            counts: dict[str, int] = {}
            for (status,) in s.execute(select(DeliveryRow.status)):
                counts[status] = counts.get(status, 0) + 1
            return counts

    def outbox_pending(self) -> int:
        """Deliveries not yet done: queued or in flight (``/healthz``, ``/metrics``)."""
        from sqlalchemy import func

        with self._session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(DeliveryRow)
                    .where(DeliveryRow.status.in_(("pending", "sending")))
                )
                or 0
            )

    def next_due(self, platforms: Iterable[str]) -> datetime | None:
        with self._session() as s:
            return s.scalar(
                select(DeliveryRow.next_attempt_at)
                .where(DeliveryRow.status == "pending", DeliveryRow.platform.in_(list(platforms)))
                .order_by(DeliveryRow.next_attempt_at)
                .limit(1)
            )

    # -- subscriptions -------------------------------------------------------------------

    def subscribe(self, target: Target, item_id: str, user: str | None = None) -> bool:
        """True if this is a new subscription."""
        with self._session.begin() as s:
            exists = s.scalar(
                select(SubscriptionRow.id).where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.item_id == item_id,
                )
            )
            if exists:
                return False
            s.add(
                SubscriptionRow(
                    platform=target.platform, channel=target.channel, item_id=item_id, created_by=user
                )
            )
            return True

    def unsubscribe(self, target: Target, item_id: str | None = None) -> int:
        """Remove one subscription, or all of the channel's when item_id is None."""
        with self._session.begin() as s:
            q = select(SubscriptionRow).where(
                SubscriptionRow.platform == target.platform,
                SubscriptionRow.channel == target.channel,
            )
            if item_id is not None:
                q = q.where(SubscriptionRow.item_id == item_id)
            rows = list(s.scalars(q))
            for r in rows:
                s.delete(r)
            return len(rows)

    def pause_target(self, target: Target, reason: str) -> Paused:
        """The channel refused the bot for good: pause its subscriptions, and fail what is
        queued for it there with the reason rather than trying each (a route's own rows
        still come; an admin fixes a route in the config). ``Paused.items``: the
        subscriptions paused now, empty if they were already (``already``) or there are
        none, so the admin channel is told once."""
        where = (SubscriptionRow.platform == target.platform,
                 SubscriptionRow.channel == target.channel)
        with self._session.begin() as s:
            rows = list(s.scalars(select(SubscriptionRow).where(*where).order_by(SubscriptionRow.id)))
            if not rows:
                return Paused(())
            now = utcnow()
            fresh = [r for r in rows if r.paused_at is None]
            if not fresh:
                return Paused((), already=True)
            for r in fresh:
                r.paused_at, r.paused_reason = now, reason[:2000]
            failed = s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.platform == target.platform,
                    DeliveryRow.channel == target.channel,
                    DeliveryRow.status == "pending",
                )
                .values(
                    status="failed", in_doubt=False,
                    last_error=f"not sent, the channel's subscriptions are paused: {reason}"[:2000],
                )
            ).rowcount  # type: ignore[attr-defined]
            return Paused(tuple(r.item_id for r in fresh), int(failed or 0))

    def resume(self, target: Target) -> int:
        """Deliver to a paused channel again (someone subscribed there anew); how many of
        its subscriptions were paused."""
        with self._session.begin() as s:
            result = s.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.paused_at.is_not(None),
                )
                .values(paused_at=None, paused_reason=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def paused(self, target: Target) -> tuple[datetime, str] | None:
        """When and why the channel's subscriptions were paused, if they are."""
        with self._session() as s:
            row = s.execute(
                select(SubscriptionRow.paused_at, SubscriptionRow.paused_reason)
                .where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                    SubscriptionRow.paused_at.is_not(None),
                )
                .order_by(SubscriptionRow.paused_at)
                .limit(1)
            ).first()
            if row is None or row[0] is None:
                return None
            return row[0], row[1] or ""

    def subscriptions(self, target: Target | None = None) -> list[tuple[Target, str]]:
        with self._session() as s:
            q = select(SubscriptionRow).order_by(SubscriptionRow.id)
            if target is not None:
                q = q.where(
                    SubscriptionRow.platform == target.platform,
                    SubscriptionRow.channel == target.channel,
                )
            return [(Target(r.platform, r.channel), r.item_id) for r in s.scalars(q)]

    def subscribed_targets(self, item_ids: Iterable[str]) -> list[Target]:
        wanted = set(item_ids) | {"all"}
        with self._session() as s:
            rows = s.scalars(
                select(SubscriptionRow).where(
                    SubscriptionRow.item_id.in_(wanted), SubscriptionRow.paused_at.is_(None)
                )
            )
            return list(dict.fromkeys(Target(r.platform, r.channel) for r in rows))

    # -- feeds ---------------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        with self._session() as s:
            row = s.scalar(select(FeedRow).where(FeedRow.url == url))
            return None if row is None else _feed_state(row)

    def feed_states(self) -> list[FeedState]:
        """Health of every feed the bot has polled, in the order they were first polled."""
        with self._session() as s:
            return [_feed_state(r) for r in s.scalars(select(FeedRow).order_by(FeedRow.id))]

    def update_feed(self, url: str, **values: Any) -> None:
        """Create or update the health and HTTP validators of a configured feed."""
        allowed = {c.key for c in FeedRow.__table__.columns} - {"id", "url"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown feed fields: {sorted(unknown)}")
        with self._session.begin() as s:
            row = s.scalar(select(FeedRow).where(FeedRow.url == url))
            if row is None:
                row = FeedRow(url=url, consecutive_failures=0, items_seen=0, first_poll_done=False)
                s.add(row)
            for k, v in values.items():
                setattr(row, k, v)

    def _volatile(self, s: Any) -> None:
        """Lease bookkeeping need not wait for the disk on PostgreSQL: after a crash of
        the server every instance starts over, and a lost lease only makes a feed due."""
        if self.engine.dialect.name == "postgresql":
            s.execute(text("SET LOCAL synchronous_commit = off"))

    # -- sharing the work between instances ---------------------------------------------

    def ensure_feeds(self, first_due: Mapping[str, datetime]) -> int:
        """Give every configured feed a row, due at ``first_due[url]`` if it has none yet.

        Rows that exist keep their schedule: an instance (re)starting does not poll again
        what another one, or its own previous run, polled a minute ago. Returns how many
        rows were added.
        """
        if not first_due:
            return 0
        for _ in range(3):
            try:
                with self._session.begin() as s:
                    have = set()
                    urls = list(first_due)
                    for i in range(0, len(urls), 500):
                        have |= set(
                            s.scalars(select(FeedRow.url).where(FeedRow.url.in_(urls[i:i + 500])))
                        )
                    missing = [u for u in urls if URL_KEY.stored(u) not in have]
                    if missing:
                        s.execute(
                            insert(FeedRow),
                            [
                                {"url": u, "next_poll_at": first_due[u],
                                 "consecutive_failures": 0, "items_seen": 0,
                                 "first_poll_done": False, "down_notified": False}
                                for u in missing
                            ],
                        )
                    return len(missing)
            except IntegrityError:  # another instance added some meanwhile: look again
                continue
        return 0

    def claim_feeds(
        self,
        urls: Sequence[str],
        owner: str,
        lease: timedelta,
        limit: int,
        now: datetime | None = None,
    ) -> list[str]:
        """Lease up to ``limit`` of ``urls`` that are due and that no live instance holds.

        ``SELECT ... FOR UPDATE SKIP LOCKED``: two instances claiming at the same moment
        get different feeds, never wait for each other, and never both get one. The lease
        lasts ``lease`` unless renewed (:meth:`renew_leases`), so a dead holder's feeds are
        polled again once it runs out.
        """
        now = now or utcnow()
        if not urls or limit <= 0:
            return []
        with self._session.begin() as s:
            self._volatile(s)
            rows = s.scalars(
                select(FeedRow)
                .where(
                    FeedRow.url.in_(list(urls)),
                    or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now),
                    or_(FeedRow.lease_until.is_(None), FeedRow.lease_until < now),
                )
                .order_by(FeedRow.next_poll_at.asc().nulls_first(), FeedRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.lease_owner, row.lease_until = owner, now + lease
            as_given = {URL_KEY.stored(u): u for u in urls}  # an over-long URL is stored cut
            return [as_given.get(row.url, row.url) for row in rows]

    def release_feed(self, url: str, owner: str) -> None:
        """The poll is over (its result and next poll time are written, or it failed or
        was stopped midway, and the feed is due again for any instance): drop the lease."""
        with self._session.begin() as s:
            self._volatile(s)
            s.execute(
                update(FeedRow)
                .where(FeedRow.url == url, FeedRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def next_feed_due(self, urls: Sequence[str]) -> datetime | None:
        """When the earliest of ``urls`` can next be claimed (due, and its lease over)."""
        if not urls:
            return None
        with self._session() as s:
            rows = s.execute(
                select(FeedRow.next_poll_at, FeedRow.lease_until).where(FeedRow.url.in_(list(urls)))
            ).all()
        best: datetime | None = None
        for next_at, until in rows:
            at = next_at or datetime.min.replace(tzinfo=UTC)
            if until is not None and until > at:
                at = until
            if best is None or at < best:
                best = at
        return best

    def take_lease(self, name: str, owner: str, lease: timedelta) -> bool:
        """Hold the named job for ``lease`` (or renew it); False while another holds it."""
        now = utcnow()
        for _ in range(3):
            try:
                with self._session.begin() as s:
                    row = s.scalar(
                        select(LeaseRow).where(LeaseRow.name == name).with_for_update()
                    )
                    if row is None:
                        s.add(LeaseRow(name=name, owner=owner, until=now + lease))
                        return True
                    if row.owner != owner and row.until > now:
                        return False
                    row.owner, row.until = owner, now + lease
                    return True
            except IntegrityError:  # another instance created it first
                continue
        return False

    def renew_leases(self, owner: str, lease: timedelta) -> int:
        """Extend every lease ``owner`` holds (its heartbeat): alive, so still its own."""
        until = utcnow() + lease
        with self._session.begin() as s:
            self._volatile(s)
            n = s.execute(
                update(FeedRow).where(FeedRow.lease_owner == owner).values(lease_until=until)
            ).rowcount  # type: ignore[attr-defined]
            n += s.execute(
                update(LeaseRow).where(LeaseRow.owner == owner).values(until=until)
            ).rowcount  # type: ignore[attr-defined]
            return int(n or 0)

    def drop_leases(self, owner: str | None) -> None:
        """A clean stop: what ``owner`` held is free for the others at once. ``None``:
        every lease (one instance, starting: whatever a previous run held is void)."""
        with self._session.begin() as s:
            feeds = update(FeedRow).where(FeedRow.lease_owner.is_not(None))
            jobs = delete(LeaseRow)
            if owner is not None:
                feeds = feeds.where(FeedRow.lease_owner == owner)
                jobs = jobs.where(LeaseRow.owner == owner)
            s.execute(feeds.values(lease_owner=None, lease_until=None))
            s.execute(jobs)

    def feed_due_sooner(self, url: str, when: datetime) -> None:
        """Poll ``url`` by ``when`` at the latest (its interval was shortened)."""
        with self._session.begin() as s:
            s.execute(
                update(FeedRow)
                .where(FeedRow.url == url, or_(FeedRow.next_poll_at.is_(None),
                                               FeedRow.next_poll_at > when))
                .values(next_poll_at=when)
            )

    # -- WebSub --------------------------------------------------------------------------

    def websub(self, feed_url: str) -> WebSubState | None:
        with self._session() as s:
            row = s.scalar(select(WebSubRow).where(WebSubRow.feed_url == feed_url))
            return None if row is None else _websub_state(row)

    def websub_all(self) -> list[WebSubState]:
        with self._session() as s:
            return [_websub_state(r) for r in s.scalars(select(WebSubRow).order_by(WebSubRow.id))]

    def set_websub(self, feed_url: str, **values: Any) -> None:
        """Create or update the subscription record of a feed."""
        with self._session.begin() as s:
            row = s.scalar(select(WebSubRow).where(WebSubRow.feed_url == feed_url))
            if row is None:
                row = WebSubRow(feed_url=feed_url)
                s.add(row)
            for k, v in values.items():
                if k not in WebSubRow.__table__.columns or k in ("id", "feed_url"):
                    raise ValueError(f"unknown websub field: {k}")
                setattr(row, k, v)


def _websub_state(row: WebSubRow) -> WebSubState:
    return WebSubState(
        feed_url=row.feed_url,
        hub=row.hub,
        topic=row.topic,
        secret=row.secret,
        state=row.state,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        last_error=row.last_error,
    )


def _article_values(article: Article, language: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "source_id": article.source_id,
        "guid": article.guid,
        "url": article.url,
        "content_hash": article.content_hash,
        "title": article.title[:2000],
        "language": language,
        "published": article.published,
        "seen_at": utcnow(),
        **extra,
    }


def _feed_state(row: FeedRow) -> FeedState:
    return FeedState(
        url=row.url,
        current_url=row.current_url,
        etag=row.etag,
        last_modified=row.last_modified,
        first_poll_done=row.first_poll_done,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        items_seen=row.items_seen,
        name=row.name,
        next_poll_at=row.next_poll_at,
        down_notified=bool(row.down_notified),
    )


def _chunks(items: Sequence[Article], size: int) -> Iterable[Sequence[Article]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
