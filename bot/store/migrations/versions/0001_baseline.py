"""The schema newsbot had when migrations began: feeds, websub, articles, alerts, deliveries,
subscriptions.

On an empty database this creates every table. A database an earlier newsbot made (before
migrations, with ``create_all`` and added columns) is adopted instead: the tables and indexes
it lacks are created, the nullable columns its tables lack are added, and every row stays.
Written out by hand, never from the models, which keep changing after this revision.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _table(name: str, *items: sa.Column[Any] | sa.Constraint) -> None:
    """Create the table, or on a database that has it, add the columns it lacks."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(name):
        op.create_table(name, *items)
        return
    present = {c["name"] for c in inspector.get_columns(name)}
    for item in items:
        if isinstance(item, sa.Column) and item.name not in present:
            op.add_column(name, item)


def _index(name: str, table: str, columns: list[str], unique: bool = False) -> None:
    inspector = sa.inspect(op.get_bind())
    if name not in {i["name"] for i in inspector.get_indexes(table)}:
        op.create_index(name, table, columns, unique=unique)


def upgrade() -> None:
    _table(
        "feeds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("current_url", sa.String(2048)),
        sa.Column("name", sa.String(512)),
        sa.Column("etag", sa.String(1024)),
        sa.Column("last_modified", sa.String(256)),
        sa.Column("first_poll_done", sa.Boolean(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime()),
        sa.Column("last_success_at", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", sa.DateTime()),
        sa.Column("down_notified", sa.Boolean()),
        sa.UniqueConstraint("url"),
    )
    _table(
        "websub",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_url", sa.String(2048), nullable=False),
        sa.Column("hub", sa.String(2048), nullable=False),
        sa.Column("topic", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime()),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.UniqueConstraint("feed_url"),
    )
    _table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.String(2048), nullable=False),
        sa.Column("guid", sa.String(2048), nullable=False),
        sa.Column("url", sa.String(2048)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("published", sa.DateTime()),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("story_of", sa.String(64)),
        sa.UniqueConstraint("source_id", "guid", name="uq_article_source_guid"),
    )
    _index("ix_articles_url", "articles", ["url"])
    _index("ix_articles_content_hash", "articles", ["content_hash"])
    _table(
        "alerts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("top_score", sa.Double(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(16)),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
    )
    _index("ix_alerts_created_at", "alerts", ["created_at"])
    _table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("external_id", sa.String(256)),
        sa.Column("kind", sa.String(16)),
        sa.Column("refresh", sa.Boolean()),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("in_doubt", sa.Boolean()),
        sa.Column("hold", sa.String(16)),
        sa.Column("batch", sa.String(64)),
        sa.UniqueConstraint("alert_id", "platform", "channel", name="uq_delivery"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
    )
    _index("ix_deliveries_alert_id", "deliveries", ["alert_id"])
    _index("ix_deliveries_status", "deliveries", ["status"])
    _index("ix_deliveries_batch", "deliveries", ["batch"])
    _table(
        "subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("item_id", sa.String(128), nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("platform", "channel", "item_id", name="uq_subscription"),
    )


def downgrade() -> None:
    for table in ("subscriptions", "deliveries", "alerts", "articles", "websub", "feeds"):
        op.drop_table(table)
