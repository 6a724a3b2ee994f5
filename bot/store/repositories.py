"""Opening the database: migrate it, then hand out one repository per part of the bot.

Built once per process; each part is given the repository it uses, never this bundle, so
what a part may touch in the database is visible in its constructor.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.articles import ArticleRepository
from bot.store.db import Database
from bot.store.feedback import FeedbackRepository
from bot.store.feeds import FeedRepository
from bot.store.history import HistoryRepository
from bot.store.leases import LeaseRepository
from bot.store.migrate import upgrade
from bot.store.outbox import OutboxRepository
from bot.store.outcomes import OutcomeRepository
from bot.store.search import SearchRepository
from bot.store.subscriptions import SubscriptionRepository
from bot.store.translations import TranslationRepository
from bot.store.websub import WebSubRepository


@dataclass(frozen=True)
class Repositories:
    """The repositories of one :class:`Database`: same engine, same pool, same outages."""

    db: Database
    articles: ArticleRepository
    history: HistoryRepository
    outbox: OutboxRepository
    outcomes: OutcomeRepository
    feeds: FeedRepository
    leases: LeaseRepository
    websub: WebSubRepository
    subscriptions: SubscriptionRepository
    translations: TranslationRepository
    feedback: FeedbackRepository
    search: SearchRepository

    @classmethod
    def of(cls, db: Database) -> Repositories:
        return cls(
            db=db,
            articles=ArticleRepository(db),
            history=HistoryRepository(db),
            outbox=OutboxRepository(db),
            outcomes=OutcomeRepository(db),
            feeds=FeedRepository(db),
            leases=LeaseRepository(db),
            websub=WebSubRepository(db),
            subscriptions=SubscriptionRepository(db),
            translations=TranslationRepository(db),
            feedback=FeedbackRepository(db),
            search=SearchRepository(db),
        )

    def close(self) -> None:
        self.db.close()


def open_store(url: str) -> Repositories:
    """Connect to ``url``, bring its schema to this version's (migrations run first, before
    any query), and build the repositories on it."""
    db = Database(url)
    upgrade(db.engine)
    return Repositories.of(db)
