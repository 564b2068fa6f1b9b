"""order events: the order timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

One append-only row per change of an order, of its payments and of its refunds, written in
the change's transaction. Read per order, oldest first: an index on (order_id, id). Orders
placed before this revision have no timeline of their past; their later changes are
recorded (an empty table is created, nothing is backfilled).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here `_id` and the columns shaped like 0002's and 0003's tables.

TYPES = (
    "'placed', 'cancelled', 'expired', 'payment_started', 'payment_pending', 'payment_succeeded', "
    "'payment_failed', 'payment_canceled', 'paid', 'shipped', 'delivered', 'refund_requested', "
    "'refund_succeeded', 'refund_failed', 'refunded'"
)


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_events",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("order_id", _id(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"type IN ({TYPES})", name=op.f("ck_order_events_type")),
        sa.CheckConstraint(
            "actor IN ('customer', 'admin', 'system', 'provider')", name=op.f("ck_order_events_actor")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_events_order_id_id"), ["order_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_order_id_id"))
    op.drop_table("order_events")
