"""refunds, the jobs outbox, refunded sums of payments and orders, the refunded order status

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00.000000

Refunds are requested (pending) together with a job in `jobs`, the transactional outbox
a worker carries out. `payments.refunded_minor` and `orders.refunded_minor` hold the sums
of the succeeded refunds, kept in the transaction that records each success.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here `_id`, the header, the refunds table shaped like 0003's payments and 0002's drops.

JOB_READY = sa.text("status IN ('due', 'running')")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refunded_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.drop_constraint(op.f("ck_orders_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_orders_status"),
            "status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')",
        )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refunded_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )

    op.create_table(
        "refunds",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("payment_id", _id(), nullable=False),
        sa.Column("order_id", _id(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=255), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_refunds_status")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_refunds_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_payment_id_id"), ["payment_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_refunds_provider_refund_id"), ["provider_refund_id"], unique=False
        )

    op.create_table(
        "jobs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('due', 'running', 'succeeded', 'dead')", name=op.f("ck_jobs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_ready_run_after",
            ["run_after"],
            unique=False,
            postgresql_where=JOB_READY,
            sqlite_where=JOB_READY,
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_ready_run_after")
    op.drop_table("jobs")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_provider_refund_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id_id"))
    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("refunded_minor")
    op.execute("UPDATE orders SET status = 'delivered' WHERE status = 'refunded'")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_orders_status"), "status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')"
        )
        batch_op.drop_column("refunded_minor")
