"""The refund job against a failing provider, in the app's own worker (RUN_WORKER), Stripe's API
doubled in process: retried after 1 s, 2 s …, or dead after JOB_MAX_ATTEMPTS with the refund
left pending (its amount held) until `storefront retry-refund` sends it again; `/metrics`
counts the attempts by outcome and shows the oldest due job's age."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.doubles.stripe import StripeDouble
from tests.e2e.conftest import Api
from tests.e2e.test_refund_worker_faults import paid_through_stripe, stripe_values

MAX_ATTEMPTS = 3


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    double = StripeDouble(secret_key="sk_test_retries", webhook_secret="whsec_test_retries")
    double.start()
    yield double
    double.stop()


@pytest.fixture
async def api(app_database_url: str, stripe_api: StripeDouble) -> AsyncIterator[Api]:
    settings = make_settings(
        app_database_url,
        payment_providers="mock,stripe",
        provider_values=stripe_values(stripe_api),
        job_max_attempts=MAX_ATTEMPTS,
        job_poll_interval_ms=50,
    )
    async with AsyncTestClient(create_app(settings)) as client:
        yield Api(client)


async def job_of(url: str, refund_id: int) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT status, attempts, last_error FROM jobs WHERE key = :key"),
                    {"key": f"storefront-refund-{refund_id}"},
                )
            ).one()
    finally:
        await engine.dispose()
    return dict(row._mapping)


async def settled(api: Api, payment_id: int, seconds: float) -> dict[str, Any]:
    admin = await api.admin()
    deadline = time.monotonic() + seconds
    while True:
        found: dict[str, Any] = (
            await api.client.get(f"/api/v1/payments/{payment_id}/refunds", headers=admin)
        ).json()[0]
        if found["status"] != "pending" or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def metric(body: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = (
        rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    )
    found = re.search(pattern, body, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_provider_failing_twice_is_retried_after_one_then_two_seconds(
    api: Api, stripe_api: StripeDouble, app_database_url: str
) -> None:
    payment = await paid_through_stripe(api, stripe_api, await api.customer())
    before = (await api.client.get("/metrics")).text
    stripe_api.fail_next(2, 503)
    admin = await api.admin()
    requested = await api.client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert requested.status_code == 201
    started = time.monotonic()
    refund = await settled(api, payment["id"], 15)
    took = time.monotonic() - started
    assert refund["status"] == "succeeded", refund
    assert 3.0 <= took < 8, took  # 1 s, then 2 s of backoff
    job = await job_of(app_database_url, refund["id"])
    assert (job["status"], job["attempts"]) == ("succeeded", 3)
    after = (await api.client.get("/metrics")).text
    name = "storefront_jobs_total"
    assert (
        metric(after, name, kind="refund", outcome="retried")
        - metric(before, name, kind="refund", outcome="retried")
        == 2
    )
    assert (
        metric(after, name, kind="refund", outcome="succeeded")
        - metric(before, name, kind="refund", outcome="succeeded")
        == 1
    )
    assert "storefront_jobs_oldest_due_age_seconds" in after


async def job_dead(url: str, refund_id: int, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    job = await job_of(url, refund_id)
    while job["status"] != "dead" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        job = await job_of(url, refund_id)
    return job


async def test_a_provider_that_always_fails_leaves_the_job_dead_and_the_refund_pending_until_retried(
    api: Api, stripe_api: StripeDouble, app_database_url: str
) -> None:
    payment = await paid_through_stripe(api, stripe_api, await api.customer())
    stripe_api.fail_next(100, 500)
    admin = await api.admin()
    requested = await api.client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert requested.status_code == 201
    refund_id = requested.json()["id"]
    job = await job_dead(app_database_url, refund_id, 15)
    assert (job["status"], job["attempts"]) == ("dead", MAX_ATTEMPTS)
    assert job["last_error"]
    # Whether Stripe made the refund is unknown: it stays pending and holds the whole amount.
    listed = (await api.client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)).json()
    assert [(r["id"], r["status"]) for r in listed] == [(refund_id, "pending")]
    again = await api.client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert again.status_code == 409, again.text
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    assert seen["refunded_amount"] == "0.00"
    metrics = (await api.client.get("/metrics")).text
    assert metric(metrics, "storefront_jobs_total", kind="refund", outcome="dead") >= 1

    # Stripe answers again; an operator sends the refund once more, under the same reference.
    stripe_api.recover()
    command = [sys.executable, "-m", "entrypoints.cli", "retry-refund", str(refund_id)]
    env = {**os.environ, "DATABASE_URL": app_database_url}
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"refund {refund_id} " in result.stdout
    refund = await settled(api, payment["id"], 15)
    assert refund["status"] == "succeeded", refund
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    assert seen["refunded_amount"] == seen["amount"]
    assert len(stripe_api.refunds) == 1
    # nothing left to retry: one line on standard error, exit status 1
    result = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (1, ""), result
    assert (
        result.stderr.strip()
        == f"storefront: retry-refund: refund {refund_id} is succeeded: nothing to retry"
    )
