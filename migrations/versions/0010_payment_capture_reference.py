"""payments: the provider's id that refunds are made against

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00.000000

Stripe refunds a payment by its PaymentIntent (`pi_…`), which the Checkout Session's
completion event carries: it is kept with the payment (nullable; other providers refund by
their payment id and leave it empty).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here the add-a-column-and-index steps of 0006 and 0008.


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capture_reference", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("capture_reference")
