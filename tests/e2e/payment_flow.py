"""Helpers for payment scenarios: a shop with a product, orders, and signed mock webhooks."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from adapters.payments.mock.signature import HEADER, sign
from tests.e2e.conftest import Api

WEBHOOK_SECRET = "whsec-test-0123456789abcdef0123456789abcdef"
WEBHOOK = "/api/v1/payments/webhook/mock"
Headers = dict[str, str]


async def make_product(api: Api, price: str = "149.90", stock: int | None = None) -> int:
    admin = await api.admin()
    response = await api.client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    if response.status_code == 201:
        category_id = response.json()["id"]
    else:
        category_id = (await api.client.get("/api/v1/categories/tea")).json()["id"]
    body = {"name": f"Tea {uuid.uuid4().hex[:8]}", "price": price, "category_id": category_id, "stock": stock}
    response = await api.client.post("/api/v1/products", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def place_order(api: Api, customer: Headers, product_id: int, quantity: int = 2) -> dict[str, Any]:
    body = {"items": [{"product_id": product_id, "quantity": quantity}]}
    response = await api.client.post("/api/v1/orders", json=body, headers=customer)
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def start_payment(api: Api, customer: Headers, order_id: int) -> dict[str, Any]:
    response = await api.client.post(f"/api/v1/payments/orders/{order_id}", headers=customer)
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def event(payment: dict[str, Any], status: str, **changes: Any) -> dict[str, Any]:
    body = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "provider_payment_id": payment["provider_payment_id"],
        "status": status,
        "amount": payment["amount"],
        "currency": payment["currency"],
    }
    body.update(changes)
    return body


def signed(
    body: bytes | dict[str, Any], *, at: int | None = None, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, Headers]:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    timestamp = int(time.time()) if at is None else at
    return raw, {HEADER: sign(secret, timestamp, raw), "content-type": "application/json"}


async def deliver(api: Api, body: bytes | dict[str, Any], **options: Any) -> Any:
    raw, headers = signed(body, **options)
    return await api.client.post(WEBHOOK, content=raw, headers=headers)
