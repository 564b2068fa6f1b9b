"""A test run touches only what it creates on the developer's PostgreSQL and Redis.

A child pytest run of representative Redis and PostgreSQL tests goes next to sentinels
that look like things the suite might be tempted to clean up: a database carrying the
child run's own name prefix, keys in the app's default Redis namespace and in another
run's namespace. They all survive, and the child leaves no database or key behind.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import off_loop, service_missing
from tests.support.isolation import (
    POSTGRES_ADMIN_URL,
    TEST_DATABASE_PREFIX,
    create_database,
    drop_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Tests that write sessions and rate-limit counters to Redis through the app, and use a
# PostgreSQL database of the run.
CHILD_TESTS = [
    "tests/integration/test_redis_sessions_and_limits.py::test_ending_a_session_and_all_sessions_of_a_user",
    "tests/e2e/test_sessions.py::test_a_refresh_gives_a_working_pair_and_retires_the_old_refresh_token[postgres-redis]",
    "tests/e2e/test_rate_limits.py::test_the_sixth_failed_login_is_refused_even_with_the_right_password[postgres-redis]",
]


async def _databases_named(prefix: str) -> set[str]:
    engine = create_async_engine(POSTGRES_ADMIN_URL)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)"),
                {"prefix": prefix},
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


async def _all_keys(client: redis.Redis) -> set[bytes]:
    return {key async for key in client.scan_iter(count=1000)}


@pytest.fixture
def child_prefix() -> str:
    """The database name prefix the child run is given: the sentinel database carries it too."""
    return f"{TEST_DATABASE_PREFIX}iso{uuid.uuid4().hex[:8]}_"


@pytest.fixture
def sentinel_database(child_prefix: str) -> Iterator[str]:
    name = f"{child_prefix}sentinel"
    try:
        off_loop(create_database, name)
    except Exception as error:
        service_missing("PostgreSQL", error)
        raise
    yield name
    off_loop(drop_database, name)


@pytest.fixture
async def sentinel_keys(redis_url: str) -> AsyncIterator[dict[str, str]]:
    tag = uuid.uuid4().hex[:8]
    keys = {
        f"storefront:session:sentinel-{tag}": "the developer's own app",
        f"storefront-test:otherrun{tag}:session:x": "another test run",
        f"sentinel-{tag}": "anything else in the database",
    }
    client = redis.Redis.from_url(redis_url)
    try:
        for key, value in keys.items():
            await client.set(key, value)
        yield keys
    finally:
        await client.delete(*keys)
        await client.aclose()


async def test_a_test_run_leaves_what_it_did_not_create_and_takes_away_what_it_did(
    redis_url: str, sentinel_database: str, sentinel_keys: dict[str, str], child_prefix: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys_before = await _all_keys(client)
        child_run = uuid.uuid4().hex[:12]
        env = {
            "TEST_RUN_ID": child_run,
            **os.environ,
            "TEST_REDIS_URL": redis_url,
            "TEST_POSTGRES_URL": POSTGRES_ADMIN_URL,
            "TEST_DATABASE_PREFIX": child_prefix,
            "STOREFRONT_TEST_REQUIRE_SERVICES": "1",
        }
        child = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *CHILD_TESTS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = child.stdout[-4000:] + child.stderr[-4000:]
        assert child.returncode == 0, output
        assert f"{len(CHILD_TESTS)} passed" in child.stdout, output
        assert "skipped" not in child.stdout, output

        for key, value in sentinel_keys.items():
            assert await client.get(key) == value.encode(), f"{key} was touched"
        new_keys = await _all_keys(client) - keys_before
        # The child's own namespace must be empty again; keys outside every test run's
        # namespace must not appear. (Other runs sharing this Redis database, this parent
        # run included, write under `storefront-test:<their run>:` and are not ours to judge.)
        child_keys = {key for key in new_keys if key.startswith(f"storefront-test:{child_run}:".encode())}
        assert not child_keys, f"the child run left its own keys behind: {sorted(child_keys)[:10]}"
        outside = {key for key in new_keys if not key.startswith(b"storefront-test:")}
        assert not outside, f"the child run left keys outside its prefix: {sorted(outside)[:10]}"
    finally:
        await client.aclose()

    assert await _databases_named(child_prefix) == {sentinel_database}
