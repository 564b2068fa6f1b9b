"""The lookups every authenticated request makes, batched per turn of the event loop
(`adapters/batching.py`), against real PostgreSQL and Redis: each caller gets its own answer,
and requests that ask together share one round trip."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.redis.client import RedisLink
from adapters.redis.sessions import RedisSessionStore
from adapters.sql.account_reads import AsyncpgAccountReadModel, UsersById
from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database, create_engine
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.auth.sessions import refresh_hash
from domain.errors import DependencyUnavailable
from domain.users import Role
from tests.support.isolation import REDIS_KEY_PREFIX

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


class CountingPool(ReadPool):
    """The read pool, counting the statements sent through it."""

    def __init__(self, url: str) -> None:
        super().__init__(url, 2)
        self.sent: list[str] = []

    async def get(self) -> Any:
        pool = await super().get()
        counting = self

        class Counted:
            async def fetch(self, query: str, *args: Any) -> Any:
                counting.sent.append(query)
                return await pool.fetch(query, *args)

        return Counted()


@pytest.mark.postgres
async def test_callers_asking_together_are_read_by_one_statement(postgres_database: str) -> None:
    db = Database(create_engine(postgres_database, pool_size=2))
    pool = CountingPool(postgres_database)
    try:
        async with SqlUnitOfWork(db) as uow:
            ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
            bob = await uow.users.add("bob@example.com", "hash", Role.ADMIN, NOW)
            await uow.commit()
        users = UsersById(pool)
        asked = [ann.id, bob.id, ann.id, 999_999, 2**63]  # 2**63: beyond bigint, never sent
        found = await asyncio.gather(*(AsyncpgAccountReadModel(users).user(i) for i in asked))
        assert [u.email if u else None for u in found] == [
            "ann@example.com",
            "bob@example.com",
            "ann@example.com",
            None,
            None,
        ]
        assert found[1] is not None and found[1].role is Role.ADMIN
        assert len(pool.sent) == 1 and "ANY" in pool.sent[0]

        # Read afresh on the next turn: a deactivation is seen by the next request.
        async with SqlUnitOfWork(db) as uow:
            user = await uow.users.get(ann.id)
            assert user is not None
            await uow.users.save(user.with_active(False))
            await uow.commit()
        again = await AsyncpgAccountReadModel(users).user(ann.id)
        assert again is not None and not again.is_active
        assert len(pool.sent) == 2
    finally:
        await pool.close()
        await db.engine.dispose()


class CountingClient:
    """The Redis client, counting the round trips an owner lookup makes (a command or a
    pipeline)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.round_trips = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def hget(self, *args: Any) -> Any:
        self.round_trips += 1
        return await self._client.hget(*args)

    def pipeline(self, **options: Any) -> Any:
        self.round_trips += 1
        return self._client.pipeline(**options)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[CountingClient]:
    link = RedisLink(redis_url)
    assert link.client is not None
    yield CountingClient(link.client)
    await link.close()


@pytest.fixture
def store(client: CountingClient) -> RedisSessionStore:
    return RedisSessionStore(client, timedelta(days=1), REDIS_KEY_PREFIX)  # type: ignore[arg-type]


@pytest.mark.redis
async def test_sessions_asked_for_together_each_get_their_own_owner(
    store: RedisSessionStore, client: CountingClient
) -> None:
    await store.start(7, "sid-a", refresh_hash("a"))
    await store.start(8, "sid-b", refresh_hash("b"))
    await store.start(8, "sid-ended", refresh_hash("c"))
    await store.end("sid-ended")
    asked = ["sid-a", "sid-b", "sid-ended", "sid-unknown", "sid-a"] * 3
    owners = await asyncio.gather(*(store.owner(s) for s in asked))
    assert owners == [7, 8, None, None, 7] * 3
    assert client.round_trips == 1  # one pipeline of four HGETs
    # Ended between two turns: the next lookup sees it.
    await store.end_all(8)
    assert list(await asyncio.gather(store.owner("sid-a"), store.owner("sid-b"))) == [7, None]
    assert await store.owner("sid-a") == 7  # alone in its turn: the command, no pipeline
    assert client.round_trips == 3


@pytest.mark.redis
async def test_a_session_entry_that_is_not_ours_fails_no_other_lookup(
    store: RedisSessionStore, client: CountingClient
) -> None:
    """A key of another type under the prefix is that lookup's own 503; a user that is not a
    number is no live session (401); the rest of the batch is answered."""
    await store.start(7, "sid-a", refresh_hash("a"))
    await client.set(f"{REDIS_KEY_PREFIX}session:sid-string", "not a hash")
    await client.hset(f"{REDIS_KEY_PREFIX}session:sid-odd", "user", "seven")
    asked = ["sid-a", "sid-string", "sid-odd", "sid-a"]
    owners = await asyncio.gather(*(store.owner(s) for s in asked), return_exceptions=True)
    assert owners[0] == 7 and owners[3] == 7
    assert isinstance(owners[1], DependencyUnavailable)
    assert owners[2] is None
    assert client.round_trips == 1
