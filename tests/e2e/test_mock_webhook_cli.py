"""`storefront mock-webhook` signs and sends a webhook by hand to a running app."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import clean_database
from tests.e2e.payment_flow import WEBHOOK, WEBHOOK_SECRET
from tests.support.servers import Server, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
CUSTOMER = {"email": "ann@example.com", "password": "customer-password"}


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[Server]:
    await clean_database(sqlite_url)
    env = {
        "DATABASE_URL": sqlite_url,
        "PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
    }
    with serve(env) as running:
        yield running


def started_payment(client: httpx.Client) -> tuple[dict[str, Any], dict[str, str]]:
    client.post("/api/v1/auth/register", json=CUSTOMER)
    admin = {
        "Authorization": f"Bearer {client.post('/api/v1/auth/login', json=ADMIN).json()['access_token']}"
    }
    ann = {
        "Authorization": f"Bearer {client.post('/api/v1/auth/login', json=CUSTOMER).json()['access_token']}"
    }
    category = client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin).json()
    product = client.post(
        "/api/v1/products",
        json={"name": "Tea", "price": "149.90", "category_id": category["id"]},
        headers=admin,
    ).json()
    order = client.post(
        "/api/v1/orders", json={"items": [{"product_id": product["id"], "quantity": 2}]}, headers=ann
    ).json()
    payment = client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann)
    assert payment.status_code == 201, payment.text
    return payment.json(), ann


def cli(*args: str, secret: str = WEBHOOK_SECRET) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "PAYMENT_WEBHOOK_SECRET": secret}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "mock-webhook", *args],
        cwd=ROOT / "tests",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_hand_sent_success_pays_the_order_and_a_wrong_secret_is_refused(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        payment, ann = started_payment(client)
        url = f"{server.base_url}{WEBHOOK}"
        ppid, amount = payment["provider_payment_id"], payment["amount"]

        refused = cli(ppid, "succeeded", "--amount", amount, "--url", url, secret="not-the-secret")
        assert refused.returncode == 1
        assert refused.stdout.startswith("401")
        assert client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann).json()["status"] == "pending"

        sent = cli(ppid, "succeeded", "--amount", amount, "--url", url)
        assert sent.returncode == 0, sent.stderr
        assert sent.stdout.startswith("200")
        assert client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann).json()["status"] == "paid"


def test_print_shows_the_signed_request_without_sending_it() -> None:
    shown = cli("mock_abc", "failed", "--amount", "1.50", "--fail-reason", "card declined", "--print")
    assert shown.returncode == 0, shown.stderr
    assert "x-mock-signature: t=" in shown.stdout and ",v1=" in shown.stdout
    assert '"fail_reason":"card declined"' in shown.stdout
