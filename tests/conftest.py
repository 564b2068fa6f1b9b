"""Shared fixtures: throw-away databases on SQLite and PostgreSQL, Redis, settings.

PostgreSQL and Redis come from `TEST_POSTGRES_URL` (an admin URL; each test run
creates its own database and drops it afterwards) and `TEST_REDIS_URL`. When a
server is unreachable its tests are skipped, unless
`STOREFRONT_TEST_REQUIRE_SERVICES=1` (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
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

T = TypeVar("T")

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
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
    """A fresh database named for this run, migrated to head; returns its URL."""
    name = f"storefront_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database

    async def drop() -> None:
        engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            await engine.dispose()

    asyncio.run(drop())


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for the whole run (tables emptied per test by `clean_database`)."""
    try:
        url = off_loop(_create_postgres_database)
    except Exception as error:
        service_missing("PostgreSQL", error)
        raise
    yield url
    off_loop(_drop_postgres_database, url)


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


@pytest.fixture
async def redis_url() -> str:
    """A Redis database, flushed before the test."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
        await client.flushdb()
    except Exception as error:
        await client.aclose()
        service_missing("Redis", error)
        raise
    await client.aclose()
    return REDIS_URL


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
        # Scenarios place many orders for one customer; the limit's own tests set it.
        "order_pending_limit": TEST_ORDER_PENDING_LIMIT,
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    settings.validate()
    return settings
