"""catalog version counters (ETags of the catalog)

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 03:40:00.000000

0004 was set aside for sessions, which live in Redis (or memory): no table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here the `catalog_version` table, which 0011's downgrade makes again as it was here.


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_catalog_version")),
    )


def downgrade() -> None:
    op.drop_table("catalog_version")
