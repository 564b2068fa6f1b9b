"""The auth endpoints over HTTP: register, login (JSON and OAuth2 form), me."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.e2e.conftest import Api

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


async def test_registering_answers_201_with_the_user_and_never_a_hash(api: Api) -> None:
    response = await api.client.post(REGISTER, json={"email": "Ann@Example.COM", "password": "pass-word-1"})
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "email", "role", "is_active", "created_at"}
    assert (user["email"], user["role"], user["is_active"]) == ("ann@example.com", "customer", True)
    assert datetime.fromisoformat(user["created_at"]).utcoffset() is not None
    assert "pass-word-1" not in response.text


async def test_registering_a_taken_email_in_another_case_is_409(api: Api) -> None:
    await api.register("ann@example.com")
    response = await api.client.post(
        REGISTER, json={"email": "ANN@example.com", "password": "other-password"}
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ann@example.com", "password": "short"}, "password"),
        ({"email": "ann@example.com", "password": "x" * 129}, "password"),
        ({"email": "ann@example.com", "password": "nul\u0000password"}, "password"),
        ({"email": "not-an-email", "password": "pass-word-1"}, "email"),
        ({"email": "ann@example.com"}, "password"),
        ({"password": "pass-word-1"}, "email"),
        ({"email": "ann@example.com", "password": "pass-word-1", "role": "admin"}, "role"),
        ({"email": 5, "password": "pass-word-1"}, "email"),
    ],
)
async def test_registering_with_a_broken_rule_is_422_naming_the_field(
    api: Api, body: dict[str, object], field: str
) -> None:
    response = await api.client.post(REGISTER, json=body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_a_password_of_128_emoji_registers_and_logs_in(api: Api) -> None:
    password = "😀" * 128
    await api.register("ann@example.com", password)
    await api.login("ann@example.com", password)


async def test_json_login_gives_a_bearer_token_that_shows_the_user(api: Api) -> None:
    user = await api.register("ann@example.com")
    response = await api.client.post(
        LOGIN, json={"email": "ANN@example.com", "password": "customer-password"}
    )
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 600
    assert tokens["access_token"] and tokens["refresh_token"]
    me = await api.client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json() == user


async def test_the_oauth2_password_form_logs_in_as_swagger_does(api: Api) -> None:
    await api.register("ann@example.com")
    response = await api.client.post(
        LOGIN, data={"grant_type": "password", "username": "ann@example.com", "password": "customer-password"}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = await api.client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "ann@example.com"


async def test_a_form_login_without_a_password_is_422(api: Api) -> None:
    response = await api.client.post(LOGIN, data={"username": "ann@example.com"})
    assert response.status_code == 422
    assert "password" in [error["field"] for error in response.json()["errors"]]


async def test_an_unknown_email_and_a_wrong_password_get_the_same_401(api: Api) -> None:
    await api.register("ann@example.com")
    unknown = await api.client.post(LOGIN, json={"email": "bob@example.com", "password": "customer-password"})
    wrong = await api.client.post(LOGIN, json={"email": "ann@example.com", "password": "wrong-password"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"


async def test_the_two_passwords_sharing_72_bytes_do_not_both_log_in(api: Api) -> None:
    await api.register("ann@example.com", "x" * 72 + "first")
    response = await api.client.post(
        LOGIN, json={"email": "ann@example.com", "password": "x" * 72 + "second"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic YTpi"}],
)
async def test_me_without_a_valid_bearer_token_is_401_with_www_authenticate(
    api: Api, headers: dict[str, str]
) -> None:
    response = await api.client.get(ME, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_admin_from_the_settings_can_log_in_as_an_admin(api: Api) -> None:
    me = await api.client.get(ME, headers=await api.admin())
    assert me.json()["role"] == "admin"
