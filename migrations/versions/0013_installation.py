"""installation: this store's identity at the payment providers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12 10:00:00.000000

One row: a random id made here, once, when the database is created or upgraded. Every reference
the store gives a payment provider as its idempotency key carries it
(`application/payments/references.py`), so that two stores on one provider account (staging and
production), or one store after its database was reset, never share a reference.
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("installation_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.bulk_insert(
        installation, [{"id": 1, "installation_id": secrets.token_hex(8), "created_at": datetime.now(UTC)}]
    )


def downgrade() -> None:
    op.drop_table("installation")
