"""The embedded SQLite default under concurrent writes: no "database is locked", no 5xx.

Two real server processes share one SQLite file (as two instances on one host would),
and each gets many writes at once: inside a process they queue on the write lock,
across processes on SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.migrations import PROJECT_ROOT, upgrade
from tests.conftest import off_loop

WRITERS = 30
ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "1",
        "BCRYPT_ROUNDS": "4",
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
        "RATE_LIMIT_LOGIN": "0",
        "RATE_LIMIT_REGISTER": "0",
        "RATE_LIMIT_API": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_until_live(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not come up within 60 s:\n{log.read_text()}")


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[list[str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    off_loop(upgrade, url)
    started = [start_server(url, tmp_path / f"server{n}.log") for n in range(2)]
    try:
        for n, (process, base_url) in enumerate(started):
            wait_until_live(process, base_url, tmp_path / f"server{n}.log")
        yield [base_url for _, base_url in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    for n in range(2):
        log = (tmp_path / f"server{n}.log").read_text()
        assert "database is locked" not in log, log


@pytest.mark.slow
async def test_many_concurrent_writes_to_two_instances_on_one_sqlite_file_all_succeed(
    two_servers: list[str],
) -> None:
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for base in two_servers]
    try:
        # Without REDIS_URL each instance keeps its own sessions: log in on each.
        admin = []
        for client in clients:
            login = await client.post("/api/v1/auth/login", json=ADMIN)
            assert login.status_code == 200, login.text
            admin.append({"Authorization": f"Bearer {login.json()['access_token']}"})
        books = await clients[0].post(
            "/api/v1/categories", json={"name": "Books", "slug": "books"}, headers=admin[0]
        )
        assert books.status_code == 201, books.text

        async def register(n: int) -> int:
            body = {"email": f"user{n}@example.com", "password": "customer-password"}
            return (await clients[n % 2].post("/api/v1/auth/register", json=body)).status_code

        async def create_product(n: int) -> int:
            body = {"name": f"Book {n}", "price": "10.00", "category_id": books.json()["id"]}
            return (
                await clients[n % 2].post("/api/v1/products", json=body, headers=admin[n % 2])
            ).status_code

        async def rename_category(n: int) -> int:
            body = {"name": f"Books {n}"}
            response = await clients[n % 2].patch("/api/v1/categories/books", json=body, headers=admin[n % 2])
            return response.status_code

        statuses = await asyncio.wait_for(
            asyncio.gather(
                *(register(n) for n in range(WRITERS)),
                *(create_product(n) for n in range(WRITERS)),
                *(rename_category(n) for n in range(WRITERS // 3)),
            ),
            timeout=180,
        )
        assert Counter(statuses) == {201: 2 * WRITERS, 200: WRITERS // 3}

        listed = await clients[1].get("/api/v1/products", params={"limit": 100})
        assert len(listed.json()) == WRITERS

        twins = await asyncio.gather(
            *(
                clients[n % 2].post(
                    "/api/v1/auth/register",
                    json={"email": "twin@example.com", "password": "customer-password"},
                )
                for n in range(6)
            )
        )
        assert sorted(r.status_code for r in twins) == [201] + [409] * 5
    finally:
        for client in clients:
            await client.aclose()
