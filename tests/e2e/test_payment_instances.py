"""Two app processes on one PostgreSQL: concurrent webhook deliveries settle a payment exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.payment_flow import WEBHOOK, WEBHOOK_SECRET, signed
from tests.support.servers import Server, serve_many

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
CUSTOMER = {"email": "ann@example.com", "password": "customer-password"}


@pytest.fixture
def instances(postgres_database: str) -> Iterator[list[Server]]:
    # No Redis: sessions stay in each process, so every authenticated call goes to the first
    # instance; the webhooks (unauthenticated) go to both.
    env = {
        "DATABASE_URL": postgres_database,
        "SECRET_KEY": "a-shared-secret-for-both-instances-0123456789",
        "PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # 10 + 10 overflow connections per instance: 20 concurrent deliveries without a pool wait.
        "DB_POOL_SIZE": "10",
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
    }
    with serve_many(2, env) as servers:
        yield servers


@pytest.fixture
async def clients(instances: list[Server]) -> AsyncIterator[list[httpx.AsyncClient]]:
    limits = httpx.Limits(max_connections=40)
    async with (
        httpx.AsyncClient(base_url=instances[0].base_url, timeout=60, limits=limits) as a,
        httpx.AsyncClient(base_url=instances[1].base_url, timeout=60, limits=limits) as b,
    ):
        yield [a, b]


async def bearer(client: httpx.AsyncClient, account: dict[str, str]) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json=account)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def pending_payment(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, str]]:
    """A customer's order of 2 × 149.90 with a started payment, through instance `client`."""
    await client.post("/api/v1/auth/register", json=CUSTOMER)
    admin, ann = await bearer(client, ADMIN), await bearer(client, CUSTOMER)
    category = await client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    product = await client.post(
        "/api/v1/products",
        json={"name": "Green tea", "price": "149.90", "category_id": category.json()["id"], "stock": 5},
        headers=admin,
    )
    order = await client.post(
        "/api/v1/orders", json={"items": [{"product_id": product.json()["id"], "quantity": 2}]}, headers=ann
    )
    assert order.status_code == 201, order.text
    payment = await client.post(f"/api/v1/payments/orders/{order.json()['id']}", headers=ann)
    assert payment.status_code == 201, payment.text
    return payment.json(), ann


def event_body(payment: dict[str, Any], status: str, event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "provider_payment_id": payment["provider_payment_id"],
        "status": status,
        "amount": payment["amount"],
        "currency": payment["currency"],
    }


async def count_events(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM payment_events"))).scalar_one())
    finally:
        await engine.dispose()


async def test_twenty_concurrent_deliveries_of_one_event_to_two_processes_settle_once(
    clients: list[httpx.AsyncClient], postgres_database: str
) -> None:
    payment, ann = await pending_payment(clients[0])
    raw, headers = signed(event_body(payment, "succeeded", f"evt_{uuid.uuid4().hex}"))

    responses = await asyncio.gather(
        *(clients[n % 2].post(WEBHOOK, content=raw, headers=headers) for n in range(20))
    )

    assert all(200 <= r.status_code < 300 for r in responses), [r.text for r in responses]
    results = sorted(r.json()["result"] for r in responses)
    assert results == ["applied"] + ["duplicate"] * 19
    assert await count_events(postgres_database) == 1
    found = (await clients[0].get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert found["status"] == "succeeded" and found["refund_required"] is False
    order = (await clients[0].get(f"/api/v1/orders/{payment['order_id']}", headers=ann)).json()
    assert order["status"] == "paid"


async def test_competing_success_and_failure_events_across_processes_leave_one_consistent_outcome(
    clients: list[httpx.AsyncClient], postgres_database: str
) -> None:
    payment, ann = await pending_payment(clients[0])
    deliveries = [
        signed(event_body(payment, "succeeded" if n % 2 else "failed", f"evt_{n}_{uuid.uuid4().hex}"))
        for n in range(20)
    ]

    responses = await asyncio.gather(
        *(
            clients[n % 2].post(WEBHOOK, content=raw, headers=headers)
            for n, (raw, headers) in enumerate(deliveries)
        )
    )

    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    results = sorted(r.json()["result"] for r in responses)
    assert results == ["applied"] + ["ignored"] * 19
    assert await count_events(postgres_database) == 20
    found = (await clients[0].get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    order = (await clients[0].get(f"/api/v1/orders/{payment['order_id']}", headers=ann)).json()
    assert (found["status"], order["status"]) in {("succeeded", "paid"), ("failed", "pending")}
