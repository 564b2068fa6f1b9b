"""A customer holds at most ORDER_PENDING_LIMIT pending orders (the default, 5, here)."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.settings import Settings
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import make_product

LIMIT = Settings().order_pending_limit


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"order_pending_limit": LIMIT}


async def test_the_order_past_the_limit_is_409_naming_it_until_one_is_cancelled(api: Api) -> None:
    assert LIMIT == 5
    tea = await make_product(api, stock=100)
    ann, bob = await api.customer("ann@example.com"), await api.customer("bob@example.com")
    body = {"items": [{"product_id": tea, "quantity": 1}]}
    placed = []
    for _ in range(LIMIT):
        response = await api.client.post("/api/v1/orders", json=body, headers=ann)
        assert response.status_code == 201, response.text
        placed.append(response.json()["id"])

    refused = await api.client.post("/api/v1/orders", json=body, headers=ann)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert f"at most {LIMIT} pending orders" in refused.json()["detail"]
    assert (await api.client.get(f"/api/v1/products/{tea}")).json()["stock"] == 100 - LIMIT

    assert (await api.client.post("/api/v1/orders", json=body, headers=bob)).status_code == 201
    cancel = await api.client.post(f"/api/v1/orders/{placed[0]}/cancel", headers=ann)
    assert cancel.status_code == 200
    assert (await api.client.post("/api/v1/orders", json=body, headers=ann)).status_code == 201
    assert (await api.client.post("/api/v1/orders", json=body, headers=ann)).status_code == 409


async def test_parallel_placements_by_one_customer_stop_at_the_limit(api: Api) -> None:
    tea = await make_product(api, stock=100)
    ann = await api.customer()
    body = {"items": [{"product_id": tea, "quantity": 1}]}

    responses = await asyncio.gather(
        *[api.client.post("/api/v1/orders", json=body, headers=ann) for _ in range(3 * LIMIT)]
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * LIMIT + [409] * (2 * LIMIT), codes
    pending = await api.client.get("/api/v1/orders/me", params={"status": "pending"}, headers=ann)
    assert len(pending.json()) == LIMIT
    assert (await api.client.get(f"/api/v1/products/{tea}")).json()["stock"] == 100 - LIMIT
