"""A store in a currency with no minor unit (STORE_CURRENCY=JPY): prices are whole, so every
provider can charge them (`domain.money.ZERO_DECIMAL_CURRENCIES`)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"store_currency": "JPY"}


async def category(api: Api, admin: dict[str, str]) -> int:
    created = await api.client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


@pytest.mark.parametrize("price", ["1500.50", "0.5", "1500.01", 1500.5])
async def test_a_price_with_cents_in_a_currency_without_them_is_422_naming_the_rule(
    api: Api, price: object
) -> None:
    admin = await api.admin()
    body = {"name": "Sencha", "price": price, "category_id": await category(api, admin)}
    response = await api.client.post("/api/v1/products", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "price", "message": "must be a whole amount: JPY has no minor unit"}
    ]


async def test_whole_prices_are_taken_and_an_update_keeps_to_the_rule(api: Api) -> None:
    admin = await api.admin()
    body = {"name": "Sencha", "price": "1500.00", "category_id": await category(api, admin)}
    created = await api.client.post("/api/v1/products", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert (created.json()["price"], created.json()["currency"]) == ("1500.00", "JPY")
    path = f"/api/v1/products/{created.json()['id']}"
    refused = await api.client.patch(path, json={"price": "1499.99"}, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "price"
    taken = await api.client.patch(path, json={"price": "1499"}, headers=admin)
    assert (taken.status_code, taken.json()["price"]) == (200, "1499.00")
