"""The installation's identity, kept in the one row of `installation`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from adapters.sql.database import Database
from adapters.sql.tables import installation
from application.ports import Installation, InstallationStore


class SqlInstallationStore(InstallationStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def installation(self) -> Installation:
        """The stored id; where the row is missing (the tables were emptied since the migration
        made it) a new random one is stored first — concurrent first readers agree on one."""
        async with self._db.transaction() as conn:
            insert_of = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            await conn.execute(
                insert_of(installation)
                .values(id=1, installation_id=secrets.token_hex(8), created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["id"])
            )
            found = (await conn.execute(select(installation.c.installation_id))).scalar_one()
            await conn.commit()
        return Installation(found)
