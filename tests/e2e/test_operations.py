"""What an operator watches: the access log line, `/metrics`, and `/health/ready`."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK, WEBHOOK_SECRET, make_product, place_order, signed


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET}


async def metric(api: Api, name: str, **labels: str) -> float:
    """The current value of one sample on /metrics (0 when it has not been counted yet)."""
    text = (await api.client.get("/metrics")).text
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def test_every_request_gets_one_access_line_with_id_route_status_duration_and_user(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    user = await api.register("ann@example.com")
    headers = await api.login("ann@example.com", "customer-password")
    product_id = await make_product(api, stock=3)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="storefront.access"):
        await api.client.get(f"/api/v1/products/{product_id}", headers={"X-Request-ID": "trace-42"})
        await api.client.get("/api/v1/auth/me", headers=headers)
        await api.client.get("/no/such/path")

    lines = [r for r in caplog.records if r.name == "storefront.access"]
    assert len(lines) == 3
    product, me, missing = lines
    assert product.request_id == "trace-42"  # type: ignore[attr-defined]
    assert product.method == "GET"  # type: ignore[attr-defined]
    assert product.route == "/api/v1/products/{product_id}"  # type: ignore[attr-defined]
    assert product.status == 200  # type: ignore[attr-defined]
    assert product.duration_ms >= 0  # type: ignore[attr-defined]
    assert product.user_id is None  # type: ignore[attr-defined]
    assert me.user_id == user["id"]  # type: ignore[attr-defined]
    assert len(me.request_id) == 32  # type: ignore[attr-defined]
    assert (missing.route, missing.status) == ("<unmatched>", 404)  # type: ignore[attr-defined]


async def test_metrics_count_requests_by_route_template_and_status_with_latency(api: Api) -> None:
    product_id = await make_product(api)
    route = "/api/v1/products/{product_id}"
    before = await metric(api, "storefront_http_requests_total", path=route, status_code="200")
    await api.client.get(f"/api/v1/products/{product_id}")
    await api.client.get(f"/api/v1/products/{product_id}")
    await api.client.get("/api/v1/products/999999")

    assert await metric(api, "storefront_http_requests_total", path=route, status_code="200") == before + 2
    assert await metric(api, "storefront_http_requests_total", path=route, status_code="404") >= 1
    buckets = (await api.client.get("/metrics")).text
    assert (
        f'storefront_http_request_duration_seconds_bucket{{app_name="storefront",le="0.25",method="GET",path="{route}"'
        in buckets
    )
    assert "/api/v1/products/999999" not in buckets  # templates, never raw paths


async def test_metrics_count_orders_placed_and_cancelled_and_webhooks_rejected(api: Api) -> None:
    customer = await api.customer()
    product_id = await make_product(api, stock=5)
    placed = await metric(api, "storefront_orders_placed_total")
    cancelled = await metric(api, "storefront_orders_cancelled_total")
    rejected = await metric(api, "storefront_webhooks_rejected_total", reason="signature")

    order = await place_order(api, customer, product_id, quantity=1)
    short = await api.client.post(
        "/api/v1/orders", json={"items": [{"product_id": product_id, "quantity": 50}]}, headers=customer
    )
    assert short.status_code == 409
    assert (
        await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=customer)
    ).status_code == 200
    body, headers = signed({"event_id": "evt_1"}, secret="not-the-webhook-secret-0123456789abcdef")
    assert (await api.client.post(WEBHOOK, content=body, headers=headers)).status_code == 401

    assert await metric(api, "storefront_orders_placed_total") == placed + 1
    assert await metric(api, "storefront_orders_cancelled_total") == cancelled + 1
    assert await metric(api, "storefront_webhooks_rejected_total", reason="signature") == rejected + 1


async def test_metrics_count_rate_limit_refusals(app_database_url: str) -> None:
    app = create_app(make_settings(app_database_url, rate_limit_login="2/minute"))
    async with AsyncTestClient(app) as client:
        api = Api(client)
        before = await metric(api, "storefront_rate_limited_total", limit="login")
        for _ in range(3):
            await client.post(
                "/api/v1/auth/login", json={"email": "x@example.com", "password": "wrong-password"}
            )
        assert await metric(api, "storefront_rate_limited_total", limit="login") == before + 1


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


async def test_liveness_answers_exactly_what_the_deployment_guide_shows(api: Api) -> None:
    response = await api.client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    guide = GUIDE.read_text(encoding="utf-8")
    assert '`GET /health/live` → 200 `{"status": "ok", "checks": {}}`' in guide


async def test_readiness_reports_each_dependency_and_redis_disabled_without_redis_url(api: Api) -> None:
    response = await api.client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "disabled"}}


@pytest.mark.redis
async def test_readiness_is_ok_with_a_reachable_redis(app_database_url: str, redis_url: str) -> None:
    app = create_app(make_settings(app_database_url, redis_url=redis_url))
    async with AsyncTestClient(app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


async def down_app(database_url: str, redis_url: str | None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = make_settings(database_url, redis_url=redis_url, admin_email=None)
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


async def test_readiness_is_503_naming_redis_when_redis_is_down(app_database_url: str) -> None:
    async for client in down_app(app_database_url, "redis://127.0.0.1:1/0"):
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "redis": "unavailable"},
        }
        assert (await client.get("/health/live")).status_code == 200


async def test_readiness_is_503_naming_the_database_when_it_is_down() -> None:
    unreachable = "postgresql+asyncpg://storefront@127.0.0.1:1/storefront"
    async for client in down_app(unreachable, None):
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {"database": "unavailable", "redis": "disabled"},
        }
