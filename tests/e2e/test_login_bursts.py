"""Logins under parallel load, against real app processes (uvicorn) and real HTTP clients.

- A burst of parallel guesses for one (email, IP) pair gets exactly the limit's worth
  of 401s and 429 for the rest, with the failed-login counter in process memory and in
  Redis (there with two instances sharing the burst); then the right password is 429.
- A login flood (about a hundred clients logging in without pause, bcrypt at a
  realistic cost) never makes a real user wait more than about two seconds: each of
  their logins ends within 2.5 s, 200 or 503 with `Retry-After`; the flood gets 503s,
  and no request times out. On SQLite with the limits in memory, and on PostgreSQL
  with the limits and sessions in Redis.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import clean_database
from tests.support.isolation import REDIS_KEY_PREFIX
from tests.support.servers import Server, serve, serve_many

pytestmark = pytest.mark.slow

PASSWORD = "customer-password"
LOGIN = "/api/v1/auth/login"
LIMIT = 5
BURST = 40

FLOOD_CLIENTS = 100
FLOOD_BCRYPT_ROUNDS = 12
REAL_USER_LOGINS = 8
REAL_USER_DEADLINE_SECONDS = 2.5
CLIENT_TIMEOUT_SECONDS = 20.0


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def instances(request: pytest.FixtureRequest, database_url: str) -> Iterator[list[Server]]:
    """One instance counting in memory, or two sharing the count in Redis."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-shared-secret-for-every-instance-0123456789",
        "RATE_LIMIT_LOGIN": f"{LIMIT}/minute",
    }
    if request.param == "memory":
        with serve(env) as server:
            yield [server]
        return
    env["REDIS_URL"] = request.getfixturevalue("redis_server")
    env["REDIS_KEY_PREFIX"] = own_key_prefix()
    with serve_many(2, env) as servers:
        yield servers


def own_key_prefix() -> str:
    """A key prefix of this test's own, inside the run's (cleaned up with it): the failed-login
    counts of one test must not lock the same email out in the next one."""
    return f"{REDIS_KEY_PREFIX}{uuid.uuid4().hex[:8]}:"


async def register(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text


def many_connections() -> httpx.Limits:
    return httpx.Limits(max_connections=FLOOD_CLIENTS * 2, max_keepalive_connections=FLOOD_CLIENTS * 2)


async def test_a_parallel_burst_of_guesses_gets_exactly_the_limit_of_401s(instances: list[Server]) -> None:
    clients = [
        httpx.AsyncClient(base_url=server.base_url, limits=many_connections(), timeout=CLIENT_TIMEOUT_SECONDS)
        for server in instances
    ]
    try:
        await register(clients[0], "ann@example.com")
        for email in ("ann@example.com", "ghost@example.com"):  # a known email and an unknown one
            # Open the connections first, so that the guesses leave together.
            await asyncio.gather(*(clients[n % len(clients)].get("/health/live") for n in range(BURST)))
            responses = await asyncio.gather(
                *(
                    clients[n % len(clients)].post(LOGIN, json={"email": email, "password": f"guess {n}"})
                    for n in range(BURST)
                )
            )
            statuses = Counter(response.status_code for response in responses)
            assert statuses == {401: LIMIT, 429: BURST - LIMIT}, email
            for response in responses:
                if response.status_code == 429:
                    assert 1 <= int(response.headers["retry-after"]) <= 60
                    assert response.headers["content-type"].startswith("application/problem+json")
            for client in clients:
                right = await client.post(LOGIN, json={"email": email, "password": PASSWORD})
                assert right.status_code == 429, email
                assert 1 <= int(right.headers["retry-after"]) <= 60
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis])]
)
async def flooded_server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """SQLite with the limits in process memory, or PostgreSQL with limits and sessions in Redis."""
    database_url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    await clean_database(database_url)
    env = {
        "DATABASE_URL": database_url,
        "BCRYPT_ROUNDS": str(FLOOD_BCRYPT_ROUNDS),
        "RATE_LIMIT_LOGIN": "5/minute",  # on, as in production: the flood uses a new email each time
    }
    if request.param == "postgres+redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_server")
        env["REDIS_KEY_PREFIX"] = own_key_prefix()
    with serve(env) as server:
        yield server


async def test_a_login_flood_never_makes_a_real_user_wait_more_than_about_two_seconds(
    flooded_server: Server,
) -> None:
    base_url = flooded_server.base_url
    async with httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) as user:
        await register(user, "ann@example.com")
    stop = asyncio.Event()
    flood_statuses: Counter[int] = Counter()
    flood_failures: list[str] = []

    async def flood(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            email = f"flood-{uuid.uuid4().hex[:12]}@example.com"
            try:
                response = await client.post(LOGIN, json={"email": email, "password": "not the password"})
            except httpx.HTTPError as error:
                flood_failures.append(f"{type(error).__name__}: {error}")
                continue
            flood_statuses[response.status_code] += 1
            if response.status_code == 503:
                assert response.headers["retry-after"] == "1"

    user_results: list[tuple[int, float, str | None]] = []
    # One client per flooder: a single httpx pool shared by a hundred requests spends more
    # time on its own bookkeeping than the server does answering.
    flooders = [
        httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) for _ in range(FLOOD_CLIENTS)
    ]
    async with httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) as user:
        floods = [asyncio.create_task(flood(flooder)) for flooder in flooders]
        try:
            await asyncio.sleep(2)  # the flood is in full swing
            for _ in range(REAL_USER_LOGINS):
                started = time.monotonic()
                try:
                    response = await user.post(LOGIN, json={"email": "ann@example.com", "password": PASSWORD})
                except httpx.HTTPError as error:
                    raise AssertionError(flooded_server.log_tail()) from error
                elapsed = time.monotonic() - started
                user_results.append((response.status_code, elapsed, response.headers.get("retry-after")))
                await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.gather(*floods, return_exceptions=True)
            for flooder in flooders:
                await flooder.aclose()
    print(f"\nreal user (status, seconds, Retry-After): {user_results}")
    print(f"flood: {dict(flood_statuses)}, transport failures: {len(flood_failures)}")
    assert not flood_failures, (flood_failures[:5], flooded_server.log_tail())
    for status, elapsed, retry_after in user_results:
        assert status in {200, 503}
        assert elapsed < REAL_USER_DEADLINE_SECONDS, user_results
        if status == 503:
            assert retry_after == "1"
    assert flood_statuses[503] > 0
    assert set(flood_statuses) <= {401, 503}
