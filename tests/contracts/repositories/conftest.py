"""The repository contract: every test here runs on the fakes, on SQLite and on PostgreSQL.

A test takes `storage` and reaches the repositories only through its units of work and
its idempotency store, so the same assertions hold the fakes (`tests/fakes`) to the SQL
adapters' behaviour: errors and their messages, order and ties, what a rollback keeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database, create_engine
from tests.conftest import clean_database
from tests.contracts.repositories.storage import Storage, memory_storage, sql_storage


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[Storage]:
    """The fakes, then each database from empty tables (see `database_url`)."""
    if request.param == "memory":
        yield memory_storage()
        return
    url: str = request.getfixturevalue(f"{request.param}_url")
    await clean_database(url)
    db = Database(create_engine(url, pool_size=3))  # the PostgreSQL server is shared
    # The read pool exists on PostgreSQL only, as in the app (entrypoints/ioc/read_models.py).
    pool = ReadPool(url, 2) if request.param == "postgres" else None
    try:
        yield sql_storage(request.param, db, pool)
    finally:
        if pool is not None:
            await pool.close()
        await db.dispose()
