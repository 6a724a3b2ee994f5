"""Follow-ups as replies in a posted alert's thread (issue 19).

``deliveries.thread_id``: the Discord thread started on the alert's message, reused by the
next follow-up; ``deliveries.followups``: the mode (``edit``, ``thread``, ``both``) the last
follow-up was queued under. ``followups``: one row per reply to tell, marked as it is sent.

All additive and nullable (or a new table), so a running older version is not disturbed
while a newer one migrates beside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_threads"
down_revision = "0007_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("thread_id", sa.String(256)))
    op.add_column("deliveries", sa.Column("followups", sa.String(8)))
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_name", sa.String(512)),
        sa.Column("url", sa.String(4096)),
        sa.Column("text", sa.Text()),
        sa.Column("language", sa.String(16)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("external_id", sa.String(256)),
    )
    op.create_index("ix_followups_delivery_id", "followups", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_followups_delivery_id", table_name="followups")
    op.drop_table("followups")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("followups")
        batch.drop_column("thread_id")
