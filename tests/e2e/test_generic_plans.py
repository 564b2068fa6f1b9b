"""Every statement the app repeats is planned once on PostgreSQL, not on every execution.

PostgreSQL runs a prepared statement's first five executions on custom plans and then keeps its
generic plan, unless the custom plans looked cheaper; a statement whose custom plans always look
cheaper (a bare array parameter: `adapters/sql/hot_path.py`, `array_parameter`) is planned anew
each time it runs. This drives the write path (place order, start a payment, settle it, request a
refund) and then every GET route of the OpenAPI document, each more than five times, through an
app whose pools hold one connection each; then it reads `pg_prepared_statements` on those
connections and names every statement that never got its generic plan.

The tables are first filled to a shop's size (`_SHOP_ROWS`): on a table of a few rows every plan
costs the same and the generic one is always kept, which would hide the fault.
"""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from typing import Any

import anyio
import asyncpg  # type: ignore[import-untyped]
import pytest

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database
from bench.seed import plain_dsn, seed_orders
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, deliver, event, make_product, start_payment

pytestmark = pytest.mark.postgres

# PostgreSQL tries five custom plans per connection first. The write pool of DB_POOL_SIZE=1 holds
# two connections: in eleven runs one of them runs a statement at least six times.
RUNS = 11
SKIPPED = ("/docs", "/metrics", "/health", "/mock-checkout")  # no statement of their own to repeat

# Statements PostgreSQL plans anew on purpose (a pattern of their text, and the reason).
PLANNED_EACH_TIME = {
    # A page: its size and offset decide the plan (walking an index for the first pages, sorting
    # for deep ones), which only a plan made for the values given can weigh.
    r"LIMIT \$\d+(::INTEGER)? OFFSET \$\d+(::INTEGER)?$": "a page of a list",
}

PLANS = (
    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
    " WHERE custom_plans > 5 AND generic_plans = 0"
)


SHOP_ROWS = 10_000  # products, customers, and one customer's past orders


async def _fill_to_a_shops_size(database_url: str) -> None:
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        category = await conn.fetchval(
            "INSERT INTO categories (name, slug, is_active, created_at, updated_at)"
            " VALUES ('Shelf', 'shelf', true, now(), now()) RETURNING id"
        )
        await conn.execute(
            "INSERT INTO products (name, search_name, description, price_minor, currency, category_id,"
            " stock, is_active, created_at, updated_at)"
            " SELECT 'Shelf ' || g, 'shelf ' || g, '', 1000, 'RUB', $1, 100, true, now(), now()"
            " FROM generate_series(1, $2) AS g",
            category,
            SHOP_ROWS,
        )
        first = await conn.fetchval(
            "INSERT INTO users (email, password_hash, role, is_active, created_at)"
            " SELECT 'shelf' || g || '@example.com', 'x', 'customer', true, now()"
            " FROM generate_series(1, $1) AS g RETURNING id",
            SHOP_ROWS,
        )
        await seed_orders(conn, first, SHOP_ROWS, SHOP_ROWS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture
async def app_database_url(postgres_url: str) -> str:
    from tests.conftest import clean_database

    await clean_database(postgres_url)
    return postgres_url


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"db_pool_size": 1, "payment_webhook_secret": WEBHOOK_SECRET, "public_url": "https://shop.example"}


async def _write_path(api: Api, customer: dict[str, str], admin: dict[str, str]) -> dict[str, Any]:
    """Place, pay, settle and partly refund RUNS orders of two tracked lines; the ids of the last."""
    products = [await make_product(api, "10.00", stock=1000) for _ in range(2)]
    ids: dict[str, Any] = {"product_id": products[0]}
    for _ in range(RUNS):
        body = {"items": [{"product_id": p, "quantity": 1} for p in products]}
        response = await api.client.post("/api/v1/orders", json=body, headers=customer)
        assert response.status_code == 201, response.text
        order = response.json()
        payment = await start_payment(api, customer, order["id"])
        assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
        refund = await api.client.post(
            f"/api/v1/payments/{payment['id']}/refunds", json={"amount": "1.00"}, headers=admin
        )
        assert refund.status_code in (201, 202), refund.text
        ids.update(order_id=order["id"], payment_id=payment["id"])
    return ids


async def _statements_planned_each_time(api: Api) -> list[tuple[str, int]]:
    """Read on the app's own connections, in the app's event loop (the test client's portal)."""
    return await anyio.to_thread.run_sync(api.client.blocking_portal.call, _planned_each_time, api)


async def _planned_each_time(api: Api) -> list[tuple[str, int]]:
    container = api.client.app.state.dishka_container
    db = await container.get(Database)
    read_pool = await container.get(ReadPool | None)
    assert read_pool is not None
    drivers: list[Any] = []
    async with AsyncExitStack() as held:  # every pooled connection at once: each one's statements
        for _ in range(db.engine.pool.size()):
            conn = await held.enter_async_context(db.engine.connect())
            drivers.append((await conn.get_raw_connection()).driver_connection)
        pool = await read_pool.get()
        for _ in range(pool.get_max_size()):
            drivers.append(await held.enter_async_context(pool.acquire()))
        return [(r["statement"], r["custom_plans"]) for driver in drivers for r in await driver.fetch(PLANS)]


async def test_no_statement_is_planned_anew_on_every_execution(api: Api, app_database_url: str) -> None:
    await _fill_to_a_shops_size(app_database_url)
    admin = await api.admin()
    customer = await api.customer()
    ids = await _write_path(api, customer, admin)
    me = (await api.client.get("/api/v1/auth/me", headers=customer)).json()
    ids.update(user_id=me["id"], ref="tea")

    schema = (await api.client.get("/docs/openapi.json")).json()
    routes = [
        path for path, item in schema["paths"].items() if "get" in item and not path.startswith(SKIPPED)
    ]
    assert "/api/v1/orders/{order_id}" in routes  # the document is the one expected
    for path in routes:
        names = re.findall(r"{(\w+)}", path)
        assert set(names) <= set(ids), f"{path}: give this test a value for {set(names) - set(ids)}"
        url = path.format(**ids)
        for _ in range(RUNS):
            response = await api.client.get(url, headers=admin)
            assert response.status_code == 200, (url, response.text)

    planned = [
        (sql, n)
        for sql, n in await _statements_planned_each_time(api)
        if not any(re.search(pattern, " ".join(sql.split())) for pattern in PLANNED_EACH_TIME)
    ]
    assert planned == [], "planned anew on every execution:\n" + "\n".join(
        f"{n}× {sql}" for sql, n in planned
    )
