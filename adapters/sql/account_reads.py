"""Account lookups for authentication on PostgreSQL: primary-key SELECTs, no transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.batching import BatchedLookup, KeyFailed
from adapters.sql.catalog_reads import ReadPool
from adapters.sql.hot_path import array_parameter
from adapters.sql.repositories import user_of
from adapters.sql.tables import users
from application.ids import is_storable_id
from application.ports import AccountReadModel
from domain.users import User

# Every column of the table, read by name (`user_of`): no list to keep in any order.
_USERS = (
    f"SELECT {', '.join(users.columns.keys())} FROM users "  # noqa: S608 - constant SQL
    f"WHERE id = ANY({array_parameter(1, 'bigint')})"
)


class UsersById:
    """The process's user lookups: those asked for in one turn of the event loop are read by one
    statement (`adapters/batching.py`; every authenticated request reads its caller's row)."""

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool
        self._lookup: BatchedLookup[int, User] = BatchedLookup(self._read)

    async def get(self, user_id: int) -> User | None:
        """The user with this id, read after the call began; None if there is none."""
        return await self._lookup.get(user_id) if is_storable_id(user_id) else None

    async def _read(self, ids: Sequence[int]) -> Mapping[int, User | KeyFailed]:
        pool = await self._pool.get()
        found: dict[int, User | KeyFailed] = {}
        for row in await pool.fetch(_USERS, ids):
            try:
                found[row["id"]] = user_of(row)
            except ValueError as error:  # a row the domain refuses: its own request's failure alone
                found[row["id"]] = KeyFailed(error)
        return found


class AsyncpgAccountReadModel(AccountReadModel):
    """Per request: remembers what it read, so authentication and `me` share one lookup."""

    def __init__(self, users_by_id: UsersById) -> None:
        self._users = users_by_id
        self._seen: dict[int, User | None] = {}

    async def user(self, user_id: int) -> User | None:
        if user_id not in self._seen:
            self._seen[user_id] = await self._users.get(user_id)
        return self._seen[user_id]
