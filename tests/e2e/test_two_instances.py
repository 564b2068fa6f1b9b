"""Two app processes sharing one PostgreSQL and one Redis agree on limits and sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.servers import Server, serve_many

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "customer-password"


@pytest.fixture
def instances(postgres_database: str, redis_url: str) -> Iterator[list[Server]]:
    env = {
        "DATABASE_URL": postgres_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "a-shared-secret-for-both-instances-0123456789",
        "RATE_LIMIT_LOGIN": "5/minute",
    }
    with serve_many(2, env) as servers:
        yield servers


async def register(base_url: str, email: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text


async def login(base_url: str, email: str, password: str = PASSWORD) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_failed_logins_are_counted_across_instances(instances: list[Server]) -> None:
    a, b = (server.base_url for server in instances)
    await register(a, "ann@example.com")
    await register(b, "bob@example.com")
    for base_url in (a, b, a, b, a):
        assert (await login(base_url, "ann@example.com", "wrong password")).status_code == 401
    refused = await login(b, "ann@example.com")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await login(a, "ann@example.com")).status_code == 429
    assert (await login(a, "bob@example.com")).status_code == 200


async def test_a_logout_on_one_instance_is_honoured_by_the_other_at_once(instances: list[Server]) -> None:
    a, b = (server.base_url for server in instances)
    await register(a, "ann@example.com")
    tokens = (await login(a, "ann@example.com")).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{b}/api/v1/auth/me", headers=headers)).status_code == 200
        assert (await client.post(f"{a}/api/v1/auth/logout", headers=headers)).status_code == 204
        assert (await client.get(f"{b}/api/v1/auth/me", headers=headers)).status_code == 401
        refreshed = await client.post(
            f"{b}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401


async def test_a_refresh_token_rotated_on_one_instance_is_retired_on_the_other(
    instances: list[Server],
) -> None:
    a, b = (server.base_url for server in instances)
    await register(a, "ann@example.com")
    tokens = (await login(a, "ann@example.com")).json()
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{a}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert first.status_code == 200
        replay = await client.post(
            f"{b}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert replay.status_code == 401
        me = await client.get(
            f"{a}/api/v1/auth/me", headers={"Authorization": f"Bearer {first.json()['access_token']}"}
        )
        assert me.status_code == 401


async def test_a_streamed_body_over_one_mebibyte_is_413(instances: list[Server]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (128 * 1024)

    async with httpx.AsyncClient(base_url=instances[0].base_url) as client:
        response = await client.post(
            "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413
