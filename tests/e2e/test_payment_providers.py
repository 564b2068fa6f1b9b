"""Several payment providers at once: the list, the choice at start, the webhook paths."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import make_product, place_order


async def test_the_enabled_providers_are_listed_for_anyone(api: Api) -> None:
    response = await api.client.get("/api/v1/payments/providers")
    assert response.status_code == 200
    assert response.json() == [{"name": "mock", "default": True}]


@pytest.mark.parametrize("body", [None, b"{}", b'{"provider": "mock"}'])
async def test_a_payment_starts_with_the_default_or_the_named_provider(api: Api, body: bytes | None) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    headers = {**customer, "content-type": "application/json"}
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["provider"] == "mock"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"provider": "stripe"}', "enabled providers: mock"),
        (b'{"provider": ""}', "provider"),
        (b'{"provider": 1}', "provider"),
        (b'{"other": 1}', "other"),
        (b"null", "must be an object"),
        (b"[]", "must be an object"),
        (b'"stripe"', "must be an object"),
        (b"1", "must be an object"),
    ],
)
async def test_a_provider_that_is_not_enabled_or_a_bad_body_is_422(api: Api, body: bytes, says: str) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    headers = {**customer, "content-type": "application/json"}
    response = await api.client.post(f"/api/v1/payments/orders/{order['id']}", content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert says in response.text
    if says == "must be an object":  # `null` is refused too: never offered as a choice
        assert response.json()["errors"] == [{"field": "body", "message": "must be an object"}]
    listed = await api.client.get(f"/api/v1/orders/{order['id']}/payments", headers=customer)
    assert listed.json() == []


async def test_the_body_counts_in_the_idempotency_fingerprint(api: Api) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    headers = {**customer, "content-type": "application/json", "Idempotency-Key": "pay-1"}
    path = f"/api/v1/payments/orders/{order['id']}"
    first = await api.client.post(path, content=b'{"provider": "mock"}', headers=headers)
    assert first.status_code == 201
    again = await api.client.post(path, content=b'{"provider":"mock"}', headers=headers)
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    other = await api.client.post(path, content=b"{}", headers=headers)
    assert other.status_code == 422


async def test_a_webhook_for_a_provider_that_is_not_enabled_is_404(api: Api) -> None:
    response = await api.client.post("/api/v1/payments/webhook/stripe", content=b"{}")
    assert response.status_code == 404
