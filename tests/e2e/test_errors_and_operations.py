"""Problem responses for every error, request ids, health, docs and the admin bootstrap."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api

PROBLEM_FIELDS = {"type", "title", "status", "detail"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text and "SELECT" not in response.text
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/categories", "/api/v1/products"]
)
@pytest.mark.parametrize("body", [b"{", b'{"email": }', b"not json", b'{"a": 1} trailing', b"\xff\xfe"])
async def test_malformed_json_is_400(api: Api, path: str, body: bytes) -> None:
    headers = {"Content-Type": "application/json", **await api.admin()}
    assert_problem(await api.client.post(path, content=body, headers=headers), 400)


async def test_a_missing_body_is_400(api: Api) -> None:
    response = await api.client.post("/api/v1/auth/register", headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


async def test_validation_errors_are_422_with_an_errors_list_naming_each_field(api: Api) -> None:
    response = await api.client.post("/api/v1/auth/register", json={"email": 1, "password": 2})
    body = assert_problem(response, 422)
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
    assert {"email"} <= {e["field"] for e in body["errors"]}


async def test_a_query_parameter_error_names_the_parameter(api: Api) -> None:
    body = assert_problem(await api.client.get("/api/v1/products", params={"limit": 500}), 422)
    assert [e["field"] for e in body["errors"]] == ["limit"]


async def test_401_carries_www_authenticate_bearer(api: Api) -> None:
    response = await api.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_403_404_and_409_are_problems(api: Api) -> None:
    admin = await api.admin()
    customer = await api.customer()
    assert_problem(
        await api.client.post("/api/v1/categories", json={"name": "A", "slug": "a"}, headers=customer), 403
    )
    assert_problem(await api.client.get("/api/v1/products/12345"), 404)
    assert_problem(await api.client.get(f"/api/v1/products/{2**64}"), 404)
    assert_problem(await api.client.get("/api/v1/no-such-thing"), 404)
    await api.client.post("/api/v1/categories", json={"name": "A", "slug": "a"}, headers=admin)
    assert_problem(
        await api.client.post("/api/v1/categories", json={"name": "A", "slug": "a"}, headers=admin), 409
    )


async def test_a_wrong_method_is_a_problem_too(api: Api) -> None:
    assert_problem(await api.client.delete("/api/v1/auth/me"), 405)


async def test_a_body_over_one_mebibyte_on_a_catalog_write_is_413(api: Api) -> None:
    body = b'{"name": "' + b"x" * (1024 * 1024) + b'", "slug": "big"}'
    headers = {"Content-Type": "application/json", **await api.admin()}
    assert_problem(await api.client.post("/api/v1/categories", content=body, headers=headers), 413)


async def test_a_request_id_is_generated_when_absent(api: Api) -> None:
    first = await api.client.get("/health/live")
    second = await api.client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/products/999", "/nowhere"])
async def test_a_given_request_id_is_echoed_back_on_success_and_error(api: Api, path: str) -> None:
    response = await api.client.get(path, headers={"X-Request-ID": "abc-123.def:4"})
    assert response.headers["x-request-id"] == "abc-123.def:4"


async def test_an_unsafe_request_id_is_replaced(api: Api) -> None:
    response = await api.client.get(
        "/health/live", headers={"X-Request-ID": "bad id\twith spaces" + "x" * 200}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


@pytest.mark.parametrize("path", ["/health/live", "/health/live/", "/health/ready", "/health/ready/"])
async def test_health_answers_at_the_root(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readiness_names_the_database(api: Api) -> None:
    assert (await api.client.get("/health/ready")).json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
async def test_swagger_ui_answers_directly_with_and_without_a_slash(api: Api, path: str) -> None:
    response = await api.client.get(path, follow_redirects=False)
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


@pytest.mark.parametrize("path", ["/docs/openapi.json", "/docs/openapi.json/"])
async def test_the_openapi_document_answers_with_and_without_a_slash(api: Api, path: str) -> None:
    response = await api.client.get(path, follow_redirects=False)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/products" in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert any(
        s.get("flows", {}).get("password", {}).get("tokenUrl") == "/api/v1/auth/login"
        for s in schemes.values()
    )


async def test_the_openapi_document_declares_problem_responses(api: Api) -> None:
    document = (await api.client.get("/docs/openapi.json")).json()
    create = document["paths"]["/api/v1/products"]["post"]["responses"]
    for status in ("401", "403", "409", "422"):
        assert "application/problem+json" in create[status]["content"], status


async def test_the_admin_bootstrap_is_idempotent_across_two_app_starts(app_database_url: str) -> None:
    settings = make_settings(app_database_url, admin_email="Boss@Shop.test", admin_password="boss-password")
    for _ in range(2):
        async with AsyncTestClient(create_app(settings)) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": "boss@shop.test", "password": "boss-password"}
            )
            assert login.status_code == 200, login.text
            me = await client.get(
                "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
            )
            assert (me.json()["id"], me.json()["role"]) == (1, "admin")
    changed = make_settings(app_database_url, admin_email="boss@shop.test", admin_password="another-password")
    async with AsyncTestClient(create_app(changed)) as client:
        kept = await client.post(
            "/api/v1/auth/login", json={"email": "boss@shop.test", "password": "boss-password"}
        )
        assert kept.status_code == 200, "an existing admin keeps its password"


async def test_the_admin_bootstrap_promotes_an_existing_customer(app_database_url: str) -> None:
    plain = make_settings(app_database_url, admin_email=None)
    async with AsyncTestClient(create_app(plain)) as client:
        registered = await client.post(
            "/api/v1/auth/register", json={"email": "ann@example.com", "password": "customer-password"}
        )
        assert registered.status_code == 201
    promoting = make_settings(app_database_url, admin_email="ann@example.com", admin_password=None)
    async with AsyncTestClient(create_app(promoting)) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "ann@example.com", "password": "customer-password"}
        )
        me = await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        assert me.json()["role"] == "admin"
        assert me.json()["id"] == registered.json()["id"]
