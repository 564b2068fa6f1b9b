"""idempotency keys: the claim's token and the resource its work created

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:40:00.000000

The resource is written in the work's own transaction, so a retry after a crash
answers from it instead of doing the work twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here the add-a-column-and-index steps of 0008 and 0010.


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "resource_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("resource_id")
        batch_op.drop_column("claim_token")
