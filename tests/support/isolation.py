"""What a test run may touch on the servers it is given, and how it cleans up after itself.

The suite runs on a developer's own PostgreSQL and Redis, so it touches only what it creates:

- PostgreSQL (`TEST_POSTGRES_URL`, an admin connection): databases named
  `TEST_DATABASE_PREFIX` (default `storefront_test_`) + a random suffix, created by this run
  and dropped by name at its end. Nothing else is ever dropped, not even a database that
  happens to carry the prefix.
- Redis (`TEST_REDIS_URL`): keys under `REDIS_KEY_PREFIX`, a prefix unique to this run that
  every app the tests start is given (the app namespaces every key it writes with it).
  Cleaning up deletes the keys under that prefix (SCAN + DEL); nothing is flushed.
- Ports: chosen free at run time.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_DATABASE_PREFIX = os.environ.get("TEST_DATABASE_PREFIX", "storefront_test_")
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", TEST_DATABASE_PREFIX):
    raise RuntimeError(
        "TEST_DATABASE_PREFIX must be 1 to 40 lower-case letters, digits or underscores, "
        f"not starting with a digit: {TEST_DATABASE_PREFIX!r}"
    )

# A parent run may name its child run (tests/integration/test_run_isolation.py does).
RUN_ID = os.environ.get("TEST_RUN_ID") or uuid.uuid4().hex[:12]
if not re.fullmatch(r"[a-z0-9]{1,32}", RUN_ID):
    raise RuntimeError(f"TEST_RUN_ID must be 1 to 32 lower-case letters or digits, not {RUN_ID!r}")
# Every Redis key of this run, whichever process writes it, starts with this.
REDIS_KEY_PREFIX = f"storefront-test:{RUN_ID}:"

_created_databases: set[str] = set()


def new_database_name(label: str = "") -> str:
    """A database name of this run: the prefix, an optional label, a random suffix."""
    return f"{TEST_DATABASE_PREFIX}{label}{uuid.uuid4().hex[:10]}"


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def create_database(name: str) -> str:
    """Create the database `name` (blocking; call it off the event loop); returns its URL."""
    if not name.startswith(TEST_DATABASE_PREFIX):
        raise ValueError(f"a test database must be named {TEST_DATABASE_PREFIX}…, not {name!r}")
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    _created_databases.add(name)
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    """Drop a database this run created; any other name is refused."""
    if name not in _created_databases:
        raise ValueError(f"{name!r} was not created by this test run: not dropping it")
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _created_databases.discard(name)


async def delete_keys(url: str, prefix: str = REDIS_KEY_PREFIX) -> int:
    """Delete the keys under `prefix` (SCAN + DEL, never FLUSHDB); returns how many."""
    import redis.asyncio as redis

    if not prefix:
        raise ValueError("refusing to delete keys without a prefix")
    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
    client = redis.Redis.from_url(url)
    deleted = 0
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await client.delete(*batch)
                batch = []
        if batch:
            deleted += await client.delete(*batch)
    finally:
        await client.aclose()
    return deleted
