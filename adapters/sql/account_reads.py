"""Account lookups for authentication on PostgreSQL: one primary-key SELECT, no transaction."""

from __future__ import annotations

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.repositories import user_of
from adapters.sql.tables import users
from application.ids import is_storable_id
from application.ports import AccountReadModel
from domain.users import User

# Every column of the table, read by name (`user_of`): no list to keep in any order.
_USER = f"SELECT {', '.join(users.columns.keys())} FROM users WHERE id = $1"  # noqa: S608 - constant SQL


class AsyncpgAccountReadModel(AccountReadModel):
    """Per request: remembers what it read, so authentication and `me` share one lookup."""

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool
        self._seen: dict[int, User | None] = {}

    async def user(self, user_id: int) -> User | None:
        if user_id not in self._seen:
            found = None
            if is_storable_id(user_id):
                pool = await self._pool.get()
                r = await pool.fetchrow(_USER, user_id)
                if r is not None:
                    found = user_of(r)
            self._seen[user_id] = found
        return self._seen[user_id]
