"""Payments over HTTP, on SQLite and PostgreSQL, driven by the mock provider's signed webhooks."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import pytest

from adapters.payments.mock.signature import HEADER, sign
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import (
    WEBHOOK,
    WEBHOOK_SECRET,
    Headers,
    deliver,
    event,
    make_product,
    place_order,
    signed,
    start_payment,
)

PAYMENT_FIELDS = {
    "id",
    "order_id",
    "amount",
    "currency",
    "provider",
    "status",
    "provider_payment_id",
    "checkout_url",
    "fail_reason",
    "refund_required",
    "refunded_amount",
    "created_at",
    "updated_at",
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET, "public_url": "https://shop.example"}


@pytest.fixture
async def ann(api: Api) -> Headers:
    return await api.customer("ann@example.com")


@pytest.fixture
async def order(api: Api, ann: Headers) -> dict[str, Any]:
    product = await make_product(api, "149.90", stock=10)
    return await place_order(api, ann, product, quantity=2)


@pytest.fixture
async def payment(api: Api, ann: Headers, order: dict[str, Any]) -> dict[str, Any]:
    return await start_payment(api, ann, order["id"])


async def order_status(api: Api, headers: Headers, order_id: int) -> str:
    response = await api.client.get(f"/api/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def payment_of(api: Api, headers: Headers, payment_id: int) -> dict[str, Any]:
    response = await api.client.get(f"/api/v1/payments/{payment_id}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


# ---- starting a payment ----------------------------------------------------------


async def test_the_owner_starts_a_payment_for_the_order_total_with_a_checkout_page(
    api: Api, ann: Headers, order: dict[str, Any]
) -> None:
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann)
    assert response.status_code == 201, response.text
    payment = response.json()
    assert set(payment) == PAYMENT_FIELDS
    assert payment["order_id"] == order["id"]
    assert (payment["amount"], payment["currency"]) == ("299.80", "RUB")
    assert payment["provider"] == "mock"
    assert payment["status"] == "created"
    assert payment["provider_payment_id"].startswith("mock_")
    assert payment["checkout_url"] == f"https://shop.example/mock-checkout/{payment['provider_payment_id']}"
    assert payment["fail_reason"] is None
    assert payment["refund_required"] is False


async def test_someone_elses_order_is_not_found_even_for_an_admin(api: Api, order: dict[str, Any]) -> None:
    bob = await api.customer("bob@example.com")
    for headers in (bob, await api.admin()):
        response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=headers)
        assert response.status_code == 404, response.text
    assert (await api.client.post(f"/api/v1/payments/orders/{order['id']}")).status_code == 401


@pytest.mark.parametrize("order_id", [999, 2**63, 10**30])
async def test_an_unknown_order_is_not_found(api: Api, ann: Headers, order_id: int) -> None:
    response = await api.client.post(f"/api/v1/payments/orders/{order_id}", headers=ann)
    assert response.status_code == 404, response.text


async def test_an_order_has_one_active_payment_at_a_time(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann)
    assert response.status_code == 409, response.text
    assert "active payment" in response.json()["detail"]


async def test_concurrent_starts_create_one_active_payment(
    api: Api, ann: Headers, order: dict[str, Any]
) -> None:
    responses = await asyncio.gather(
        *(api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    listed = (await api.client.get(f"/api/v1/orders/{order['id']}/payments", headers=ann)).json()
    assert len(listed) == 1


async def test_a_cancelled_order_cannot_be_paid(api: Api, ann: Headers, order: dict[str, Any]) -> None:
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann)
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


async def test_a_paid_order_cannot_be_paid_again(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=ann)
    assert response.status_code == 409
    assert "paid" in response.json()["detail"]


async def test_the_same_idempotency_key_replays_the_first_payment(
    api: Api, ann: Headers, order: dict[str, Any]
) -> None:
    path = f"/api/v1/payments/orders/{order['id']}"
    first = await api.client.post(path, headers={**ann, "Idempotency-Key": "pay-once"})
    again = await api.client.post(path, headers={**ann, "Idempotency-Key": "pay-once"})
    other = await api.client.post(path, headers={**ann, "Idempotency-Key": "pay-twice"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 409


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "tab\there"])
async def test_a_malformed_idempotency_key_is_refused(
    api: Api, ann: Headers, order: dict[str, Any], key: str
) -> None:
    headers = {**ann, "Idempotency-Key": key}
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", headers=headers)
    assert response.status_code == 422, response.text


async def test_idempotency_keys_of_different_users_never_collide(api: Api, ann: Headers) -> None:
    bob = await api.customer("bob@example.com")
    product = await make_product(api)
    ann_order = await place_order(api, ann, product)
    bob_order = await place_order(api, bob, product)
    ann_pay = await api.client.post(
        f"/api/v1/payments/orders/{ann_order['id']}", headers={**ann, "Idempotency-Key": "k"}
    )
    bob_pay = await api.client.post(
        f"/api/v1/payments/orders/{bob_order['id']}", headers={**bob, "Idempotency-Key": "k"}
    )
    assert ann_pay.status_code == bob_pay.status_code == 201
    assert ann_pay.json()["id"] != bob_pay.json()["id"]


# ---- reading payments ------------------------------------------------------------


async def test_the_owner_and_admins_read_a_payment_others_get_404(
    api: Api, ann: Headers, payment: dict[str, Any]
) -> None:
    assert await payment_of(api, ann, payment["id"]) == payment
    assert await payment_of(api, await api.admin(), payment["id"]) == payment
    bob = await api.customer("bob@example.com")
    assert (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=bob)).status_code == 404
    assert (await api.client.get("/api/v1/payments/9999", headers=ann)).status_code == 404
    assert (await api.client.get(f"/api/v1/payments/{2**64}", headers=ann)).status_code == 404


async def test_an_orders_payments_are_listed_oldest_first(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await deliver(api, event(payment, "failed", fail_reason="card declined"))).status_code == 200
    second = await start_payment(api, ann, order["id"])
    path = f"/api/v1/orders/{order['id']}/payments"
    listed = (await api.client.get(path, headers=ann)).json()
    assert [p["id"] for p in listed] == [payment["id"], second["id"]]
    assert listed[0]["status"] == "failed" and listed[0]["fail_reason"] == "card declined"
    admin_view = await api.client.get(path, headers=await api.admin())
    assert admin_view.json() == listed
    paged = await api.client.get(path, params={"limit": 1, "offset": 1}, headers=ann)
    assert [p["id"] for p in paged.json()] == [second["id"]]
    bob = await api.customer("bob@example.com")
    assert (await api.client.get(path, headers=bob)).status_code == 404


# ---- settlement ------------------------------------------------------------------


async def test_success_settles_the_payment_and_pays_the_order_together(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    response = await deliver(api, event(payment, "succeeded"))
    assert response.status_code == 200, response.text
    assert response.json()["result"] == "applied"
    assert (await payment_of(api, ann, payment["id"]))["status"] == "succeeded"
    assert await order_status(api, ann, order["id"]) == "paid"


async def test_a_pending_event_moves_the_payment_to_pending(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await deliver(api, event(payment, "pending"))).status_code == 200
    assert (await payment_of(api, ann, payment["id"]))["status"] == "pending"
    assert await order_status(api, ann, order["id"]) == "pending"


async def test_the_same_event_delivered_again_is_answered_200_and_applied_once(
    api: Api, ann: Headers, payment: dict[str, Any]
) -> None:
    pending = event(payment, "pending")
    first = await deliver(api, pending)
    updated = (await payment_of(api, ann, payment["id"]))["updated_at"]
    repeats = [await deliver(api, pending) for _ in range(3)]
    assert first.json()["result"] == "applied"
    assert [r.status_code for r in repeats] == [200, 200, 200]
    assert {r.json()["result"] for r in repeats} == {"duplicate"}
    assert (await payment_of(api, ann, payment["id"]))["updated_at"] == updated


async def test_ten_concurrent_deliveries_of_one_event_apply_it_once(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    success = event(payment, "succeeded")
    responses = await asyncio.gather(*(deliver(api, success) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    results = sorted(r.json()["result"] for r in responses)
    assert results == ["applied"] + ["duplicate"] * 9
    assert await order_status(api, ann, order["id"]) == "paid"


async def test_a_late_pending_after_success_is_recorded_and_ignored(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    for late in ("pending", "failed", "canceled", "succeeded"):
        response = await deliver(api, event(payment, late))
        assert response.status_code == 200, response.text
        assert response.json()["result"] == "ignored"
    assert (await payment_of(api, ann, payment["id"]))["status"] == "succeeded"
    assert await order_status(api, ann, order["id"]) == "paid"


async def test_a_failed_payment_stays_failed(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await deliver(api, event(payment, "failed"))).status_code == 200
    late = await deliver(api, event(payment, "succeeded"))
    assert late.status_code == 200
    assert late.json()["result"] == "ignored"
    assert (await payment_of(api, ann, payment["id"]))["status"] == "failed"
    assert await order_status(api, ann, order["id"]) == "pending"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"amount": "299.79"}, "amount mismatch: expected 299.80, received 299.79"),
        ({"amount": 1000}, "amount mismatch"),
        ({"currency": "USD"}, "currency mismatch: expected RUB, received USD"),
    ],
)
async def test_a_success_for_another_amount_or_currency_fails_the_payment_and_answers_409(
    api: Api,
    ann: Headers,
    order: dict[str, Any],
    payment: dict[str, Any],
    changes: dict[str, Any],
    named: str,
) -> None:
    response = await deliver(api, event(payment, "succeeded", **changes))
    assert response.status_code == 409, response.text
    assert named in response.json()["detail"]
    found = await payment_of(api, ann, payment["id"])
    assert found["status"] == "failed"
    assert named in found["fail_reason"]
    assert await order_status(api, ann, order["id"]) == "pending"
    assert (await deliver(api, event(payment, "succeeded"))).json()["result"] == "ignored"
    assert await order_status(api, ann, order["id"]) == "pending"


async def test_a_success_after_the_order_was_cancelled_flags_a_refund(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    response = await deliver(api, event(payment, "succeeded"))
    assert response.status_code == 200, response.text
    found = await payment_of(api, ann, payment["id"])
    assert found["status"] == "succeeded"
    assert found["refund_required"] is True
    assert await order_status(api, ann, order["id"]) == "cancelled"


@pytest.mark.parametrize("outcome", ["failed", "canceled"])
async def test_a_failed_or_canceled_payment_leaves_the_order_pending_and_payable_again(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any], outcome: str
) -> None:
    response = await deliver(api, event(payment, outcome))
    assert response.status_code == 200, response.text
    found = await payment_of(api, ann, payment["id"])
    assert found["status"] == outcome
    assert found["fail_reason"]
    assert await order_status(api, ann, order["id"]) == "pending"
    again = await start_payment(api, ann, order["id"])
    assert again["provider_payment_id"] != payment["provider_payment_id"]
    assert (await deliver(api, event(again, "succeeded"))).status_code == 200
    assert await order_status(api, ann, order["id"]) == "paid"


async def test_an_unknown_provider_payment_is_not_found(api: Api, payment: dict[str, Any]) -> None:
    response = await deliver(api, event(payment, "succeeded", provider_payment_id="mock_nothing"))
    assert response.status_code == 404, response.text


async def test_a_webhook_for_a_provider_that_is_not_configured_is_not_found(
    api: Api, payment: dict[str, Any]
) -> None:
    raw, headers = signed(event(payment, "succeeded"))
    response = await api.client.post("/api/v1/payments/webhook/stripe", content=raw, headers=headers)
    assert response.status_code == 404


# ---- signatures ------------------------------------------------------------------


async def test_a_webhook_without_a_signature_is_401_and_changes_nothing(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    body = msgspec.json.encode(event(payment, "succeeded"))
    response = await api.client.post(WEBHOOK, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await order_status(api, ann, order["id"]) == "pending"


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "tampered body", "stale", "future", "no v1", "garbage", "t twice"],
)
async def test_a_webhook_with_a_bad_or_stale_signature_is_401_and_changes_nothing(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any], how: str
) -> None:
    body = msgspec.json.encode(event(payment, "succeeded"))
    now = int(time.time())
    header = {
        "wrong secret": sign("another-secret", now, body),
        "tampered body": sign(WEBHOOK_SECRET, now, body.replace(b"299.80", b"299.81")),
        "stale": sign(WEBHOOK_SECRET, now - 301, body),
        "future": sign(WEBHOOK_SECRET, now + 301, body),
        "no v1": f"t={now}",
        "garbage": "v1=zz,t=now",
        "t twice": f"t={now},{sign(WEBHOOK_SECRET, now, body)}",
    }[how]
    response = await api.client.post(WEBHOOK, content=body, headers={HEADER: header})
    assert response.status_code == 401, response.text
    assert (await payment_of(api, ann, payment["id"]))["status"] == "created"
    assert await order_status(api, ann, order["id"]) == "pending"


async def test_a_signature_within_the_tolerance_and_a_rotated_secret_are_accepted(
    api: Api, ann: Headers, payment: dict[str, Any]
) -> None:
    pending = msgspec.json.encode(event(payment, "pending"))
    almost_stale = int(time.time()) - 250
    response = await api.client.post(
        WEBHOOK, content=pending, headers={HEADER: sign(WEBHOOK_SECRET, almost_stale, pending)}
    )
    assert response.status_code == 200, response.text
    success = msgspec.json.encode(event(payment, "succeeded"))
    rotating = sign(["the-old-secret", WEBHOOK_SECRET], int(time.time()), success)
    assert rotating.count("v1=") == 2
    response = await api.client.post(WEBHOOK, content=success, headers={HEADER: rotating})
    assert response.status_code == 200, response.text
    assert (await payment_of(api, ann, payment["id"]))["status"] == "succeeded"


# ---- malformed deliveries --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[]", 422),
        (b"{}", 422),
        (b'{"event_id": "e1"}', 422),
    ],
)
async def test_an_unreadable_signed_body_is_400_or_422_never_500(
    api: Api, payment: dict[str, Any], body: bytes, status: int
) -> None:
    response = await deliver(api, body)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "refunded"},
        {"status": "created"},
        {"amount": "1.001"},
        {"amount": "NaN"},
        {"amount": "-1.00"},
        {"amount": "1e400"},
        {"amount": True},
        {"currency": "rub"},
        {"currency": "RUBL"},
        {"event_id": ""},
        {"event_id": "e" * 256},
        {"provider_payment_id": 5},
        {"fail_reason": 5},
    ],
)
async def test_a_signed_event_that_breaks_a_rule_is_422(
    api: Api, ann: Headers, payment: dict[str, Any], changes: dict[str, Any]
) -> None:
    response = await deliver(api, {**event(payment, "succeeded"), **changes})
    assert response.status_code == 422, response.text
    assert (await payment_of(api, ann, payment["id"]))["status"] == "created"


# ---- the mock provider's hosted checkout page -------------------------------------


def checkout_path(payment: dict[str, Any]) -> str:
    return f"/mock-checkout/{payment['provider_payment_id']}"


async def test_the_checkout_page_shows_the_order_the_amount_and_two_buttons(
    api: Api, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert payment["checkout_url"].endswith(checkout_path(payment))
    response = await api.client.get(checkout_path(payment))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"Order #{order['id']}" in page
    assert "299.80 RUB" in page
    assert f'action="{checkout_path(payment)}/pay"' in page
    assert f'action="{checkout_path(payment)}/decline"' in page
    assert ">Pay</button>" in page and ">Decline</button>" in page


async def test_pressing_pay_on_the_checkout_page_pays_the_order(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    response = await api.client.post(f"{checkout_path(payment)}/pay")
    assert response.status_code == 200, response.text
    assert 'data-status="succeeded"' in response.text
    assert "HTTP 200" in response.text
    assert (await payment_of(api, ann, payment["id"]))["status"] == "succeeded"
    assert await order_status(api, ann, order["id"]) == "paid"
    page = (await api.client.get(checkout_path(payment))).text
    assert "Paid" in page and ">Pay</button>" not in page


async def test_pressing_decline_fails_the_payment_and_leaves_the_order_pending(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    response = await api.client.post(f"{checkout_path(payment)}/decline")
    assert response.status_code == 200, response.text
    assert 'data-status="failed"' in response.text
    found = await payment_of(api, ann, payment["id"])
    assert found["status"] == "failed"
    assert found["fail_reason"] == "declined by the customer"
    assert await order_status(api, ann, order["id"]) == "pending"


async def test_pressing_pay_twice_pays_once(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    first = await api.client.post(f"{checkout_path(payment)}/pay")
    second = await api.client.post(f"{checkout_path(payment)}/pay")
    assert (first.status_code, second.status_code) == (200, 409)
    assert 'id="refused"' in second.text and 'data-status="succeeded"' in second.text
    assert await order_status(api, ann, order["id"]) == "paid"


async def test_pay_after_the_order_was_cancelled_charges_nothing(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    """The mock provider takes no money for an order that cannot be paid (a real provider's late
    success is still settled by the webhook rules: see the refund tests above)."""
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    response = await api.client.post(f"{checkout_path(payment)}/pay")
    assert response.status_code == 409
    assert 'data-status="cancelled"' in response.text and ">Pay</button>" not in response.text
    found = await payment_of(api, ann, payment["id"])
    assert (found["status"], found["refund_required"]) == ("created", False)
    assert await order_status(api, ann, order["id"]) == "cancelled"


@pytest.mark.parametrize("suffix", ["", "/pay", "/decline"])
async def test_an_unknown_checkout_page_is_404(api: Api, suffix: str) -> None:
    method = api.client.get if not suffix else api.client.post
    response = await method(f"/mock-checkout/mock_nothing{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("amount", "field"), [("99999999999999999999.99", "amount"), ("9999999999000.01", "amount")]
)
async def test_a_signed_mock_amount_no_order_can_reach_is_422(api: Api, amount: str, field: str) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = await start_payment(api, customer, order["id"])
    response = await deliver(api, event(payment, "succeeded", amount=amount))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
