"""What the adapter tests share: an engine on each database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.sql.database import Database, create_engine


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on SQLite and on PostgreSQL, emptied first (see `database_url`)."""
    database = Database(create_engine(database_url, pool_size=3))  # the PostgreSQL server is shared
    yield database
    await database.dispose()
