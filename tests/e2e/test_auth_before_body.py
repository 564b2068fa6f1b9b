"""On a route that needs a user, the token and the role are judged before the body.

The sweeps are driven by the app's own OpenAPI document: every operation that declares
a security requirement, and every admin-only one (its summary ends in "(admin)").
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from application.auth.authenticate import Authenticate
from domain.users import Actor
from entrypoints.http.app import create_app
from entrypoints.http.guards import admin_only, signed_in
from tests.conftest import make_settings
from tests.e2e.conftest import Api

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}

# Bodies no handler would accept: each must lose to a missing token (401) or a wrong role (403).
BAD_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "empty object": (b"{}", JSON),
    "invalid json": (b'{"name": ', JSON),
    "not utf-8": (b'{"name": "\xff"}', JSON),
    "wrong content type": (b"name=x&slug=y", {"Content-Type": "text/plain"}),
    "unknown fields": (b'{"nope": true, "items": "x"}', JSON),
    "over-long field": (b'{"name": "' + b"x" * (MIB // 2) + b'"}', JSON),
    "over the 1 MiB cap": (b'{"name": "' + b"x" * MIB + b'"}', JSON),
}

_PATH_PARAMETER = re.compile(r"\{[^}]+\}")
_METHODS = ("get", "put", "post", "delete", "patch")


def _operations(app: Litestar, keep: Callable[[dict[str, Any]], bool]) -> list[tuple[str, str]]:
    document = app.openapi_schema.to_schema()
    found = [
        (method.upper(), _PATH_PARAMETER.sub("1", path))
        for path, item in document["paths"].items()
        for method in _METHODS
        if method in item and keep(item[method])
    ]
    assert found
    return found


def secured(app: Litestar) -> list[tuple[str, str]]:
    return _operations(app, lambda operation: bool(operation.get("security")))


def admin_only_operations(app: Litestar) -> list[tuple[str, str]]:
    return _operations(app, lambda operation: str(operation.get("summary", "")).endswith("(admin)"))


def _app(api: Api) -> Litestar:
    app: Litestar = api.client.app
    return app


async def _send(api: Api, method: str, path: str, body: str, extra: dict[str, str]) -> Any:
    content, headers = BAD_BODIES[body]
    return await api.client.request(method, path, content=content, headers={**headers, **extra})


def _problem(response: Any, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/problem+json"), what


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_every_secured_operation_without_a_token_is_401_whatever_the_body(api: Api, body: str) -> None:
    for method, path in secured(_app(api)):
        response = await _send(api, method, path, body, {})
        _problem(response, 401, f"{method} {path}")
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["Bearer not-a-jwt", "Basic YWRtaW46YWRtaW4=", "Bearer "])
async def test_every_secured_operation_with_a_bad_token_is_401_before_the_body(api: Api, token: str) -> None:
    for method, path in secured(_app(api)):
        response = await _send(api, method, path, "invalid json", {"Authorization": token})
        _problem(response, 401, f"{method} {path}")
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("body", BAD_BODIES)
async def test_every_admin_only_operation_for_a_customer_is_403_whatever_the_body(
    api: Api, body: str
) -> None:
    customer = await api.customer()
    operations = admin_only_operations(_app(api))
    assert ("POST", "/api/v1/categories") in operations and ("POST", "/api/v1/orders/1/ship") in operations
    for method, path in operations:
        _problem(await _send(api, method, path, body, customer), 403, f"{method} {path}")


async def test_an_admin_with_a_bad_body_still_gets_the_body_judged(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.post("/api/v1/categories", content=b"{}", headers={**JSON, **admin})
    _problem(response, 422, "POST /api/v1/categories")
    fields = {error["field"] for error in response.json()["errors"]}
    assert "name" in fields
    over = await _send(api, "POST", "/api/v1/categories", "over the 1 MiB cap", admin)
    _problem(over, 413, "POST /api/v1/categories")


async def test_a_customer_still_reaches_routes_that_need_only_a_user(api: Api) -> None:
    customer = await api.customer()
    assert (await api.client.get("/api/v1/auth/me", headers=customer)).status_code == 200
    response = await api.client.post("/api/v1/orders", content=b"{}", headers={**JSON, **customer})
    _problem(response, 422, "POST /api/v1/orders")


async def test_the_actor_is_authenticated_once_per_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await api.admin()
    calls: list[str | None] = []
    original = Authenticate.__call__

    async def counted(self: Authenticate, token: str | None) -> Actor:
        calls.append(token)
        return await original(self, token)

    monkeypatch.setattr(Authenticate, "__call__", counted)
    assert (await api.client.get("/api/v1/auth/me", headers=admin)).status_code == 200
    assert (await api.client.get("/api/v1/orders/me", headers=admin)).status_code == 200
    assert (await api.client.post("/api/v1/orders/1/ship", headers=admin)).status_code == 404
    assert len(calls) == 3


async def test_options_answers_stay_open(api: Api) -> None:
    assert (await api.client.options("/api/v1/orders")).status_code == 204


def test_the_route_table_guards_exactly_the_secured_operations_and_every_caller_of_an_actor() -> None:
    """The OpenAPI security declaration, the guard and the handler's wish for an `Actor` agree."""
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:
                continue
            where = f"{sorted(handler.http_methods)} {route.path}"
            guards = handler.resolve_guards()
            original = getattr(handler.fn, "__dishka_orig_func__", handler.fn)
            hints = inspect.get_annotations(original)
            wants_actor = any("Actor" in str(hint) for name, hint in hints.items() if name != "return")
            admin = str(handler.summary or "").endswith("(admin)")
            if wants_actor or handler.resolve_security():
                assert wants_actor and handler.resolve_security(), where
                assert (admin_only in guards) if admin else (guards == [signed_in]), where
                checked += 1
            else:
                assert not guards, where
    assert checked >= 20
