"""orders: an index of the pending orders per user

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

Placing an order counts the user's pending orders (ORDER_PENDING_LIMIT): a partial
index holds only those, so the count does not walk the user's whole history.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here the add-a-column-and-index steps of 0006 and 0010.


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_pending_user_id",
            ["user_id"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_pending_user_id")
