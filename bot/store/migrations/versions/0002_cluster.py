"""Several instances on one database: feed leases, the instance that claimed a delivery,
and named job leases (a seed folder's scan).

All additive and nullable (or a new table), so a running older version is not disturbed
while a newer one migrates beside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_cluster"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("lease_owner", sa.String(128)))
    op.add_column("feeds", sa.Column("lease_until", sa.DateTime()))
    op.add_column("deliveries", sa.Column("claimed_by", sa.String(128)))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(1024), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
