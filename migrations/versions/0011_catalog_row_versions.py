"""catalog: a version per product and category row, bumped by the database itself

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00.000000

Replaces the shared `catalog_version` counters (0005), which every catalog write and every
order had to bump by hand. Now each product and category row carries `version`: 1 when
inserted, one more on every UPDATE of the row, whatever statement wrote it, by a trigger
(PostgreSQL: BEFORE UPDATE sets NEW.version; SQLite, whose triggers cannot change NEW: AFTER
UPDATE writes the row once more, and only while the version is not already OLD + 1, so it
ends even with recursive triggers on). A catalog answer's ETag is derived from the versions
of the rows it shows (docs/decisions.md, "Catalog ETags from row versions").

A SQLite table rebuilt by a batch migration ("move and copy") loses its triggers: such a
migration must create them again (tests/integration/test_catalog_row_versions.py fails if
a product or category write leaves the version alone at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deliberate twins: a revision is self-contained and never changes once applied, so it
# repeats what its siblings also write rather than import it; here 0005's `catalog_version` table in its downgrade: the table back as 0005 made it.

TABLES = ("categories", "products")

POSTGRESQL_FUNCTION = """
CREATE FUNCTION bump_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$
"""


def _postgresql_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_version BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION bump_row_version()"
    )


def _sqlite_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_version AFTER UPDATE ON {table} FOR EACH ROW "  # noqa: S608 - fixed table names
        "WHEN NEW.version IS NOT OLD.version + 1 "
        f"BEGIN UPDATE {table} SET version = OLD.version + 1 WHERE id = NEW.id; END"
    )


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False)
        )
    if op.get_context().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for table in TABLES:
            op.execute(_postgresql_trigger(table))
    else:
        for table in TABLES:
            op.execute(_sqlite_trigger(table))
    op.drop_table("catalog_version")


def downgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_catalog_version")),
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_version" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION bump_row_version()")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
