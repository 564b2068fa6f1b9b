"""Stock under real concurrency: two app processes on one PostgreSQL database.

Each test starts two instances of the API (`python -m entrypoints.cli serve`)
on free ports and spreads concurrent requests over both.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_BCRYPT_ROUNDS
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.support.isolation import REDIS_KEY_PREFIX

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
LIVENESS_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def instances(
    database_url: str, redis_url: str, logs: Path, count: int = 2, env: Mapping[str, str] | None = None
) -> AsyncIterator[list[str]]:
    """Start `count` API processes on one database (with `env` added); yields their base URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for n in range(count):
            port = free_port()
            environ = {
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "WORKERS": "1",
                "BCRYPT_ROUNDS": str(TEST_BCRYPT_ROUNDS),
                "ADMIN_EMAIL": ADMIN_EMAIL,
                "ADMIN_PASSWORD": ADMIN_PASSWORD,
                "RATE_LIMIT_LOGIN": "0",
                "RATE_LIMIT_REGISTER": "0",
                "RATE_LIMIT_API": "0",
                "ORDER_PENDING_LIMIT": "1000",
                "DB_POOL_SIZE": "4",  # PostgreSQL is shared: stay well below max_connections
                "ACCESS_LOG": "false",
                **(env or {}),
            }
            log = (logs / f"instance-{n}.log").open("wb")
            processes.append(
                subprocess.Popen(  # noqa: ASYNC220 - starting, not waiting
                    [sys.executable, "-m", "entrypoints.cli", "serve"],
                    cwd=PROJECT_ROOT,
                    env=environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        await asyncio.gather(
            *[_wait_until_live(url, process, logs) for url, process in zip(urls, processes, strict=True)]
        )
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait, 30)


async def _wait_until_live(url: str, process: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = await asyncio.to_thread(_tails, logs)
                pytest.fail(f"an instance exited with {process.returncode}:\n{output}")
            try:
                if (await client.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"{url} did not start within {STARTUP_SECONDS} s")


def _tails(logs: Path) -> str:
    return "\n".join(path.read_text()[-3000:] for path in logs.glob("*.log"))


class Shop:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def login(self, email: str, password: str) -> dict[str, str]:
        response = await self.client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def customer(self, email: str = "ann@example.com") -> dict[str, str]:
        await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": "customer-password"}
        )
        return await self.login(email, "customer-password")

    async def product(self, admin: dict[str, str], name: str, stock: int) -> int:
        categories = await self.client.get("/api/v1/categories/all")
        if categories.json():
            category = categories.json()[0]["id"]
        else:
            created = await self.client.post(
                "/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin
            )
            category = created.json()["id"]
        response = await self.client.post(
            "/api/v1/products",
            json={"name": name, "price": "9.99", "category_id": category, "stock": stock},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def stock(self, product_id: int) -> Any:
        return (await self.client.get(f"/api/v1/products/{product_id}")).json()["stock"]


@asynccontextmanager
async def clients(urls: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    limits = httpx.Limits(max_connections=100)
    opened = [httpx.AsyncClient(base_url=url, timeout=LIVENESS_SECONDS, limits=limits) for url in urls]
    try:
        yield opened
    finally:
        for client in opened:
            await client.aclose()


async def test_fifty_concurrent_orders_for_ten_units_on_two_instances_sell_exactly_ten(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    async with instances(postgres_database, redis_url, tmp_path) as urls, clients(urls) as (first, second):
        shop = Shop(first)
        admin = await shop.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        tea = await shop.product(admin, "Last tea", stock=10)
        buyers = [await shop.customer(f"buyer{n}@example.com") for n in range(5)]
        body = {"items": [{"product_id": tea, "quantity": 1}]}

        responses = await asyncio.gather(
            *[
                (first if n % 2 else second).post("/api/v1/orders", json=body, headers=buyers[n % 5])
                for n in range(50)
            ]
        )

        codes = sorted(r.status_code for r in responses)
        assert codes == [201] * 10 + [409] * 40, codes
        assert await shop.stock(tea) == 0
        assert await Shop(second).stock(tea) == 0
        sold = 0
        for buyer in buyers:
            sold += len((await first.get("/api/v1/orders/me", headers=buyer)).json())
        assert sold == 10


async def test_parallel_placements_by_one_customer_on_two_instances_stop_at_the_pending_limit(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    limit = {"ORDER_PENDING_LIMIT": "3"}
    async with (
        instances(postgres_database, redis_url, tmp_path, env=limit) as urls,
        clients(urls) as (first, second),
    ):
        shop = Shop(first)
        admin = await shop.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        tea = await shop.product(admin, "Tea", stock=100)
        ann, bob = await shop.customer(), await shop.customer("bob@example.com")
        body = {"items": [{"product_id": tea, "quantity": 1}]}

        responses = await asyncio.gather(
            *[(first if n % 2 else second).post("/api/v1/orders", json=body, headers=ann) for n in range(30)],
            *[(second if n % 2 else first).post("/api/v1/orders", json=body, headers=bob) for n in range(30)],
        )

        for who, answers in (("ann", responses[:30]), ("bob", responses[30:])):
            codes = sorted(r.status_code for r in answers)
            assert codes == [201] * 3 + [409] * 27, (who, codes)
            assert all(
                "at most 3 pending orders" in r.json()["detail"] for r in answers if r.status_code == 409
            )
        for buyer in (ann, bob):
            assert len((await second.get("/api/v1/orders/me", headers=buyer)).json()) == 3
        assert await shop.stock(tea) == 94


async def test_orders_naming_the_same_products_in_opposite_orders_never_deadlock(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    async with instances(postgres_database, redis_url, tmp_path) as urls, clients(urls) as (first, second):
        shop = Shop(first)
        admin = await shop.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        ids = [await shop.product(admin, f"Tea {n}", stock=1000) for n in range(20)]
        ann = await shop.customer()
        # Pairs from both ends of the id range, each named forwards and backwards.
        baskets = [[ids[n], ids[-1 - n], ids[(n + 7) % 20]] for n in range(10)]
        bodies = []
        for n in range(80):
            basket = baskets[n % 10] if n % 2 else list(reversed(baskets[(n + 5) % 10]))
            bodies.append({"items": [{"product_id": p, "quantity": 1} for p in dict.fromkeys(basket)]})

        responses = await asyncio.gather(
            *[
                (first if n % 2 else second).post("/api/v1/orders", json=body, headers=ann)
                for n, body in enumerate(bodies)
            ]
        )

        assert [r.status_code for r in responses] == [201] * 80, [
            r.text for r in responses if r.status_code != 201
        ]
        sold = dict.fromkeys(ids, 0)
        for body in bodies:
            for item in body["items"]:
                sold[item["product_id"]] += 1
        for product_id in ids:
            assert await shop.stock(product_id) == 1000 - sold[product_id]


async def test_one_idempotency_key_sent_to_both_instances_at_once_creates_one_order(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    async with instances(postgres_database, redis_url, tmp_path) as urls, clients(urls) as (first, second):
        shop = Shop(first)
        admin = await shop.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        tea = await shop.product(admin, "Tea", stock=100)
        ann = {**await shop.customer(), "Idempotency-Key": "pay-once"}
        body = {"items": [{"product_id": tea, "quantity": 1}]}

        responses = await asyncio.gather(
            *[(first if n % 2 else second).post("/api/v1/orders", json=body, headers=ann) for n in range(20)]
        )

        codes = [r.status_code for r in responses]
        assert set(codes) <= {201, 409}, codes
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        assert len((await first.get("/api/v1/orders/me", headers=ann)).json()) == 1
        assert await shop.stock(tea) == 99


async def test_both_instances_sweep_yet_every_unpaid_order_expires_exactly_once(
    postgres_database: str, redis_url: str, tmp_path: Path
) -> None:
    overrides = {"ORDER_PAYMENT_TIMEOUT_SECONDS": "2", "ORDER_EXPIRY_INTERVAL_SECONDS": "1"}
    async with (
        instances(postgres_database, redis_url, tmp_path, env=overrides) as urls,
        clients(urls) as (first, second),
    ):
        shop = Shop(first)
        admin = await shop.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        tea = await shop.product(admin, "Tea", stock=100)
        ann = await shop.customer()
        for n in range(20):
            client = first if n % 2 else second
            body = {"items": [{"product_id": tea, "quantity": 1 + n % 3}]}
            assert (await client.post("/api/v1/orders", json=body, headers=ann)).status_code == 201

        deadline = time.monotonic() + LIVENESS_SECONDS
        while time.monotonic() < deadline:
            orders = (await first.get("/api/v1/orders/me", headers=ann)).json()
            if all(o["status"] == "cancelled" for o in orders):
                break
            await asyncio.sleep(0.3)

        assert [o["status"] for o in orders] == ["cancelled"] * 20
        await asyncio.sleep(2)
        assert await shop.stock(tea) == 100
