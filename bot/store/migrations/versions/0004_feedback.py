"""Feedback on alerts, mutes, and when periodic jobs last ran (issue 19).

``feedback``: one answer per (alert, channel, user), a second click replaces it.
``mutes``: a story (no more edits there) or a watch item (no alerts there for a while)
silenced in one channel. ``job_runs``: the weekly feedback note's last run, so a restart
neither repeats nor skips it.

New tables only, so a running older version is not disturbed while a newer one migrates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_feedback"
down_revision = "0003_edges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("alert_id", "platform", "channel", "user_id", name="uq_feedback"),
    )
    op.create_index("ix_feedback_alert_id", "feedback", ["alert_id"])
    op.create_index("ix_feedback_updated_at", "feedback", ["updated_at"])
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("until", sa.DateTime()),
        sa.Column("created_by", sa.String(256)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("platform", "channel", "kind", "key", name="uq_mute"),
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("mutes")
    op.drop_index("ix_feedback_updated_at", table_name="feedback")
    op.drop_index("ix_feedback_alert_id", table_name="feedback")
    op.drop_table("feedback")
