"""Sessions over HTTP: refresh rotation, logout, deactivation, admin user endpoints.

Every test runs with sessions in process memory and in a real Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Api

PASSWORD = "customer-password"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    if request.param == "redis":
        return {"redis_url": request.getfixturevalue("redis_url")}
    return {}


async def log_in(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await api.client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def refresh(api: Api, token: str) -> int:
    response = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    return response.status_code


async def test_login_returns_an_access_token_a_refresh_token_and_its_lifetime(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    tokens = await log_in(api, "ann@example.com")
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 600


async def test_the_oauth2_form_login_returns_a_refresh_token_too(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    response = await api.client.post(
        "/api/v1/auth/login", data={"username": "ann@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["refresh_token"]


async def test_a_refresh_gives_a_working_pair_and_retires_the_old_refresh_token(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    first = await log_in(api, "ann@example.com")
    response = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert second["refresh_token"] != first["refresh_token"]
    me = await api.client.get("/api/v1/auth/me", headers=bearer(second))
    assert me.status_code == 200 and me.json()["email"] == "ann@example.com"
    assert await refresh(api, second["refresh_token"]) == 200


async def test_replaying_a_used_refresh_token_ends_the_session(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    first = await log_in(api, "ann@example.com")
    second = (
        await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    replay = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.headers["content-type"].startswith("application/problem+json")
    assert await refresh(api, second["refresh_token"]) == 401
    assert (await api.client.get("/api/v1/auth/me", headers=bearer(second))).status_code == 401


async def test_concurrent_refreshes_with_one_token_give_exactly_one_success(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    tokens = await log_in(api, "ann@example.com")
    statuses = await asyncio.gather(*(refresh(api, tokens["refresh_token"]) for _ in range(6)))
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]


@pytest.mark.parametrize(
    "body", [{"refresh_token": "made-up"}, {"refresh_token": "x" * 512}], ids=["unknown", "long"]
)
async def test_an_unknown_refresh_token_is_401(api: Api, body: dict[str, str]) -> None:
    response = await api.client.post("/api/v1/auth/refresh", json=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"refresh_token": ""}, {"refresh_token": 5}, {"refresh_token": "a", "extra": 1}]
)
async def test_a_malformed_refresh_body_is_422(api: Api, body: dict[str, object]) -> None:
    response = await api.client.post("/api/v1/auth/refresh", json=body)
    assert response.status_code == 422


async def test_logout_ends_this_session_only(api: Api) -> None:
    await api.register("ann@example.com", PASSWORD)
    phone = await log_in(api, "ann@example.com")
    laptop = await log_in(api, "ann@example.com")
    response = await api.client.post("/api/v1/auth/logout", headers=bearer(phone))
    assert response.status_code == 204
    me = await api.client.get("/api/v1/auth/me", headers=bearer(phone))
    assert me.status_code == 401
    assert me.headers["www-authenticate"] == "Bearer"
    assert await refresh(api, phone["refresh_token"]) == 401
    assert (await api.client.post("/api/v1/auth/logout", headers=bearer(phone))).status_code == 401
    assert (await api.client.get("/api/v1/auth/me", headers=bearer(laptop))).status_code == 200
    assert await refresh(api, laptop["refresh_token"]) == 200


async def test_logout_needs_a_token(api: Api) -> None:
    response = await api.client.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_deactivation_refuses_the_user_and_ends_their_sessions_for_good(api: Api) -> None:
    user = await api.register("ann@example.com", PASSWORD)
    tokens = await log_in(api, "ann@example.com")
    admin = await api.admin()
    response = await api.client.post(f"/api/v1/users/{user['id']}/deactivate", headers=admin)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["email"] == "ann@example.com"
    assert "password_hash" not in response.json()

    assert (await api.client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 403
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
    )
    assert login.status_code == 403
    assert login.headers["content-type"].startswith("application/problem+json")
    assert await refresh(api, tokens["refresh_token"]) == 401

    response = await api.client.post(f"/api/v1/users/{user['id']}/activate", headers=admin)
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert (await api.client.get("/api/v1/auth/me", headers=bearer(tokens))).status_code == 401
    assert await refresh(api, tokens["refresh_token"]) == 401
    fresh = await log_in(api, "ann@example.com")
    assert (await api.client.get("/api/v1/auth/me", headers=bearer(fresh))).status_code == 200


async def test_an_admin_cannot_deactivate_themselves(api: Api) -> None:
    admin = await api.admin()
    me = (await api.client.get("/api/v1/auth/me", headers=admin)).json()
    response = await api.client.post(f"/api/v1/users/{me['id']}/deactivate", headers=admin)
    assert response.status_code == 409
    assert (await api.client.get("/api/v1/auth/me", headers=admin)).status_code == 200


async def test_user_administration_is_for_admins_only(api: Api) -> None:
    bob = await api.register("bob@example.com", PASSWORD)
    ann = await api.customer("ann@example.com", PASSWORD)
    assert (await api.client.get("/api/v1/users", headers=ann)).status_code == 403
    assert (await api.client.get("/api/v1/users")).status_code == 401
    for action in ("deactivate", "activate"):
        assert (await api.client.post(f"/api/v1/users/{bob['id']}/{action}", headers=ann)).status_code == 403
        assert (await api.client.post(f"/api/v1/users/{bob['id']}/{action}")).status_code == 401


@pytest.mark.parametrize("user_id", ["999", "0", str(2**63), str(2**70)])
async def test_managing_an_unknown_user_is_404(api: Api, user_id: str) -> None:
    admin = await api.admin()
    for action in ("deactivate", "activate"):
        response = await api.client.post(f"/api/v1/users/{user_id}/{action}", headers=admin)
        assert response.status_code == 404


async def test_admins_list_users_by_id_with_an_exact_email_filter(api: Api) -> None:
    ann = await api.register("ann@example.com", PASSWORD)
    await api.register("annie@example.com", PASSWORD)
    admin = await api.admin()
    everyone = (await api.client.get("/api/v1/users", headers=admin)).json()
    assert [u["email"] for u in everyone] == [ADMIN_EMAIL, "ann@example.com", "annie@example.com"]
    assert all(set(u) == {"id", "email", "role", "is_active", "created_at"} for u in everyone)
    found = await api.client.get("/api/v1/users", params={"email": "ANN@example.com"}, headers=admin)
    assert found.json() == [ann]
    page = await api.client.get("/api/v1/users", params={"limit": 1, "offset": 1}, headers=admin)
    assert [u["email"] for u in page.json()] == ["ann@example.com"]
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert (await api.client.get("/api/v1/users", params=params, headers=admin)).status_code == 422
