"""Refunds across processes on one PostgreSQL and one Redis: two API processes (no worker of
their own) and two `storefront worker` processes, Stripe's API doubled in this process.

- concurrent requests for one payment, through both API processes, never refund more than it;
- 200 refunds, requested through both API processes, are each carried out once: the provider
  sees each refund's key once, and every job succeeds at its first attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.test_refund_worker_faults import HoldingStripe, Worker, worker_environment
from tests.support.servers import Server, serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
REFUNDS = 200


@pytest.fixture
def stripe_api() -> Iterator[HoldingStripe]:
    double = HoldingStripe(secret_key="sk_test_scale", webhook_secret="whsec_test_scale")
    double.start()
    yield double
    double.stop()


@pytest.fixture
def shop(
    postgres_database: str, redis_url: str, stripe_api: HoldingStripe, tmp_path: Path
) -> Iterator[list[Server]]:
    stripe = {
        "PAYMENT_PROVIDERS": "mock,stripe",
        "STRIPE_SECRET_KEY": stripe_api.secret_key,
        "STRIPE_WEBHOOK_SECRET": stripe_api.webhook_secret,
        "STRIPE_API_BASE": stripe_api.url,
    }
    env = {
        "DATABASE_URL": postgres_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "a-shared-secret-for-both-instances-0123456789",
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
        "RUN_WORKER": "false",
        **stripe,
    }
    worker_env = worker_environment(postgres_database, stripe_api)
    worker_env.update(REDIS_URL=redis_url, JOB_LEASE_SECONDS="30")
    with ExitStack() as stack:
        servers = [stack.enter_context(serve(env)) for _ in range(2)]
        workers = [Worker(f"worker-{n}", worker_env, tmp_path) for n in range(2)]
        try:
            yield servers
        finally:
            for worker in workers:
                assert worker.stop() == 0, worker.logs()


async def token(client: httpx.AsyncClient, base: str, email: str, password: str) -> dict[str, str]:
    response = await client.post(f"{base}/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def paid_payment(
    client: httpx.AsyncClient, base: str, admin: dict[str, str], double: HoldingStripe, name: str
) -> dict[str, Any]:
    """A Stripe payment of 299.80 that succeeded."""
    category = await client.post(
        f"{base}/api/v1/categories", json={"name": name, "slug": name}, headers=admin
    )
    product = await client.post(
        f"{base}/api/v1/products",
        json={"name": name, "price": "149.90", "category_id": category.json()["id"]},
        headers=admin,
    )
    email = f"{name}@example.com"
    await client.post(f"{base}/api/v1/auth/register", json={"email": email, "password": "customer-password"})
    customer = await token(client, base, email, "customer-password")
    items = {"items": [{"product_id": product.json()["id"], "quantity": 2}]}
    order = (await client.post(f"{base}/api/v1/orders", json=items, headers=customer)).json()
    started = await client.post(
        f"{base}/api/v1/payments/orders/{order['id']}", json={"provider": "stripe"}, headers=customer
    )
    assert started.status_code == 201, started.text
    payment: dict[str, Any] = started.json()
    body = double.event("checkout.session.completed", double.complete(payment["provider_payment_id"]))
    delivered = await client.post(
        f"{base}/api/v1/payments/webhook/stripe", content=body, headers=double.sign(body)
    )
    assert delivered.status_code == 200, delivered.text
    return payment


async def test_refunds_across_processes_never_exceed_the_payment_and_each_runs_once(
    shop: list[Server], stripe_api: HoldingStripe, postgres_database: str
) -> None:
    bases = [server.base_url for server in shop]
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        admin = await token(client, bases[0], ADMIN["email"], ADMIN["password"])

        # 30 concurrent requests of 20.00 on 299.80, through both processes: 14 fit.
        burst = await paid_payment(client, bases[0], admin, stripe_api, "burst")
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{bases[n % 2]}/api/v1/payments/{burst['id']}/refunds",
                    json={"amount": "20.00"},
                    headers=admin,
                )
                for n in range(30)
            )
        )
        assert Counter(a.status_code for a in answers) == {201: 14, 409: 16}
        assert all("19.80" in a.json()["detail"] for a in answers if a.status_code == 409)

        # 200 refunds of 1.00, twenty at a time, alternating processes.
        many = await paid_payment(client, bases[1], admin, stripe_api, "many")
        ids: list[int] = []
        for start in range(0, REFUNDS, 20):
            batch = await asyncio.gather(
                *(
                    client.post(
                        f"{bases[n % 2]}/api/v1/payments/{many['id']}/refunds",
                        json={"amount": "1.00"},
                        headers=admin,
                    )
                    for n in range(start, start + 20)
                )
            )
            assert all(r.status_code == 201 for r in batch), [r.text for r in batch if r.status_code != 201]
            ids += [r.json()["id"] for r in batch]

        async def pending() -> int:
            engine = create_async_engine(postgres_database)
            try:
                async with engine.connect() as conn:
                    return int(
                        (
                            await conn.execute(text("SELECT count(*) FROM refunds WHERE status = 'pending'"))
                        ).scalar_one()
                    )
            finally:
                await engine.dispose()

        deadline = time.monotonic() + 40
        left = await pending()
        while left and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            left = await pending()
        assert left == 0

        seen = (await client.get(f"{bases[0]}/api/v1/payments/{many['id']}", headers=admin)).json()
        assert seen["refunded_amount"] == "200.00"
        burst_seen = (await client.get(f"{bases[1]}/api/v1/payments/{burst['id']}", headers=admin)).json()
        assert burst_seen["refunded_amount"] == "280.00"

    keys = Counter(stripe_api.refund_keys)
    # References are `storefront-<installation>-refund-<id>`: each refund asked under one key, once.
    asked = {int(key.rsplit("-refund-", 1)[1]): count for key, count in keys.items()}
    assert len(asked) == len(keys)  # one installation, one key per refund
    assert set(ids) <= set(asked) and all(asked[refund_id] == 1 for refund_id in ids)
    assert len(stripe_api.refunds) == REFUNDS + 14
    engine = create_async_engine(postgres_database)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT status, attempts, count(*) FROM jobs GROUP BY 1, 2"))
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [("succeeded", 1, REFUNDS + 14)]
    assert time.monotonic() - started < 60
