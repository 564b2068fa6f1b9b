"""A payment that succeeds after its order expired is flagged for a refund; the order stays cancelled."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, deliver, event, make_product, place_order, start_payment


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "payment_webhook_secret": WEBHOOK_SECRET,
        "order_payment_timeout_seconds": 1,
        "order_expiry_interval_seconds": 1,
    }


async def test_a_success_after_the_order_expired_is_flagged_for_refund(api: Api) -> None:
    ann = await api.customer()
    order = await place_order(api, ann, await make_product(api, stock=5))
    payment = await start_payment(api, ann, order["id"])

    deadline = time.monotonic() + 30
    status = "pending"
    while status == "pending" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        status = (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()["status"]
    assert status == "cancelled", "the order never expired"

    response = await deliver(api, event(payment, "succeeded"))
    assert response.status_code == 200, response.text
    found = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert (found["status"], found["refund_required"]) == ("succeeded", True)
    assert (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()[
        "status"
    ] == "cancelled"


async def test_the_checkout_page_of_an_expired_order_offers_no_pay(api: Api) -> None:
    ann = await api.customer()
    order = await place_order(api, ann, await make_product(api, stock=5))
    payment = await start_payment(api, ann, order["id"])
    path = f"/mock-checkout/{payment['provider_payment_id']}"
    assert ">Pay</button>" in (await api.client.get(path)).text

    deadline = time.monotonic() + 30
    page = ""
    while 'data-status="cancelled"' not in page and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        page = (await api.client.get(path)).text
    assert 'id="order-status" data-status="cancelled"' in page, "the order never expired"
    assert ">Pay</button>" not in page and ">Decline</button>" not in page
    assert (await api.client.post(f"{path}/pay")).status_code == 409
    found = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert (found["status"], found["refund_required"]) == ("created", False)
