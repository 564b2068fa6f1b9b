"""When Redis cannot be reached: readiness says so, auth fails closed, browsing goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.clock import SystemUtcClock
from adapters.security.tokens import JwtTokenIssuer
from domain.users import Role, User
from entrypoints.settings import DEV_SECRET_KEY
from tests.e2e.conftest import ADMIN_EMAIL, Api

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "redis_url": UNREACHABLE_REDIS,
        "rate_limit_login": "5/minute",
        "rate_limit_register": "20/hour",
        "rate_limit_api": "1000/minute",
    }


def assert_unavailable(response: object) -> None:
    assert getattr(response, "status_code", None) == 503
    headers = getattr(response, "headers", {})
    assert headers["content-type"].startswith("application/problem+json")
    assert headers["retry-after"]


async def test_readiness_reports_redis_down(api: Api) -> None:
    response = await api.client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert (await api.client.get("/health/live")).status_code == 200


async def test_no_token_is_accepted_while_the_session_store_is_down(api: Api) -> None:
    admins = await api.client.get("/api/v1/users")  # no token: still just 401
    assert admins.status_code == 401
    issuer = JwtTokenIssuer(DEV_SECRET_KEY, "HS256", timedelta(minutes=10), SystemUtcClock())
    admin = User(1, ADMIN_EMAIL, "", Role.ADMIN, True, SystemUtcClock().now())
    token = issuer.issue_access(admin, "a-session-that-may-have-ended").token
    response = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_unavailable(response)


async def test_logins_refreshes_and_registrations_fail_closed(api: Api) -> None:
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": "admin-password"}
    )
    assert_unavailable(login)
    assert login.headers["cache-control"] == "no-store"
    refresh = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": "any"})
    assert_unavailable(refresh)
    assert refresh.headers["cache-control"] == "no-store"
    register = await api.client.post(
        "/api/v1/auth/register", json={"email": "ann@example.com", "password": "customer-password"}
    )
    assert_unavailable(register)


async def test_the_catalog_stays_open_when_the_api_limit_cannot_be_counted(api: Api) -> None:
    response = await api.client.get("/api/v1/categories/all")
    assert response.status_code == 200
