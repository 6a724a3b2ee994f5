"""A feed an admin paused in the web console: ``feeds.paused_at`` (NULL: polled as usual).

The feed scheduler claims no paused feed; resuming clears the column and the feed is due
again at its next poll time (at once, if that passed while it was paused).

Additive and nullable, so a running older version is not disturbed while a newer one
migrates beside it (it keeps polling every feed until it is upgraded).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_feed_pause"
down_revision = "0004_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("paused_at", sa.DateTime()))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("paused_at")
