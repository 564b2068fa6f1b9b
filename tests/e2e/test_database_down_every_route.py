"""With the database unreachable, every route that needs it answers 503 problem+json with
`Retry-After`: swept over the app's OpenAPI document, on PostgreSQL (a port nobody listens
on: the SQLAlchemy engine and the raw asyncpg read pool both fail to connect) and on SQLite
(a file that cannot be opened)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.clock import SystemUtcClock
from adapters.security.tokens import JwtTokenIssuer
from domain.users import Role, User
from entrypoints.http.app import create_app
from entrypoints.settings import DEV_SECRET_KEY
from tests.conftest import make_settings
from tests.e2e.payment_flow import WEBHOOK_SECRET, signed
from tests.support.servers import free_port

# A valid body for each route that takes one: the sweep fails when a new one has none here.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/auth/login"): {"email": "ann@example.com", "password": "customer-password"},
    ("POST", "/api/v1/auth/register"): {"email": "ann@example.com", "password": "customer-password"},
    ("POST", "/api/v1/auth/refresh"): {"refresh_token": "a" * 43},
    ("POST", "/api/v1/categories"): {"name": "Tea", "slug": "tea"},
    ("PATCH", "/api/v1/categories/{ref}"): {"name": "Green tea"},
    ("POST", "/api/v1/products"): {"name": "Sencha", "price": "9.90", "category_id": 1},
    ("PATCH", "/api/v1/products/{product_id}"): {"name": "Gyokuro"},
    ("POST", "/api/v1/orders"): {"items": [{"product_id": 1, "quantity": 1}]},
    ("POST", "/api/v1/payments/orders/{order_id}"): {},
}
PATH_VALUES = {"ref": "tea", "provider": "mock"}
# What answers without the database, and how.
NOT_DATABASE = {
    ("GET", "/health/live"): 200,
    # The enabled providers come from the settings.
    ("GET", "/api/v1/payments/providers"): 200,
    # Sessions live in the session store (process memory here): an unknown refresh token is
    # refused there, before any account is read.
    ("POST", "/api/v1/auth/refresh"): 401,
}


@pytest.fixture(params=["postgres", "sqlite"])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    if request.param == "postgres":
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/storefront"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/no/such/directory/storefront.db"
    settings = make_settings(url, admin_email=None, payment_webhook_secret=WEBHOOK_SECRET)
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


def operations(app: Any) -> list[tuple[str, str]]:
    found = []
    for path, item in app.openapi_schema.paths.items():
        for method in ("get", "post", "put", "patch", "delete"):
            if getattr(item, method, None) is not None:
                found.append((method.upper(), path))
    return found


def request_for(method: str, template: str) -> tuple[str, dict[str, Any]]:
    path = template
    for name in ("ref", "provider", "user_id", "product_id", "order_id", "payment_id"):
        path = path.replace(f"{{{name}}}", PATH_VALUES.get(name, "1"))
    admin = User(1, "admin@storefront.test", "", Role.ADMIN, True, SystemUtcClock().now())
    token = JwtTokenIssuer(DEV_SECRET_KEY, "HS256", timedelta(minutes=10), SystemUtcClock())
    headers = {"Authorization": f"Bearer {token.issue_access(admin, 'session').token}"}
    options: dict[str, Any] = {"headers": headers}
    if path.startswith("/api/v1/payments/webhook/"):
        body = {
            "event_id": f"evt_{uuid.uuid4().hex}",
            "provider_payment_id": "mock_1",
            "status": "succeeded",
            "amount": "9.90",
            "currency": "RUB",
        }
        raw, signature = signed(body)
        return path, {"content": raw, "headers": signature}
    if method in ("POST", "PUT", "PATCH") and (method, template) in BODIES:
        options["json"] = BODIES[method, template]
    return path, options


async def test_every_route_answers_503_with_retry_after_while_the_database_is_down(
    client: AsyncTestClient[Any],
) -> None:
    swept = operations(client.app)
    assert len(swept) > 25
    takes_body = {
        (method, path)
        for method, path in swept
        if getattr(getattr(client.app.openapi_schema.paths[path], method.lower()), "request_body", None)
    }
    assert takes_body <= set(BODIES), f"give these routes a valid body: {takes_body - set(BODIES)}"
    wrong = []
    for method, template in swept:
        path, options = request_for(method, template)
        response = await client.request(method, path, **options)
        expected = NOT_DATABASE.get((method, template), 503)
        if response.status_code != expected:
            wrong.append(f"{method} {template}: {response.status_code} {response.text[:150]}")
            continue
        if expected == 503 and template != "/health/ready":
            assert response.headers["content-type"].startswith("application/problem+json"), template
            assert response.headers["retry-after"] == "1", template
    assert wrong == []
