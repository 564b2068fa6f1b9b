"""PostgreSQL stops under load and comes back: every answer is a success, an expected refusal or
a 503 with `Retry-After`, never a 500, and the app serves again without a restart.

The test runs a PostgreSQL server of its own (initdb into a temporary directory, a free port),
never the shared one: it stops it in the fast mode (clients disconnected, clean shutdown) and
in the immediate mode (no shutdown at all, crash recovery on the next start, which answers
"the database system is starting up" for a while), with several clients on every route family
the whole time. The app is started the way production starts it (`storefront serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.processes import (
    TEST_ADMIN_EMAIL,
    TEST_ADMIN_PASSWORD,
    free_port,
    running,
    server_environment,
    start_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CLIENTS = 6
OUTAGE_SECONDS = 2.0
SETTLE_SECONDS = 1.0
CHECK_SECONDS = 1.5


def _server_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


@dataclass
class OwnPostgres:
    """A throw-away PostgreSQL cluster; run as the `postgres` user when the tests run as root."""

    bin: Path
    root: Path
    port: int
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"{command[0]} failed: {result.stdout}\n{result.stderr}"
        return result

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        # -W: no waiting, so that the app meets the server while it is still starting up.
        self.run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-W"
        )

    def stop(self, mode: str) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def wait_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("the test's PostgreSQL did not come back")


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or on PATH"
        )
    user = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run a PostgreSQL server as")
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="storefront-pg-"))
    if user is not None:
        shutil.chown(root, user)
    server = OwnPostgres(binaries, root, free_port(), user)
    server.init()
    server.start()
    server.wait_accepting()
    try:
        yield server
    finally:
        server.run("pg_ctl", "stop", "-D", str(server.data), "-m", "immediate", check=False)
        shutil.rmtree(root, ignore_errors=True)


# ---- the load ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every answer, by route family and status; the ones that break the rule, verbatim."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)

    def note(self, family: str, response: httpx.Response, expected: set[int]) -> bool:
        status = response.status_code
        self.statuses[family, status] += 1
        if status == 503 and family != "health-ready":
            if not response.headers.get("retry-after"):
                self.broken.append(f"{family}: 503 without Retry-After")
            if not response.headers.get("content-type", "").startswith("application/problem+json"):
                self.broken.append(f"{family}: 503 not problem+json")
            return False
        if status not in expected and status != 503:
            request = f"{response.request.method} {response.request.url.path}"
            self.broken.append(f"{family} {request}: {status} {response.text[:200]}")
            return False
        return 200 <= status < 300

    def families_with(self, predicate: Callable[[int], bool]) -> set[str]:
        return {family for (family, status), n in self.statuses.items() if n and predicate(status)}


@dataclass
class Shop:
    base: str
    product_id: int
    customers: list[dict[str, str]]


async def _setup(base: str) -> Shop:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": TEST_ADMIN_EMAIL, "password": TEST_ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        category = await client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
        assert category.status_code == 201, category.text
        product = await client.post(
            "/api/v1/products",
            json={"name": "Sencha", "price": "9.90", "category_id": category.json()["id"], "stock": None},
            headers=admin,
        )
        assert product.status_code == 201, product.text
    return Shop(base, product.json()["id"], await _customers(base, CLIENTS))


async def _customers(base: str, count: int) -> list[dict[str, str]]:
    """One account (its Authorization header) per client, made while the database is up."""
    headers = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(count):
            body = {"email": f"c{uuid.uuid4().hex[:12]}@example.com", "password": "customer-password"}
            assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
            login = await client.post("/api/v1/auth/login", json=body)
            assert login.status_code == 200, login.text
            headers.append({"Authorization": f"Bearer {login.json()['access_token']}"})
    return headers


async def _round(client: httpx.AsyncClient, shop: Shop, tally: Tally, me: dict[str, str]) -> None:
    """One pass over every route family."""
    tally.note("health-live", await client.get("/health/live"), {200})
    login = {"email": TEST_ADMIN_EMAIL, "password": "a-wrong-password"}
    tally.note("auth", await client.post("/api/v1/auth/login", json=login), {401})
    tally.note("health-ready", await client.get("/health/ready"), {200})
    tally.note("auth", await client.get("/api/v1/auth/me", headers=me), {200})
    tally.note("catalog", await client.get("/api/v1/products"), {200})
    tally.note("catalog", await client.get(f"/api/v1/products/{shop.product_id}"), {200})
    tally.note("catalog", await client.get("/api/v1/categories/all"), {200})
    tally.note("catalog", await client.get("/api/v1/categories/tea"), {200})
    tally.note("order-reads", await client.get("/api/v1/orders/me", headers=me), {200})
    order = await client.post(
        "/api/v1/orders",
        json={"items": [{"product_id": shop.product_id, "quantity": 1}]},
        headers={**me, "Idempotency-Key": uuid.uuid4().hex},
    )
    if tally.note("order-writes", order, {201}):
        order_id = order.json()["id"]
        tally.note("order-reads", await client.get(f"/api/v1/orders/{order_id}", headers=me), {200})
        payment = await client.post(
            f"/api/v1/payments/orders/{order_id}", headers={**me, "Idempotency-Key": uuid.uuid4().hex}
        )
        tally.note("payments", payment, {201})
        tally.note("payments", await client.get(f"/api/v1/orders/{order_id}/payments", headers=me), {200})
        tally.note(
            "order-writes", await client.post(f"/api/v1/orders/{order_id}/cancel", headers=me), {200, 409}
        )
    tally.note("payments", await client.post("/api/v1/payments/webhook/mock", content=b"{}"), {400, 401, 422})


async def _client_loop(shop: Shop, me: dict[str, str], tally: Tally, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=shop.base, timeout=20) as client:
        while not stop.is_set():
            await _round(client, shop, tally, me)


async def _load_for(shop: Shop, seconds: float, during: Callable[[], Awaitable[None]] | None = None) -> Tally:
    """One client per customer for `seconds`, or while `during` runs and `seconds` more."""
    tally = Tally()
    stop = asyncio.Event()
    clients = [asyncio.create_task(_client_loop(shop, me, tally, stop)) for me in shop.customers]
    try:
        if during is not None:
            await during()
        await asyncio.sleep(seconds)
    finally:
        stop.set()
        for task in clients:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)
    return tally


async def _wait_ready(base: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if (await client.get("/health/ready")).status_code == 200:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the app did not report ready after PostgreSQL came back")


async def test_postgres_stopping_and_starting_under_load_gives_503_then_recovers(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    env = server_environment(
        own_postgres.url, order_expiry_interval_seconds=1, log_level="INFO", access_log="false"
    )
    failed = 0
    with running([start_server("app", env, tmp_path)], ready_timeout=60) as (app,):
        shop = await _setup(app.url)
        warm = await _load_for(shop, 1.0)
        assert warm.broken == [] and warm.families_with(lambda s: s == 503) == set(), warm.statuses

        for mode in ("fast", "immediate"):

            async def outage(mode: str = mode) -> None:
                await asyncio.sleep(0.5)
                await asyncio.to_thread(own_postgres.stop, mode)
                await asyncio.sleep(OUTAGE_SECONDS)
                await asyncio.to_thread(own_postgres.start)
                await _wait_ready(app.url)

            during = await _load_for(shop, SETTLE_SECONDS, during=outage)
            assert during.broken == [], (mode, during.broken[:10])
            down = during.families_with(lambda s: s == 503)
            assert {"auth", "catalog", "order-reads", "order-writes", "health-ready"} <= down, (
                mode,
                during.statuses,
            )
            failed += sum(n for (_, status), n in during.statuses.items() if status == 503)

            after = await _load_for(shop, CHECK_SECONDS)
            assert after.broken == [], (mode, after.broken[:10])
            assert after.families_with(lambda s: s == 503) == set(), (mode, after.statuses)
            working = after.families_with(lambda s: 200 <= s < 300)
            assert {"auth", "catalog", "order-reads", "order-writes", "payments", "health-ready"} <= working
            assert app.process.poll() is None, "the app must recover without a restart"

    logs = app.logs()
    assert "Traceback" not in logs, logs[-4000:]
    outage_lines = [line for line in logs.splitlines() if "unavailable" in line]
    assert outage_lines, "the outage must be logged"
    # One line per kind of failure per interval, not one per failed request or sweep.
    assert len(outage_lines) < max(30, failed // 10), (failed, outage_lines)
