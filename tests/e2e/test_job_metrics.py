"""The job metrics are visible whoever runs the jobs.

- An API process with `RUN_WORKER=false` (the jobs run in `storefront worker` processes, or
  nowhere yet) reads the backlog from the jobs table at each scrape: the oldest due job's age
  and the unfinished jobs by kind and status are true there, not 0.
- A `storefront worker` with WORKER_METRICS_PORT serves its attempt counters itself.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, deliver, event, make_product, place_order, start_payment
from tests.e2e.test_refund_retries import metric
from tests.e2e.test_refund_worker_faults import Worker
from tests.support.processes import free_port, server_environment


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET, "run_worker": False, "job_poll_interval_ms": 50}


async def requested_refund(api: Api) -> int:
    ann = await api.customer("ann@example.com")
    order = await place_order(api, ann, await make_product(api, "149.90", stock=10), quantity=2)
    payment = await start_payment(api, ann, order["id"])
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    admin = await api.admin()
    response = await api.client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=admin)
    assert response.status_code == 201, response.text
    return int(payment["id"])


async def test_an_api_process_without_a_worker_shows_the_waiting_jobs(api: Api) -> None:
    idle = (await api.client.get("/metrics")).text
    assert metric(idle, "storefront_jobs_oldest_due_age_seconds") == 0.0
    assert 'storefront_jobs_unfinished{kind="refund",status="due"} 0.0' in idle
    await requested_refund(api)
    await asyncio.sleep(1.5)  # no worker anywhere: the refund's job waits
    body = (await api.client.get("/metrics")).text
    assert metric(body, "storefront_jobs_oldest_due_age_seconds") >= 1.0, body
    assert metric(body, "storefront_jobs_unfinished", kind="refund", status="due") == 1.0
    assert metric(body, "storefront_jobs_unfinished", kind="refund", status="running") == 0.0


async def test_a_worker_process_serves_its_job_counters_and_the_backlog_empties(
    api: Api, app_database_url: str, tmp_path: Path
) -> None:
    payment_id = await requested_refund(api)
    port = free_port()
    env = server_environment(
        app_database_url,
        payment_webhook_secret=WEBHOOK_SECRET,
        job_poll_interval_ms=50,
        worker_metrics_port=port,
        admin_email=None,
        admin_password=None,
    )
    worker = Worker("worker", env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                scraped = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
            except OSError:
                scraped = ""
            if metric(scraped, "storefront_jobs_total", kind="refund", outcome="succeeded") == 1.0:
                break
            assert time.monotonic() < deadline, f"{scraped}\n{worker.logs()}"
            await asyncio.sleep(0.2)
    finally:
        assert worker.stop() == 0, worker.logs()
    admin = await api.admin()
    refunds = (await api.client.get(f"/api/v1/payments/{payment_id}/refunds", headers=admin)).json()
    assert [r["status"] for r in refunds] == ["succeeded"]
    body = (await api.client.get("/metrics")).text
    assert metric(body, "storefront_jobs_oldest_due_age_seconds") == 0.0
    assert metric(body, "storefront_jobs_unfinished", kind="refund", status="due") == 0.0


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        return str(response.read().decode())
