"""SIGTERM during a burst of order placements, on a real server process and PostgreSQL.

Each request must either complete (a 201 whose order is in the database) or be refused
before it starts (connection refused, or closed before any response, or 503) and then
have left nothing behind. Stock is conserved: what is on hand plus what the orders hold
is what the product started with.

To have requests provably in flight at the moment of the signal, the test holds the
product's row lock from its own connection: every placement blocks inside its
transaction until the lock is released after SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import signal
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.support.processes import (
    TEST_ADMIN_EMAIL,
    TEST_ADMIN_PASSWORD,
    Server,
    server_environment,
    start_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

INITIAL_STOCK = 5000
# The placements that wait on the row lock; within the server's pool (DB_POOL_SIZE 6 → 12 connections).
IN_FLIGHT = 8
REFUSED = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)
# uvicorn finishes its shutdown, then re-raises the signal: the process ends "killed by SIGTERM"
# (exit status 143 in a shell or a container), after "Application shutdown complete".
STOPPED_BY_SIGTERM = (0, -signal.SIGTERM)


@pytest.fixture
async def server(
    postgres_database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Server]:
    # `request.param`: the shutdown timeout, or (timeout, workers).
    timeout, workers = param if isinstance(param := getattr(request, "param", 20), tuple) else (param, 1)
    env = server_environment(
        postgres_database,
        db_pool_size=6,
        shutdown_timeout_seconds=timeout,
        workers=workers,
        # Several workers share sessions and limits through Redis (the settings refuse otherwise).
        redis_url=request.getfixturevalue("redis_server") if workers > 1 else None,
    )
    started = start_server("shutdown", env, tmp_path)
    try:
        await asyncio.to_thread(started.wait_ready)
        yield started
    finally:
        if started.process.poll() is None:
            started.kill()


def client(server: Server) -> httpx.AsyncClient:
    """A new TCP connection for every request: a refused request is refused at connect."""
    return httpx.AsyncClient(
        base_url=server.url,
        timeout=60,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=0),
    )


async def login(http: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def shop(http: httpx.AsyncClient, customers: int = 6) -> tuple[int, list[dict[str, str]]]:
    """A product with INITIAL_STOCK units and some logged-in customers."""
    admin = await login(http, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD)
    category = await http.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    assert category.status_code == 201, category.text
    product = await http.post(
        "/api/v1/products",
        json={
            "name": "Sencha",
            "price": "10.00",
            "category_id": category.json()["id"],
            "stock": INITIAL_STOCK,
        },
        headers=admin,
    )
    assert product.status_code == 201, product.text
    headers = []
    for n in range(customers):
        email = f"customer{n}@example.com"
        registered = await http.post(
            "/api/v1/auth/register", json={"email": email, "password": "customer-pw"}
        )
        assert registered.status_code == 201, registered.text
        headers.append(await login(http, email, "customer-pw"))
    return int(product.json()["id"]), headers


async def place(http: httpx.AsyncClient, product_id: int, customer: dict[str, str], quantity: int) -> Any:
    """The response, or the transport error of a request the server refused."""
    try:
        return await http.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product_id, "quantity": quantity}]},
            headers=customer,
        )
    except REFUSED as error:
        return error


@contextlib.asynccontextmanager
async def product_row_locked(database_url: str, product_id: int) -> AsyncIterator[AsyncConnection]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.execute(
                text("SELECT stock FROM products WHERE id = :id FOR UPDATE"), {"id": product_id}
            )
            yield conn
    finally:
        await engine.dispose()


async def waiting_on_locks(database_url: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


async def until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def port_refuses(server: Server) -> Any:
    async def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return False
        except OSError:
            return True

    return check


async def database_state(database_url: str, product_id: int) -> tuple[int, dict[int, int]]:
    """(stock on hand, {order id: units it holds}) for the product."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            stock = (
                await conn.execute(text("SELECT stock FROM products WHERE id = :id"), {"id": product_id})
            ).scalar_one()
            rows = await conn.execute(
                text(
                    "SELECT o.id, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id"
                    " WHERE l.product_id = :id AND o.status <> 'cancelled'"
                ),
                {"id": product_id},
            )
            return int(stock), {int(order_id): int(quantity) for order_id, quantity in rows}
    finally:
        await engine.dispose()


def created_orders(results: list[Any]) -> dict[int, int]:
    orders = {}
    for result in results:
        if isinstance(result, httpx.Response) and result.status_code == 201:
            body = result.json()
            orders[int(body["id"])] = sum(item["quantity"] for item in body["items"])
    return orders


@pytest.mark.parametrize("server", [(20, 1), (20, 2)], indirect=True, ids=["one worker", "two workers"])
async def test_sigterm_lets_requests_in_flight_finish_and_refuses_new_ones(
    server: Server, postgres_database: str
) -> None:
    """With two workers too: uvicorn's supervisor kept its copy of the listening socket open
    until it exited, so new connections hung and were reset (entrypoints/supervisor.py)."""
    async with client(server) as http:
        product_id, customers = await shop(http)
        async with product_row_locked(postgres_database, product_id) as lock:
            in_flight = [
                asyncio.create_task(place(http, product_id, customers[n % len(customers)], 1 + n % 3))
                for n in range(IN_FLIGHT)
            ]
            await until(
                lambda: _at_least(waiting_on_locks(postgres_database), IN_FLIGHT),
                30,
                "the placements to block on the product row",
            )
            server.terminate()
            await until(port_refuses(server), 15, "the server to stop accepting connections")
            late = await asyncio.gather(*(place(http, product_id, customers[0], 1) for _ in range(5)))
            await lock.rollback()
        finished = await asyncio.gather(*in_flight)

    exit_code = await asyncio.to_thread(server.wait, 40)
    statuses = [r.status_code if isinstance(r, httpx.Response) else type(r).__name__ for r in finished]
    assert statuses == [201] * IN_FLIGHT, statuses
    assert all(isinstance(r, httpx.ConnectError) for r in late), late
    assert exit_code in STOPPED_BY_SIGTERM, server.logs()
    if "Started parent process" in server.logs():  # uvicorn's supervisor of several workers
        assert exit_code == -signal.SIGTERM, server.logs()
    assert "Application shutdown complete" in server.logs()

    stock, held = await database_state(postgres_database, product_id)
    assert held == created_orders(finished)
    assert stock + sum(held.values()) == INITIAL_STOCK


async def _at_least(count: Any, minimum: int) -> bool:
    return bool(await count >= minimum)


async def test_a_burst_cut_by_sigterm_leaves_every_order_whole_and_stock_conserved(
    server: Server, postgres_database: str
) -> None:
    results: list[Any] = []
    async with client(server) as http:
        product_id, customers = await shop(http)
        stop = asyncio.Event()

        async def customer_loop(customer: dict[str, str], seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                result = await place(http, product_id, customer, rng.randint(1, 3))
                results.append(result)
                if not isinstance(result, httpx.Response) or result.status_code == 503:
                    return  # the server is going away: this customer stops trying

        loops = [
            asyncio.create_task(customer_loop(customer, seed))
            for seed, customer in zip(itertools.count(), customers * 3, strict=False)
        ]
        await until(lambda: _ready(len(results) >= 30), 60, "the burst to get going")
        server.terminate()
        await asyncio.wait_for(asyncio.gather(*loops), 60)
        stop.set()

    exit_code = await asyncio.to_thread(server.wait, 40)
    assert exit_code in STOPPED_BY_SIGTERM, server.logs()
    responses = [r for r in results if isinstance(r, httpx.Response)]
    unexpected = [(r.status_code, r.text) for r in responses if r.status_code not in (201, 503)]
    assert not unexpected
    refused = [r for r in results if not isinstance(r, httpx.Response)]
    assert refused, "the burst should have outlived the server"
    assert all(isinstance(r, REFUSED) for r in refused)

    stock, held = await database_state(postgres_database, product_id)
    assert held == created_orders(results), "an order exists without its 201, or a 201 without its order"
    assert stock + sum(held.values()) == INITIAL_STOCK
    assert stock >= 0


async def _ready(value: bool) -> bool:
    return value


@pytest.mark.parametrize("server", [3], indirect=True)
async def test_requests_still_running_at_the_shutdown_timeout_are_rolled_back(
    server: Server, postgres_database: str
) -> None:
    async with client(server) as http:
        product_id, customers = await shop(http, customers=2)
        async with product_row_locked(postgres_database, product_id) as lock:
            stuck = [asyncio.create_task(place(http, product_id, customers[n % 2], 1)) for n in range(4)]
            await until(lambda: _at_least(waiting_on_locks(postgres_database), 4), 30, "blocked placements")
            started = time.monotonic()
            server.terminate()
            exit_code = await asyncio.to_thread(server.wait, 30)
            stopped_after = time.monotonic() - started
            await lock.rollback()
        outcomes = await asyncio.gather(*stuck)

    assert exit_code in STOPPED_BY_SIGTERM, server.logs()
    assert stopped_after < 3 + 10, "SHUTDOWN_TIMEOUT_SECONDS bounds the wait for requests in flight"
    # Each cut request is told to retry elsewhere (a problem+json 503), not a 500 or a dropped
    # connection: the app's shutdown waits for them to unwind (fast_path/edge.py).
    answers = [r for r in outcomes if isinstance(r, httpx.Response)]
    assert len(answers) == len(outcomes), outcomes
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "1"
        assert "shutting down" in answer.json()["detail"]
    assert "Exception in ASGI application" not in server.logs()
    stock, held = await database_state(postgres_database, product_id)
    assert held == {}
    assert stock == INITIAL_STOCK
