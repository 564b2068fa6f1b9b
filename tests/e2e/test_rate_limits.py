"""Limits on abuse over HTTP, with the counters in process memory and in a real Redis."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api

PASSWORD = "customer-password"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    limits: dict[str, object] = {
        "rate_limit_login": "5/minute",
        "rate_limit_register": "4/hour",
        "rate_limit_api": "40/minute",
    }
    if request.param == "redis":
        limits["redis_url"] = request.getfixturevalue("redis_url")
    return limits


async def login_status(api: Api, email: str, password: str) -> int:
    response = await api.client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


def assert_too_many(response: object, window: int) -> None:
    status = getattr(response, "status_code", None)
    assert status == 429
    headers = getattr(response, "headers", {})
    assert headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(headers["retry-after"]) <= window
    body = getattr(response, "json")()  # noqa: B009
    assert body["status"] == 429 and body["title"] == "Too Many Requests"


async def test_the_sixth_failed_login_is_refused_even_with_the_right_password(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    await api.register("bob@example.com", PASSWORD)
    for _ in range(5):
        assert await login_status(api, "ann@example.com", "wrong password") == 401
    response = await api.client.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
    )
    assert_too_many(response, 60)
    assert response.headers["cache-control"] == "no-store"
    form = await api.client.post(
        "/api/v1/auth/login", data={"username": "ANN@example.com", "password": PASSWORD}
    )
    assert form.status_code == 429
    assert await login_status(api, "bob@example.com", PASSWORD) == 200


async def test_failed_logins_for_an_unknown_email_count_too(api: Api) -> None:
    for _ in range(5):
        assert await login_status(api, "ghost@example.com", PASSWORD) == 401
    assert await login_status(api, "ghost@example.com", PASSWORD) == 429


async def test_a_successful_login_does_not_reset_the_count(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    for _ in range(3):
        assert await login_status(api, "ann@example.com", "wrong password") == 401
    assert await login_status(api, "ann@example.com", PASSWORD) == 200
    for _ in range(2):
        assert await login_status(api, "ann@example.com", "wrong password") == 401
    assert await login_status(api, "ann@example.com", PASSWORD) == 429


async def test_registrations_are_limited_per_address(api: Api) -> None:
    for n in range(4):
        await api.register(f"user{n}@example.com", PASSWORD)
    response = await api.client.post(
        "/api/v1/auth/register", json={"email": "user9@example.com", "password": PASSWORD}
    )
    assert_too_many(response, 3600)


async def test_past_the_api_limit_every_request_is_refused_but_health_checks(api: Api) -> None:
    statuses = [(await api.client.get("/api/v1/categories/all")).status_code for _ in range(40)]
    assert statuses == [200] * 40
    response = await api.client.get("/api/v1/categories/all", headers={"X-Request-ID": "limit-test"})
    assert_too_many(response, 60)
    assert response.headers["x-request-id"] == "limit-test"
    assert (await api.client.post("/api/v1/auth/login", json={})).status_code == 429
    assert (await api.client.get("/no/such/path")).status_code == 429
    assert (await api.client.get("/health/live")).status_code == 200
    assert (await api.client.get("/health/ready")).status_code == 200


async def test_the_api_docs_are_not_counted(api: Api) -> None:
    for _ in range(45):
        assert (await api.client.get("/docs/openapi.json")).status_code == 200
    assert (await api.client.get("/api/v1/categories/all")).status_code == 200
