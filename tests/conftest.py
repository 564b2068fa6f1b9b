"""Shared fixtures: throw-away databases on SQLite and PostgreSQL, Redis, settings.

PostgreSQL and Redis come from `TEST_POSTGRES_URL` (an admin URL; each test run
creates its own databases and drops only those afterwards) and `TEST_REDIS_URL` (each
run writes and deletes only keys under its own prefix): see `tests.support.isolation`. When a
server is unreachable its tests are skipped, unless
`STOREFRONT_TEST_REQUIRE_SERVICES=1` (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql.tables import metadata
from entrypoints.migrations import upgrade
from entrypoints.settings import Settings
from tests.support.isolation import (
    POSTGRES_ADMIN_URL as POSTGRES_ADMIN_URL,  # re-exported for the tests that need it
)
from tests.support.isolation import (
    REDIS_KEY_PREFIX,
    REDIS_URL,
    create_database,
    delete_keys,
    drop_database,
    new_database_name,
)

T = TypeVar("T")

REQUIRE_SERVICES = os.environ.get("STOREFRONT_TEST_REQUIRE_SERVICES") == "1"

# Fast bcrypt for tests; production defaults are checked in their own tests.
TEST_BCRYPT_ROUNDS = 4
# High, but not off: every placement in the tests takes the limit's lock and count.
TEST_ORDER_PENDING_LIMIT = 1000


def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (Alembic, `asyncio.run`) on its own thread, away from the test loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def service_missing(what: str, error: BaseException) -> None:
    message = f"{what} is unreachable ({type(error).__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; STOREFRONT_TEST_REQUIRE_SERVICES=1 requires it", pytrace=False)
    pytest.skip(message)


# ---- databases -----------------------------------------------------------------


def _create_postgres_database() -> str:
    """A fresh database of this run, migrated to head; returns its URL."""
    url = create_database(new_database_name())
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for the whole run (tables emptied per test by `clean_database`)."""
    try:
        url = off_loop(_create_postgres_database)
    except Exception as error:
        service_missing("PostgreSQL", error)
        raise
    yield url
    off_loop(drop_database, make_url(url).database or "")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "storefront.db"
    url = f"sqlite+aiosqlite:///{path}"
    off_loop(upgrade, url)
    return url


async def clean_database(url: str) -> None:
    """Empty every table (ids restart), keeping the schema and the Alembic version."""
    engine = create_async_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    await conn.execute(text(f"DELETE FROM {table}"))
                exists = await conn.execute(
                    text("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
                )
                if exists.first():
                    await conn.execute(text("DELETE FROM sqlite_sequence"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs on both databases, starting from empty tables."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    await clean_database(url)
    return url


@pytest.fixture
async def postgres_database(postgres_url: str) -> str:
    """For tests that only make sense on PostgreSQL (concurrency across processes)."""
    await clean_database(postgres_url)
    return postgres_url


# ---- redis ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """`TEST_REDIS_URL`, reachable; at the end of the run this run's keys are deleted."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as error:
        service_missing("Redis", error)
        raise
    finally:
        client.close()
    yield REDIS_URL
    off_loop(asyncio.run, delete_keys(REDIS_URL))


@pytest.fixture
async def redis_url(redis_server: str) -> str:
    """The Redis of the tests, with none of this run's keys left (the rest of it is not touched).

    Apps built by `make_settings` and servers started by `tests.support` write under this
    run's `REDIS_KEY_PREFIX`.
    """
    await delete_keys(redis_server)
    return redis_server


# ---- settings ------------------------------------------------------------------


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "bcrypt_rounds": TEST_BCRYPT_ROUNDS,
        "admin_email": "admin@storefront.test",
        "admin_password": "admin-password",
        "rate_limit_login": "0",
        "rate_limit_register": "0",
        "rate_limit_api": "0",
        "redis_key_prefix": REDIS_KEY_PREFIX,
        # Scenarios place many orders for one customer; the limit's own tests set it.
        "order_pending_limit": TEST_ORDER_PENDING_LIMIT,
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    settings.validate()
    return settings
