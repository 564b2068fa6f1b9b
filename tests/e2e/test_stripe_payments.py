"""Stripe end to end: the app with PAYMENT_PROVIDERS=mock,stripe, Stripe's API doubled in process."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.doubles.stripe import StripeDouble
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import Headers, make_product, place_order

WEBHOOK = "/api/v1/payments/webhook/stripe"
SESSIONS = ("POST", "/v1/checkout/sessions")


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    double = StripeDouble(secret_key="sk_test_e2e", webhook_secret="whsec_test_e2e").start()
    yield double
    double.stop()


@pytest.fixture
def settings_overrides(stripe_api: StripeDouble) -> dict[str, object]:
    return {
        "payment_providers": "mock,stripe",
        "provider_values": {
            "STRIPE_SECRET_KEY": stripe_api.secret_key,
            "STRIPE_WEBHOOK_SECRET": stripe_api.webhook_secret,
            "STRIPE_API_BASE": stripe_api.url,
        },
    }


async def start(api: Api, customer: Headers, order_id: int, key: str | None = None) -> Any:
    headers = {**customer, "content-type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return await api.client.post(
        f"/api/v1/payments/orders/{order_id}", content=b'{"provider": "stripe"}', headers=headers
    )


async def order_status(api: Api, customer: Headers, order_id: int) -> str:
    status: str = (await api.client.get(f"/api/v1/orders/{order_id}", headers=customer)).json()["status"]
    return status


async def test_both_providers_are_listed_mock_the_default(api: Api) -> None:
    response = await api.client.get("/api/v1/payments/providers")
    assert response.json() == [{"name": "mock", "default": True}, {"name": "stripe", "default": False}]


async def test_an_order_is_paid_through_stripe(api: Api, stripe_api: StripeDouble) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api, price="149.90"), quantity=2)
    response = await start(api, customer, order["id"])
    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment["provider"] == "stripe"
    session = stripe_api.sessions[payment["provider_payment_id"]]
    assert payment["checkout_url"] == session["url"]
    assert (session["amount_total"], session["currency"], session["mode"]) == (
        29_980,
        order["currency"].lower(),
        "payment",
    )
    assert session["client_reference_id"] == str(payment["id"])
    assert session["metadata"] == {"payment_id": str(payment["id"]), "order_id": str(order["id"])}

    body = stripe_api.event("checkout.session.completed", stripe_api.complete(session["id"]))
    delivered = await api.client.post(WEBHOOK, content=body, headers=stripe_api.sign(body))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["result"] == "applied"
    assert await order_status(api, customer, order["id"]) == "paid"
    again = await api.client.post(WEBHOOK, content=body, headers=stripe_api.sign(body))
    assert (again.status_code, again.json()["result"]) == (200, "duplicate")


async def test_forged_stale_and_future_deliveries_change_nothing(api: Api, stripe_api: StripeDouble) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = (await start(api, customer, order["id"])).json()
    body = stripe_api.event("checkout.session.completed", stripe_api.complete(payment["provider_payment_id"]))
    now = int(time.time())
    for headers in (
        stripe_api.sign(body, secret="whsec_forged"),
        stripe_api.sign(body, at=now - 301),
        stripe_api.sign(body, at=now + 301),
        {"Content-Type": "application/json"},
    ):
        response = await api.client.post(WEBHOOK, content=body, headers=headers)
        assert response.status_code == 401, response.text
    tampered = body.replace(b'"paid"', b'"unpaid"')
    response = await api.client.post(WEBHOOK, content=tampered, headers=stripe_api.sign(body))
    assert response.status_code == 401
    assert await order_status(api, customer, order["id"]) == "pending"


async def test_an_event_type_the_app_does_not_act_on_is_200(api: Api, stripe_api: StripeDouble) -> None:
    body = stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = await api.client.post(WEBHOOK, content=body, headers=stripe_api.sign(body))
    assert (response.status_code, response.json()["result"]) == (200, "ignored")


async def test_stripe_unreachable_is_503_and_a_retry_with_the_key_opens_one_session(
    api: Api, stripe_api: StripeDouble
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    with stripe_api.unreachable():
        first = await start(api, customer, order["id"], key="pay-stripe-1")
    assert first.status_code == 503, first.text
    assert first.headers["Retry-After"]
    stripe_api.fail_next(1, 500)
    second = await start(api, customer, order["id"], key="pay-stripe-1")
    assert second.status_code == 503, second.text
    retry = await start(api, customer, order["id"], key="pay-stripe-1")
    assert retry.status_code == 201, retry.text
    again = await start(api, customer, order["id"], key="pay-stripe-1")
    assert again.json() == retry.json()
    assert len(stripe_api.sessions) == 1
    assert stripe_api.count(*SESSIONS) == 2  # the 500 and the one that opened it
    listed = (await api.client.get(f"/api/v1/orders/{order['id']}/payments", headers=customer)).json()
    assert [p["id"] for p in listed] == [retry.json()["id"]]


def _with_id(body: bytes, event_id: str) -> bytes:
    event = json.loads(body)
    event["id"] = event_id
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda session: session.update(amount_total=10**30), "data.object.amount_total"),
        (lambda session: session.update(amount_total=2**63), "data.object.amount_total"),
        (lambda session: session.update(amount_total=-1), "data.object.amount_total"),
        (lambda session: session.update(currency="αβγ"), "data.object.currency"),
        (lambda session: session.update(id="cs_" + "x" * 100_000), "data.object.id"),
        (lambda session: session.update(payment_intent="pi_\x00"), "data.object.payment_intent"),
    ],
)
async def test_a_signed_session_the_store_cannot_keep_is_422_naming_its_field(
    api: Api, stripe_api: StripeDouble, change: Any, field: str
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = (await start(api, customer, order["id"])).json()
    session = dict(stripe_api.complete(payment["provider_payment_id"]))
    change(session)
    body = stripe_api.event("checkout.session.completed", session)
    response = await api.client.post(WEBHOOK, content=body, headers=stripe_api.sign(body))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert await order_status(api, customer, order["id"]) == "pending"


@pytest.mark.parametrize("event_id", ["", "evt_" + "x" * 100_000, "evt_\x00", "evt\u202e1"])
async def test_a_signed_event_id_the_store_cannot_keep_is_422(
    api: Api, stripe_api: StripeDouble, event_id: str
) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = (await start(api, customer, order["id"])).json()
    session = stripe_api.complete(payment["provider_payment_id"])
    body = _with_id(stripe_api.event("checkout.session.completed", session), event_id)
    response = await api.client.post(WEBHOOK, content=body, headers=stripe_api.sign(body))
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["id"]
    assert await order_status(api, customer, order["id"]) == "pending"
