"""Deliveries a drain died holding come back; subscriptions the bot cannot post to pause.

``deliveries.sending_since``: when the claim in flight began, so a row an instance has held
far longer than a post takes is requeued (in doubt) without a restart.
``subscriptions.paused_at`` / ``paused_reason``: the channel refused the bot for good
(gone, archived, the bot removed); no alerts are queued for it until it is subscribed again.

All additive and nullable, so a running older version is not disturbed while a newer one
migrates beside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_edges"
down_revision = "0002_cluster"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("sending_since", sa.DateTime()))
    op.add_column("subscriptions", sa.Column("paused_at", sa.DateTime()))
    op.add_column("subscriptions", sa.Column("paused_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("paused_reason")
        batch.drop_column("paused_at")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("sending_since")
