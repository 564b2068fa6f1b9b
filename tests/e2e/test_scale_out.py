"""Scale-out: three app processes on one PostgreSQL and one Redis, under a mixed workload.

Instance `a` runs one worker, instance `b` two (`WORKERS=2`): three processes. For
SCALE_OUT_SECONDS (default 30) customers place and cancel orders on scarce stock, start
payments and deliver their webhooks (each event two or three times, to different
instances at once), log in, refresh and log out — every request sent to a random
instance, on a new connection (so `b`'s two workers share the load). Orders also expire
(a short payment timeout), swept by whichever instance gets there first.

Afterwards it checks, and prints:
- no answer was a 5xx;
- no stock is below zero, and stock is conserved: on hand + held by live orders = initial;
- each webhook event was recorded once and applied once (duplicates changed nothing);
  every paid order has exactly one succeeded payment;
- every logged-out access token and every retired refresh token is refused by every
  instance;
- failed logins are limited across instances (Redis holds the count);
- the business counters on /metrics (summed over the instances, `b`'s two workers
  aggregated through PROMETHEUS_MULTIPROC_DIR) match the database.

Part of the default suite (`uv run just test`, hence CI); marked `slow`, so
`pytest -m "not slow"` leaves it out while iterating.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.payments.mock.signature import HEADER, sign
from tests.support.processes import (
    TEST_ADMIN_EMAIL,
    TEST_ADMIN_PASSWORD,
    TEST_WEBHOOK_SECRET,
    Server,
    running,
    server_environment,
    start_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

DURATION = float(os.environ.get("SCALE_OUT_SECONDS", "30"))
CONCURRENCY = 8
CUSTOMERS = 10
PASSWORD = "customer-password"
STOCK = {"Sencha": 8, "Gyokuro": 12, "Matcha": 16, "Hojicha": 20}
PAYMENT_TIMEOUT_SECONDS = 12
WEBHOOK = "/api/v1/payments/webhook/mock"


@dataclass
class Run:
    """What the workload did and saw."""

    clients: list[httpx.AsyncClient]
    names: dict[str, str]
    rng: random.Random
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    per_instance: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    orders: dict[int, dict[str, str]] = field(default_factory=dict)  # order id → its owner
    unpaid: set[int] = field(default_factory=set)  # orders that may still take a payment
    events: dict[str, str] = field(default_factory=dict)  # event id → status sent
    dead_access: list[str] = field(default_factory=list)
    dead_refresh: list[str] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        return self.rng.choice(self.clients)

    async def call(self, action: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        client = self.client()
        response = await client.request(method, path, **kwargs)
        self.statuses[(action, response.status_code)] += 1
        self.per_instance[self.names[str(client.base_url)]] += 1
        if response.status_code >= 500:
            self.server_errors.append(
                f"{action} {method} {path} → {response.status_code}: {response.text[:200]}"
            )
        return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def instances(postgres_database: str, redis_url: str, tmp_path: Path) -> AsyncIterator[list[Server]]:
    common = {
        "redis_url": redis_url,
        "rate_limit_login": "5/minute",
        "order_payment_timeout_seconds": PAYMENT_TIMEOUT_SECONDS,
        "order_expiry_interval_seconds": 2,
        "log_level": "WARNING",
        "access_log": "false",
    }
    servers = [
        start_server("a", server_environment(postgres_database, workers=1, **common), tmp_path),
        start_server("b", server_environment(postgres_database, workers=2, **common), tmp_path),
    ]
    try:
        with running(servers):
            yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.kill()
    # `running` stopped them with SIGTERM: each finished its graceful shutdown (uvicorn then
    # re-raises the signal, hence -SIGTERM).
    for server in servers:
        assert server.exit_code in (0, -signal.SIGTERM), server.logs()


async def set_up(run: Run) -> tuple[dict[str, int], list[dict[str, str]]]:
    admin_login = await run.call(
        "setup",
        "POST",
        "/api/v1/auth/login",
        json={"email": TEST_ADMIN_EMAIL, "password": TEST_ADMIN_PASSWORD},
    )
    admin = bearer(admin_login.json()["access_token"])
    category = await run.call(
        "setup", "POST", "/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin
    )
    products = {}
    for name, stock in STOCK.items():
        body = {"name": name, "price": "12.50", "category_id": category.json()["id"], "stock": stock}
        created = await run.call("setup", "POST", "/api/v1/products", json=body, headers=admin)
        assert created.status_code == 201, created.text
        products[name] = int(created.json()["id"])
    customers = []
    for n in range(CUSTOMERS):
        email = f"shopper{n}@example.com"
        registered = await run.call(
            "setup", "POST", "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        customers.append({"email": email})
    return products, customers


async def login(run: Run, email: str) -> dict[str, str]:
    response = await run.call(
        "login", "POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def place_and_maybe_cancel(run: Run, products: dict[str, int], customer: dict[str, str]) -> None:
    headers = customer["headers"]
    chosen = run.rng.sample(sorted(products.values()), k=run.rng.randint(1, 2))
    items = [{"product_id": product_id, "quantity": run.rng.randint(1, 3)} for product_id in chosen]
    response = await run.call(
        "place", "POST", "/api/v1/orders", json={"items": items}, headers=bearer(headers)
    )
    assert response.status_code in (201, 409), response.text
    if response.status_code != 201:
        return
    order_id = int(response.json()["id"])
    run.orders[order_id] = customer
    run.unpaid.add(order_id)
    if run.rng.random() < 0.3:
        cancelled = await run.call(
            "cancel", "POST", f"/api/v1/orders/{order_id}/cancel", headers=bearer(headers)
        )
        assert cancelled.status_code in (200, 409), cancelled.text
        run.unpaid.discard(order_id)


async def pay(run: Run) -> None:
    if not run.unpaid:
        return
    order_id = run.rng.choice(sorted(run.unpaid))
    customer = run.orders[order_id]
    started = await run.call(
        "start payment", "POST", f"/api/v1/payments/orders/{order_id}", headers=bearer(customer["headers"])
    )
    assert started.status_code in (201, 409), started.text
    if started.status_code != 201:
        run.unpaid.discard(order_id)  # cancelled, expired or paid meanwhile
        return
    payment = started.json()
    # Most payments fail (the order stays pending, then expires): stock keeps moving.
    status = "succeeded" if run.rng.random() < 0.4 else "failed"
    if status == "succeeded":
        run.unpaid.discard(order_id)
    event = {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "provider_payment_id": payment["provider_payment_id"],
        "status": status,
        "amount": payment["amount"],
        "currency": payment["currency"],
    }
    run.events[event["event_id"]] = status
    body = msgspec.json.encode(event)
    headers = {HEADER: sign(TEST_WEBHOOK_SECRET, int(time.time()), body), "content-type": "application/json"}
    copies = run.rng.randint(2, 3)
    deliveries = await asyncio.gather(
        *(run.call("webhook", "POST", WEBHOOK, content=body, headers=headers) for _ in range(copies))
    )
    assert all(d.status_code == 200 for d in deliveries), [d.text for d in deliveries]


async def session_churn(run: Run, customer: dict[str, str]) -> None:
    tokens = await login(run, customer["email"])
    refreshed = await run.call(
        "refresh", "POST", "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    pair = refreshed.json()
    logged_out = await run.call("logout", "POST", "/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert logged_out.status_code == 204, logged_out.text
    run.dead_access += [tokens["access_token"], pair["access_token"]]
    run.dead_refresh += [tokens["refresh_token"], pair["refresh_token"]]


async def workload(run: Run, products: dict[str, int], customers: list[dict[str, str]]) -> None:
    deadline = time.monotonic() + DURATION

    async def worker() -> None:
        while time.monotonic() < deadline:
            customer = run.rng.choice(customers)
            roll = run.rng.random()
            if roll < 0.5:
                await place_and_maybe_cancel(run, products, customer)
            elif roll < 0.7:
                await pay(run)
            else:
                await session_churn(run, customer)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def wait_until_no_order_is_pending(database_url: str) -> None:
    """Unpaid orders expire PAYMENT_TIMEOUT_SECONDS after they were placed: wait for the last."""
    engine = create_async_engine(database_url)
    try:
        deadline = time.monotonic() + PAYMENT_TIMEOUT_SECONDS + 30
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                pending = (
                    await conn.execute(text("SELECT count(*) FROM orders WHERE status = 'pending'"))
                ).scalar()
            if pending == 0:
                return
            await asyncio.sleep(0.5)
        raise AssertionError("pending orders were never expired")
    finally:
        await engine.dispose()


async def database_facts(database_url: str) -> dict[str, Any]:
    """One consistent snapshot (REPEATABLE READ) of what the checks need."""
    engine = create_async_engine(database_url, isolation_level="REPEATABLE READ")
    try:
        async with engine.connect() as conn:

            async def rows(sql: str) -> list[Any]:
                return list((await conn.execute(text(sql))).all())

            return {
                "stock": dict(await rows("SELECT name, stock FROM products")),
                "held": {
                    name: int(held)
                    for name, held in await rows(
                        "SELECT p.name, coalesce(sum(l.quantity), 0) FROM products p"
                        " LEFT JOIN order_lines l ON l.product_id = p.id"
                        " LEFT JOIN orders o ON o.id = l.order_id AND o.status <> 'cancelled'"
                        " WHERE o.id IS NOT NULL OR l.id IS NULL GROUP BY p.name"
                    )
                },
                "orders": dict(await rows("SELECT status, count(*) FROM orders GROUP BY status")),
                "events": Counter(e for (e,) in await rows("SELECT event_id FROM payment_events")),
                "settled": (
                    await rows(
                        "SELECT count(*) FROM payment_events WHERE outcome = 'applied'"
                        " AND status IN ('succeeded', 'failed', 'canceled')"
                    )
                )[0][0],
                "paid_without_one_success": await rows(
                    "SELECT o.id FROM orders o WHERE o.status = 'paid' AND (SELECT count(*)"
                    " FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded') <> 1"
                ),
                "refunds": (await rows("SELECT count(*) FROM payments WHERE refund_required"))[0][0],
            }
    finally:
        await engine.dispose()


async def counter(client: httpx.AsyncClient, name: str) -> float:
    total = 0.0
    for line in (await client.get("/metrics")).text.splitlines():
        if re.match(rf"^{name}(\{{.*\}})? ", line):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_three_processes_share_stock_payments_sessions_and_limits(
    instances: list[Server], postgres_database: str
) -> None:
    limits = httpx.Limits(max_keepalive_connections=0)
    clients = [httpx.AsyncClient(base_url=s.url, timeout=30, limits=limits) for s in instances]
    names = {str(c.base_url): s.name for c, s in zip(clients, instances, strict=True)}
    run = Run(clients=clients, names=names, rng=random.Random(20261127))
    try:
        products, customers = await set_up(run)
        for customer in customers:
            customer["headers"] = (await login(run, customer["email"]))["access_token"]
        started = time.monotonic()
        await workload(run, products, customers)
        elapsed = time.monotonic() - started
        await wait_until_no_order_is_pending(postgres_database)

        gate = asyncio.Semaphore(16)

        async def status_of(request: Any) -> int:
            async with gate:
                return int((await request).status_code)

        refused_access = await asyncio.gather(
            *(
                status_of(client.get("/api/v1/auth/me", headers=bearer(token)))
                for token in run.dead_access
                for client in clients * 2  # new connections: `b`'s requests land on both workers
            )
        )
        refused_refresh = await asyncio.gather(
            *(
                status_of(client.post("/api/v1/auth/refresh", json={"refresh_token": token}))
                for token in run.dead_refresh
                for client in clients
            )
        )
        limited = [
            (
                await clients[n % 2].post(
                    "/api/v1/auth/login", json={"email": "shopper0@example.com", "password": "wrong-password"}
                )
            ).status_code
            for n in range(6)
        ]
        metrics = {
            name: sum([await counter(c, name) for c in clients])
            for name in (
                "storefront_orders_placed_total",
                "storefront_orders_cancelled_total",
                "storefront_orders_expired_total",
                "storefront_payments_settled_total",
            )
        }
    finally:
        for client in clients:
            await client.aclose()

    facts = await database_facts(postgres_database)
    orders_total = sum(facts["orders"].values())
    report = [
        f"scale-out: {elapsed:.0f} s of workload over {len(instances)} instances (3 processes),"
        f" {sum(run.statuses.values())} requests",
        f"  requests per instance: {dict(run.per_instance)}",
        f"  answers: {dict(sorted(run.statuses.items()))}",
        f"  orders by status: {facts['orders']}",
        f"  stock on hand: {facts['stock']}; held by live orders: {facts['held']}",
        f"  webhook events sent: {len(run.events)} (each 2-3 times); recorded: {len(facts['events'])};"
        f" settled: {facts['settled']}; refunds flagged: {facts['refunds']}",
        f"  logged-out access tokens checked: {len(run.dead_access)} x 6 requests;"
        f" retired refresh tokens: {len(run.dead_refresh)} x 3 instances",
        f"  failed logins across instances: {limited}",
        f"  /metrics summed over instances: {metrics}",
    ]
    print("\n".join(report))

    assert not run.server_errors, run.server_errors
    for name, initial in STOCK.items():
        assert facts["stock"][name] >= 0, name
        assert facts["stock"][name] + facts["held"].get(name, 0) == initial, (name, facts)
    assert set(facts["events"]) == set(run.events), "every event sent is recorded"
    assert all(count == 1 for count in facts["events"].values()), "each event is recorded once"
    assert facts["paid_without_one_success"] == []
    assert set(refused_access) == {401}
    assert set(refused_refresh) == {401}
    assert limited == [401] * 5 + [429]
    assert run.statuses[("place", 201)] > 0 and run.statuses[("place", 409)] > 0, "stock ran out somewhere"
    assert run.statuses[("webhook", 200)] > len(run.events), "duplicates were delivered"
    assert facts["orders"].get("paid", 0) > 0
    assert metrics["storefront_orders_placed_total"] == orders_total
    assert metrics["storefront_orders_cancelled_total"] + metrics["storefront_orders_expired_total"] == facts[
        "orders"
    ].get("cancelled", 0)
    assert metrics["storefront_payments_settled_total"] == facts["settled"]
