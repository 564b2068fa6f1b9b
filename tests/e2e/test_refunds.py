"""Refunds over HTTP on SQLite and PostgreSQL: requested by an admin, carried out by the job
worker inside the app (RUN_WORKER), through the mock provider."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import (
    WEBHOOK_SECRET,
    Headers,
    deliver,
    event,
    make_product,
    place_order,
    start_payment,
)

REFUND_FIELDS = {
    "id",
    "payment_id",
    "order_id",
    "amount",
    "currency",
    "status",
    "reason",
    "provider_refund_id",
    "failure_reason",
    "created_at",
    "updated_at",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "payment_webhook_secret": WEBHOOK_SECRET,
        "public_url": "https://shop.example",
        "job_poll_interval_ms": 50,
    }


@pytest.fixture
async def ann(api: Api) -> Headers:
    return await api.customer("ann@example.com")


async def paid_payment(api: Api, ann: Headers, price: str = "149.90") -> dict[str, Any]:
    """A succeeded payment of a paid order of two units at `price`."""
    product = await make_product(api, price, stock=10)
    order = await place_order(api, ann, product, quantity=2)
    payment = await start_payment(api, ann, order["id"])
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    return payment


async def refund(api: Api, payment_id: int, body: dict[str, Any], **headers: str) -> Any:
    admin = await api.admin()
    return await api.client.post(
        f"/api/v1/payments/{payment_id}/refunds", json=body, headers={**admin, **headers}
    )


async def settled(api: Api, payment_id: int, refund_id: int) -> dict[str, Any]:
    """The refund once the worker has carried it out (5 s at most)."""
    admin = await api.admin()
    deadline = time.monotonic() + 5
    while True:
        response = await api.client.get(f"/api/v1/payments/{payment_id}/refunds?limit=100", headers=admin)
        assert response.status_code == 200, response.text
        found = next(r for r in response.json() if r["id"] == refund_id)
        if found["status"] != "pending" or time.monotonic() > deadline:
            return dict(found)
        await asyncio.sleep(0.05)


async def test_partial_then_full_refund_moves_the_order_to_refunded(api: Api, ann: Headers) -> None:
    payment = await paid_payment(api, ann)  # 299.80
    first = await refund(api, payment["id"], {"amount": "100.00", "reason": "one cup broken"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert set(body) == REFUND_FIELDS
    assert (body["status"], body["amount"], body["currency"]) == ("pending", "100.00", "RUB")
    assert body["reason"] == "one cup broken" and body["order_id"] == payment["order_id"]
    done = await settled(api, payment["id"], body["id"])
    assert done["status"] == "succeeded" and done["provider_refund_id"]
    admin = await api.admin()
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    assert seen["refunded_amount"] == "100.00"
    order = (await api.client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann)).json()
    assert (order["status"], order["refunded_total"]) == ("paid", "100.00")

    too_much = await refund(api, payment["id"], {"amount": "199.81"})
    assert too_much.status_code == 409 and "199.80" in too_much.json()["detail"]
    rest = await refund(api, payment["id"], {})
    assert rest.status_code == 201 and rest.json()["amount"] == "199.80"
    assert (await settled(api, payment["id"], rest.json()["id"]))["status"] == "succeeded"
    order = (await api.client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann)).json()
    assert (order["status"], order["refunded_total"]) == ("refunded", "299.80")
    nothing = await refund(api, payment["id"], {})
    assert nothing.status_code == 409 and "0.00" in nothing.json()["detail"]
    # the owner sees the refunds too, oldest first, paged
    own = await api.client.get(f"/api/v1/payments/{payment['id']}/refunds?limit=1&offset=1", headers=ann)
    assert own.status_code == 200 and [r["id"] for r in own.json()] == [rest.json()["id"]]


async def test_the_mock_provider_declines_a_refund_whose_reason_is_mock_decline(
    api: Api, ann: Headers
) -> None:
    payment = await paid_payment(api, ann)
    response = await refund(api, payment["id"], {"reason": "mock-decline"})
    assert response.status_code == 201
    done = await settled(api, payment["id"], response.json()["id"])
    assert done["status"] == "failed" and done["failure_reason"]
    # a failed refund holds nothing back: the whole amount can be refunded again
    again = await refund(api, payment["id"], {"amount": "299.80"})
    assert again.status_code == 201


async def test_wrong_refund_requests_are_refused(api: Api, ann: Headers) -> None:
    payment = await paid_payment(api, ann)
    for amount in ("0", "0.00", 0):
        response = await refund(api, payment["id"], {"amount": amount})
        assert response.status_code == 422, (amount, response.text)
    for amount in ("-1", "1.001", "abc", True):
        assert (await refund(api, payment["id"], {"amount": amount})).status_code == 422, amount
    assert (await refund(api, payment["id"], {"reason": "x" * 501})).status_code == 422
    assert (await refund(api, payment["id"], {"reason": "bad\x00"})).status_code == 422
    for blank in ("", " ", "\u2028", "\ufeff", "\u3000\u200b"):
        response = await refund(api, payment["id"], {"reason": blank})
        assert response.status_code == 422 and "blank" in response.text, (blank, response.text)
    long_zeros = await refund(api, payment["id"], {"amount": "0" * 41 + "1"})
    assert long_zeros.status_code == 422 and "at most 32 characters" in long_zeros.text, long_zeros.text
    huge = await refund(api, payment["id"], {"amount": "1" * 22})
    assert huge.status_code == 422 and "at most 21 digits" in huge.text, huge.text
    assert (await refund(api, payment["id"], {"other": 1})).status_code == 422
    assert (await refund(api, 999_999, {})).status_code == 404
    customer = await api.client.post(f"/api/v1/payments/{payment['id']}/refunds", json={}, headers=ann)
    assert customer.status_code == 403
    bob = await api.customer("bob@example.com")
    hidden = await api.client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=bob)
    assert hidden.status_code == 404
    # a payment that has not succeeded
    product = await make_product(api, "10.00", stock=10)
    order = await place_order(api, ann, product, quantity=1)
    open_payment = await start_payment(api, ann, order["id"])
    refused = await refund(api, open_payment["id"], {})
    assert refused.status_code == 409 and "created" in refused.json()["detail"]


async def test_the_idempotency_key_replays_the_first_refund(api: Api, ann: Headers) -> None:
    payment = await paid_payment(api, ann)
    first = await refund(api, payment["id"], {"amount": "10.00"}, **{"Idempotency-Key": "r-1"})
    again = await refund(api, payment["id"], {"amount": "10.00"}, **{"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    other_body = await refund(api, payment["id"], {"amount": "11.00"}, **{"Idempotency-Key": "r-1"})
    assert other_body.status_code == 422
    admin = await api.admin()
    listed = await api.client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)
    assert len(listed.json()) == 1


async def test_a_payment_that_succeeds_after_cancellation_is_refunded_in_full(api: Api, ann: Headers) -> None:
    product = await make_product(api, "149.90", stock=10)
    order = await place_order(api, ann, product, quantity=2)
    payment = await start_payment(api, ann, order["id"])
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    admin = await api.admin()
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    refunds = (await api.client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin)).json()
    assert seen["status"] == "succeeded"
    assert [(r["amount"], r["reason"]) for r in refunds] == [("299.80", "order cancelled before payment")]
    # The worker in the API process may carry the refund out at any moment from here: the state
    # in between (owed, listed by `refund_required=true`) is held on the fakes
    # (tests/unit/test_refunds.py), where no worker races the reads.
    assert (await settled(api, payment["id"], refunds[0]["id"]))["status"] == "succeeded"
    order_now = (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()
    assert (order_now["status"], order_now["refunded_total"]) == ("cancelled", "299.80")
    # Refunded in full: nothing is owed any more.
    seen = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=admin)).json()
    assert (seen["refund_required"], seen["refunded_amount"]) == (False, "299.80")
    assert (await api.client.get("/api/v1/payments?refund_required=true", headers=admin)).json() == []
    done = await api.client.get("/api/v1/payments?refund_required=false", headers=admin)
    assert payment["id"] in [p["id"] for p in done.json()]
    page = (await api.client.get(f"/mock-checkout/{payment['provider_payment_id']}")).text
    assert "a refund is due" not in page and "299.80 RUB refunded" in page
