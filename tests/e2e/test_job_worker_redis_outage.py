"""Redis goes away for a few seconds under a running job worker, and comes back empty: the
worker takes jobs again by itself, without a restart.

Redis here is a private `redis-server` on a free port (no persistence), stopped and started
again on the same port, so that the outage is real (connections refused, then a fresh server)
and touches nothing else on the machine. Both homes of a worker are tried: the one inside an
API process (`RUN_WORKER`) and a `storefront worker` process of its own.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, deliver, event, make_product, place_order, start_payment
from tests.e2e.test_refund_worker_faults import Worker
from tests.support.processes import free_port, server_environment

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
OUTAGE_SECONDS = 4

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="needs redis-server")


class PrivateRedis:
    """A `redis-server` of this test only, on its own port, without persistence."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._log = log_dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            self.process = subprocess.Popen(
                [*command, "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while b"PONG" not in self._ping():
            assert time.monotonic() < deadline, self._log.read_text()
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _ping(self) -> bytes:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64)
        except OSError:
            return b""


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["in the API", "in a worker process"])
def worker_home(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def api(
    app_database_url: str, redis_server: PrivateRedis, worker_home: str, tmp_path: Path
) -> AsyncIterator[Api]:
    settings = make_settings(
        app_database_url,
        redis_url=redis_server.url,
        payment_webhook_secret=WEBHOOK_SECRET,
        job_poll_interval_ms=50,
        run_worker=worker_home == "in the API",
    )
    worker = None
    if worker_home == "in a worker process":
        env = server_environment(
            app_database_url,
            redis_url=redis_server.url,
            payment_webhook_secret=WEBHOOK_SECRET,
            job_poll_interval_ms=50,
            admin_email=None,
            admin_password=None,
        )
        worker = Worker("worker", env, tmp_path)
    try:
        async with AsyncTestClient(create_app(settings)) as client:
            yield Api(client)
    finally:
        if worker is not None:
            code = worker.stop()
            print(worker.logs())
            assert code == 0


async def paid_payment(api: Api) -> dict[str, Any]:
    ann = await api.customer("ann@example.com")
    order = await place_order(api, ann, await make_product(api, "149.90", stock=10), quantity=2)
    payment = await start_payment(api, ann, order["id"])
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    return payment


async def logged_in_admin(api: Api) -> dict[str, str]:
    """A new login (the sessions were in the Redis that restarted); the first requests after
    the restart may still meet the pool's dead connections (503, retry shortly)."""
    deadline = time.monotonic() + 10
    while True:
        response = await api.client.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}
        await asyncio.sleep(0.1)


async def refunded(api: Api, payment_id: int, seconds: float) -> dict[str, Any]:
    """Request a refund of 10.00 and wait for the worker to carry it out."""
    admin = await logged_in_admin(api)
    response = await api.client.post(
        f"/api/v1/payments/{payment_id}/refunds", json={"amount": "10.00"}, headers=admin
    )
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + seconds
    while True:
        listed = await api.client.get(f"/api/v1/payments/{payment_id}/refunds?limit=100", headers=admin)
        found: dict[str, Any] = next(r for r in listed.json() if r["id"] == response.json()["id"])
        if found["status"] != "pending" or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_jobs_resume_by_themselves_after_a_redis_outage(api: Api, redis_server: PrivateRedis) -> None:
    payment = await paid_payment(api)
    assert (await refunded(api, payment["id"], 30))["status"] == "succeeded"  # the worker listens

    redis_server.stop()
    await asyncio.sleep(OUTAGE_SECONDS)
    redis_server.start()

    # No restart of anything: a refund asked for after Redis is back is carried out.
    after = await refunded(api, payment["id"], 30)
    assert after["status"] == "succeeded", after
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200, ready.text
