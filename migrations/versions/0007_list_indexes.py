"""indexes of the back office's order and payment lists

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:30:00.000000

Every filter of `GET /orders` and `GET /payments` with their sort (created_at DESC, id DESC)
is served by one index, so a page reads its rows in order and stops: no sort of the whole
table, at any number of orders. The old (status, created_at) index of the orders is
replaced by (status, created_at, id), which serves the expiry sweep as well.

On PostgreSQL the indexes are built CONCURRENTLY, outside the migration's transaction, so
a live store keeps taking orders while they are built; a build that failed halfway leaves
an invalid index, which the next run drops and builds again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns, partial-index predicate on PostgreSQL, on SQLite)
INDEXES: list[tuple[str, str, list[str], str | None, str | None]] = [
    ("ix_orders_created_at_id", "orders", ["created_at", "id"], None, None),
    ("ix_orders_status_created_at_id", "orders", ["status", "created_at", "id"], None, None),
    ("ix_payments_created_at_id", "payments", ["created_at", "id"], None, None),
    ("ix_payments_status_created_at_id", "payments", ["status", "created_at", "id"], None, None),
    ("ix_payments_provider_created_at_id", "payments", ["provider", "created_at", "id"], None, None),
    (
        "ix_payments_refund_required_created_at_id",
        "payments",
        ["created_at", "id"],
        "refund_required",
        "refund_required = 1",
    ),
]
OLD = ("ix_orders_status_created_at", "orders", ["status", "created_at"])


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _create(
    name: str, table: str, columns: list[str], pg_where: str | None, sqlite_where: str | None
) -> None:
    if _postgresql():
        with op.get_context().autocommit_block():
            op.execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))  # a failed build's leftover
            op.create_index(
                name,
                table,
                columns,
                postgresql_concurrently=True,
                postgresql_where=sa.text(pg_where) if pg_where else None,
            )
    else:
        op.create_index(name, table, columns, sqlite_where=sa.text(sqlite_where) if sqlite_where else None)


def _drop(name: str, table: str) -> None:
    if _postgresql():
        with op.get_context().autocommit_block():
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(name, table_name=table)


def upgrade() -> None:
    for index in INDEXES:
        _create(*index)
    _drop(OLD[0], OLD[1])


def downgrade() -> None:
    _create(*OLD, None, None)
    for name, table, *_ in reversed(INDEXES):
        _drop(name, table)
