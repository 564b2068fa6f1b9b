"""A refund worker killed mid-job: the provider refunds once, and the refund ends succeeded.

The worker is a real `storefront worker` process; Stripe's API is the in-process double
(`tests.doubles.stripe`), which holds the first refund request until the test has killed the
worker (SIGKILL):

- `before`: the worker committed its claim and sent the request, which the provider never
  acted on (the worker died between the commit and the provider's work);
- `after`: the provider made the refund, and the worker died before it could commit the answer.

Another worker takes the job over once the first one's claim lapses, asks again under the same
Idempotency-Key, and the provider answers with the refund it made (or makes it now): one refund
at the provider, one key, the refund `succeeded`, counted once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.doubles.stripe import Scope, StripeDouble
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import Headers, make_product, place_order
from tests.support.processes import ROOT, server_environment

LEASE_SECONDS = 15  # the least the settings take (JOB_LEASE_MIN_SECONDS)


@dataclass
class HoldingStripe(StripeDouble):
    """The Stripe double that holds the first refund request (`hold`: before or after acting on it)
    until `release` is set, and notes the Idempotency-Key of every refund request."""

    hold: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    refund_keys: list[str] = field(default_factory=list)

    async def app(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/refunds":
            await super().app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.refund_keys.append(headers.get("idempotency-key", ""))
        if self.hold is None:
            await super().app(scope, receive, send)
            return
        mode, self.hold = self.hold, None
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if mode == "after":
            self.requests.append(("POST", "/v1/refunds"))
            self._answer("POST", "/v1/refunds", headers, body)
        self.arrived.set()
        await asyncio.to_thread(self.release.wait)
        # The caller is gone: whatever is answered now reaches nobody.
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class Worker:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.log_path = log_dir / f"{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


@pytest.fixture
def stripe_api() -> Iterator[HoldingStripe]:
    double = HoldingStripe(secret_key="sk_test_faults", webhook_secret="whsec_test_faults")
    double.start()
    yield double
    double.release.set()
    double.stop()


@pytest.fixture
async def api(app_database_url: str, stripe_api: HoldingStripe) -> AsyncIterator[Api]:
    """The API in process with no worker of its own: only the worker processes run jobs."""
    settings = make_settings(
        app_database_url,
        run_worker=False,
        payment_providers="mock,stripe",
        provider_values=stripe_values(stripe_api),
    )
    async with AsyncTestClient(create_app(settings)) as client:
        yield Api(client)


def stripe_values(double: StripeDouble) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": double.secret_key,
        "STRIPE_WEBHOOK_SECRET": double.webhook_secret,
        "STRIPE_API_BASE": double.url,
    }


def worker_environment(database_url: str, double: StripeDouble) -> dict[str, str]:
    return server_environment(
        database_url,
        payment_providers="mock,stripe",
        job_lease_seconds=LEASE_SECONDS,
        job_poll_interval_ms=50,
        admin_email=None,
        admin_password=None,
        **stripe_values(double),
    )


async def paid_through_stripe(api: Api, double: StripeDouble, customer: Headers) -> dict[str, Any]:
    order = await place_order(api, customer, await make_product(api, price="149.90"), quantity=2)
    headers = {**customer, "content-type": "application/json"}
    started = await api.client.post(
        f"/api/v1/payments/orders/{order['id']}", content=b'{"provider": "stripe"}', headers=headers
    )
    assert started.status_code == 201, started.text
    payment: dict[str, Any] = started.json()
    body = double.event("checkout.session.completed", double.complete(payment["provider_payment_id"]))
    delivered = await api.client.post(
        "/api/v1/payments/webhook/stripe", content=body, headers=double.sign(body)
    )
    assert delivered.status_code == 200, delivered.text
    return payment


async def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("hold", ["before", "after"])
async def test_a_worker_killed_mid_refund_leaves_one_refund_at_the_provider(
    api: Api, stripe_api: HoldingStripe, app_database_url: str, tmp_path: Path, hold: str
) -> None:
    customer = await api.customer()
    payment = await paid_through_stripe(api, stripe_api, customer)
    admin = await api.admin()
    stripe_api.hold = hold
    requested = await api.client.post(
        f"/api/v1/payments/{payment['id']}/refunds", json={"amount": "100.00"}, headers=admin
    )
    assert requested.status_code == 201, requested.text
    refund_id = requested.json()["id"]
    env = worker_environment(app_database_url, stripe_api)

    first = Worker("worker-1", env, tmp_path)
    try:
        arrived = await asyncio.to_thread(stripe_api.arrived.wait, 60)
        assert arrived, first.logs()
    finally:
        first.kill()
    stripe_api.release.set()

    second = Worker("worker-2", env, tmp_path)
    try:

        async def settled() -> dict[str, Any] | None:
            listed = await api.client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)
            found: dict[str, Any] = listed.json()[0]
            return found if found["status"] != "pending" else None

        refund = await wait_for(settled, 60, f"the refund to settle:\n{second.logs()}")
    finally:
        assert second.stop() == 0, second.logs()
    assert refund["status"] == "succeeded", refund
    # One key, asked twice: the refund's reference (`storefront-<installation>-refund-<id>`).
    (key,) = set(stripe_api.refund_keys)
    assert re.fullmatch(rf"storefront-[0-9a-f]{{16}}-refund-{refund_id}", key), key
    assert len(stripe_api.refund_keys) == 2
    assert len(stripe_api.refunds) == 1  # the provider made one refund
    (made,) = stripe_api.refunds.values()
    assert (made["id"], made["amount"]) == (refund["provider_refund_id"], 10_000)
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    assert seen["refunded_amount"] == "100.00"  # counted once
