"""Alerts in the team's language (issue 17).

``translations``: one machine translation per (text hash, source, target), so five channels
and a restart cost one request. ``subscriptions.lang``: ``/subscribe kursk lang:fr``.
``deliveries.translation_pending``: posted in the original because the translation was
late; edited once it arrives.

All additive and nullable (or a new table), so a running older version is not disturbed
while a newer one migrates beside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_translations"
down_revision = "0005_feed_pause"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("backend", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("text_hash", "source", "target", name="uq_translation"),
    )
    op.add_column("subscriptions", sa.Column("lang", sa.String(16)))
    op.add_column("deliveries", sa.Column("translation_pending", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("translation_pending")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("lang")
    op.drop_table("translations")
