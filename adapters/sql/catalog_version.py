"""Bumping the catalog version inside the writer's own transaction.

The version lives in `SHARDS` counter rows; a write bumps the row its key falls in
(an upsert, so emptied tables heal themselves) and readers sum them all. A reader
that reads the version first and the rows after can only pair new rows with an old
version, never old rows with a new one: the worst case is one needless full answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import catalog_version

SHARDS = 16

# PostgreSQL returns a numeric sum of bigints: cast it back.
VERSION_SQL = "SELECT coalesce(sum(version), 0)::bigint FROM catalog_version"
version_query = select(func.coalesce(func.sum(catalog_version.c.version), 0))


def _bump(dialect: Any) -> Any:
    statement = dialect.insert(catalog_version).values(shard=0, version=1)
    return statement.on_conflict_do_update(
        index_elements=[catalog_version.c.shard], set_={"version": catalog_version.c.version + 1}
    )


_BUMPS = {"postgresql": _bump(postgresql), "sqlite": _bump(sqlite)}


async def bump_catalog_version(conn: AsyncConnection, key: int) -> None:
    """Count one catalog change; `key` (a product or category id) spreads writers over the rows."""
    statement = _BUMPS[conn.dialect.name].values(shard=key % SHARDS, version=1)
    await conn.execute(statement)


async def read_catalog_version(conn: AsyncConnection) -> str:
    return str(int((await conn.execute(version_query)).scalar_one()))
