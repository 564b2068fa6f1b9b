"""Paying through YooKassa over HTTP, end to end: a real app process (uvicorn, so the trusted
proxy's `X-Forwarded-For` decides the client address) and the YooKassa double.

The notifications come through a proxy on 127.0.0.1 (`FORWARDED_ALLOW_IPS`), which names the
sender in `X-Forwarded-For`: one of YooKassa's published addresses, or any other.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import clean_database, off_loop
from tests.doubles.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble
from tests.support.servers import Server, serve

pytestmark = pytest.mark.slow

ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
CUSTOMER = {"email": "ann@example.com", "password": "customer-password"}
WEBHOOK = "/api/v1/payments/webhook/yookassa"
YOOKASSA_SENDER = {"X-Forwarded-For": "185.71.76.17"}
YOOKASSA_SENDER_V6 = {"X-Forwarded-For": "2a02:5180:0:2655::5"}


@pytest.fixture(scope="module")
def yookassa() -> Iterator[YooKassaDouble]:
    with YooKassaDouble() as double:
        yield double


@pytest.fixture(scope="module")
def server(sqlite_url: str, yookassa: YooKassaDouble) -> Iterator[Server]:
    off_loop(lambda: asyncio.run(clean_database(sqlite_url)))
    env = {
        "DATABASE_URL": sqlite_url,
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
        # Stripe beside it (never called here): each provider reads only its own settings.
        "PAYMENT_PROVIDERS": "mock,stripe,yookassa",
        "STRIPE_SECRET_KEY": "sk_test_unused",
        "STRIPE_WEBHOOK_SECRET": "whsec_unused",
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SECRET_KEY,
        "YOOKASSA_API_URL": yookassa.api_url,
        "PUBLIC_URL": "https://shop.example",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    with serve(env) as running:
        yield running


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        yield http


async def bearer(client: httpx.AsyncClient, account: dict[str, str]) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json=account)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def yookassa_payment(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, str]]:
    """A customer's order of 2 × 149.90 with a payment started through YooKassa."""
    order_id, ann = await pending_order(client)
    payment = await client.post(
        f"/api/v1/payments/orders/{order_id}", json={"provider": "yookassa"}, headers=ann
    )
    assert payment.status_code == 201, payment.text
    return payment.json(), ann


async def pending_order(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    await client.post("/api/v1/auth/register", json=CUSTOMER)
    admin, ann = await bearer(client, ADMIN), await bearer(client, CUSTOMER)
    slug = f"tea-{uuid.uuid4().hex[:8]}"
    created = await client.post("/api/v1/categories", json={"name": slug, "slug": slug}, headers=admin)
    assert created.status_code == 201, created.text
    category_id = created.json()["id"]
    product = await client.post(
        "/api/v1/products",
        json={"name": f"Green tea {slug}", "price": "149.90", "category_id": category_id, "stock": 100},
        headers=admin,
    )
    assert product.status_code == 201, product.text
    order = await client.post(
        "/api/v1/orders", json={"items": [{"product_id": product.json()["id"], "quantity": 2}]}, headers=ann
    )
    assert order.status_code == 201, order.text
    return int(order.json()["id"]), ann


async def state(client: httpx.AsyncClient, payment: dict[str, Any], ann: dict[str, str]) -> tuple[str, str]:
    read = await client.get(f"/api/v1/payments/{payment['id']}", headers=ann)
    order = await client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann)
    return read.json()["status"], order.json()["status"]


async def test_yookassa_is_enabled_beside_the_others_and_the_mock_stays_the_default(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/payments/providers")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"name": "mock", "default": True},
        {"name": "stripe", "default": False},
        {"name": "yookassa", "default": False},
    ]


@pytest.mark.parametrize("sender", [YOOKASSA_SENDER, YOOKASSA_SENDER_V6], ids=["ipv4", "ipv6"])
async def test_an_order_is_paid_through_yookassa(
    client: httpx.AsyncClient, yookassa: YooKassaDouble, sender: dict[str, str]
) -> None:
    payment, ann = await yookassa_payment(client)
    ppid = payment["provider_payment_id"]
    assert payment["provider"] == "yookassa"
    assert (payment["amount"], payment["currency"]) == ("299.80", "RUB")
    stored = yookassa.payments[ppid]
    assert payment["checkout_url"] == stored["confirmation"]["confirmation_url"]
    assert stored["amount"] == {"value": "299.80", "currency": "RUB"}
    assert stored["confirmation"]["return_url"] == "https://shop.example/"
    assert stored["metadata"] == {"order_id": str(payment["order_id"]), "payment_id": str(payment["id"])}
    key = yookassa.posts("/v3/payments")[-1].headers["idempotence-key"]
    assert re.fullmatch(rf"storefront-[0-9a-f]{{16}}-payment-{payment['id']}", key), key

    yookassa.succeed(ppid)  # the customer pays on YooKassa's page
    body = yookassa.notification("payment.succeeded", ppid)
    answer = await client.post(WEBHOOK, content=body, headers={**sender, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert await state(client, payment, ann) == ("succeeded", "paid")
    reads = [r for r in yookassa.requests if r.method == "GET" and r.path == f"/v3/payments/{ppid}"]
    assert reads, "the notification was acted on without reading the payment back"

    again = await client.post(WEBHOOK, content=body, headers={**sender, "Content-Type": "application/json"})
    assert again.status_code == 200, again.text
    assert await state(client, payment, ann) == ("succeeded", "paid")


@pytest.mark.parametrize(
    "headers",
    [{"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-For": "185.71.76.32"}, {}],
    ids=["elsewhere", "next-to-yookassa", "the-proxy-itself"],
)
async def test_a_notification_from_an_untrusted_address_is_401_and_changes_nothing(
    client: httpx.AsyncClient, yookassa: YooKassaDouble, headers: dict[str, str]
) -> None:
    payment, ann = await yookassa_payment(client)
    yookassa.succeed(payment["provider_payment_id"])
    body = yookassa.notification("payment.succeeded", payment["provider_payment_id"])
    answer = await client.post(WEBHOOK, content=body, headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert await state(client, payment, ann) == ("created", "pending")


async def test_a_forged_succeeded_for_a_pending_payment_changes_nothing_and_the_real_one_still_pays(
    client: httpx.AsyncClient, yookassa: YooKassaDouble
) -> None:
    payment, ann = await yookassa_payment(client)
    ppid = payment["provider_payment_id"]
    forged = yookassa.notification("payment.succeeded", ppid, status="succeeded", paid=True)
    answer = await client.post(
        WEBHOOK, content=forged, headers={**YOOKASSA_SENDER, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    status, order_status = await state(client, payment, ann)
    assert status in ("created", "pending")
    assert order_status == "pending"

    yookassa.succeed(ppid)
    genuine = yookassa.notification("payment.succeeded", ppid)
    answer = await client.post(
        WEBHOOK, content=genuine, headers={**YOOKASSA_SENDER, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    assert await state(client, payment, ann) == ("succeeded", "paid")


async def test_a_canceled_payment_fails_with_yookassas_reason(
    client: httpx.AsyncClient, yookassa: YooKassaDouble
) -> None:
    payment, ann = await yookassa_payment(client)
    yookassa.cancel(payment["provider_payment_id"], "insufficient_funds")
    body = yookassa.notification("payment.canceled", payment["provider_payment_id"])
    answer = await client.post(
        WEBHOOK, content=body, headers={**YOOKASSA_SENDER, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    read = (await client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert (read["status"], read["fail_reason"]) == ("failed", "insufficient_funds")


async def test_yookassa_down_when_a_payment_starts_is_503_and_a_retry_resumes(
    client: httpx.AsyncClient, yookassa: YooKassaDouble
) -> None:
    order_id, ann = await pending_order(client)
    headers = {**ann, "Idempotency-Key": f"pay-{order_id}"}
    yookassa.fail_next(1)
    down = await client.post(
        f"/api/v1/payments/orders/{order_id}", json={"provider": "yookassa"}, headers=headers
    )
    assert down.status_code == 503, down.text
    assert "retry-after" in down.headers
    retried = await client.post(
        f"/api/v1/payments/orders/{order_id}", json={"provider": "yookassa"}, headers=headers
    )
    assert retried.status_code == 201, retried.text
    assert retried.json()["provider_payment_id"] in yookassa.payments
    # The payment stayed `created`: the retry resumed it, under the same key at YooKassa.
    keys = [r.headers["idempotence-key"] for r in yookassa.posts("/v3/payments")[-2:]]
    assert keys[0] == keys[1]
    assert re.fullmatch(rf"storefront-[0-9a-f]{{16}}-payment-{retried.json()['id']}", keys[0]), keys


async def test_a_notification_yookassa_will_not_let_the_shop_read_back_is_503_and_changes_nothing(
    client: httpx.AsyncClient, yookassa: YooKassaDouble
) -> None:
    payment, ann = await yookassa_payment(client)
    yookassa.succeed(payment["provider_payment_id"])
    body = yookassa.notification("payment.succeeded", payment["provider_payment_id"])
    key = yookassa.secret_key
    yookassa.secret_key = "rotated-at-yookassa"  # the shop's key no longer works
    try:
        refused = await client.post(WEBHOOK, content=body, headers=YOOKASSA_SENDER)
    finally:
        yookassa.secret_key = key
    assert refused.status_code == 503, refused.text
    assert refused.json()["detail"] == "the payment provider is unavailable, retry shortly"
    assert await state(client, payment, ann) == ("created", "pending")
    delivered = await client.post(WEBHOOK, content=body, headers=YOOKASSA_SENDER)  # YooKassa retries
    assert delivered.status_code == 200, delivered.text
    assert await state(client, payment, ann) == ("succeeded", "paid")
