"""Orders over HTTP, on SQLite and PostgreSQL: every order endpoint and rule."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Api

ORDERS = "/api/v1/orders"
Headers = dict[str, str]


async def make_category(api: Api, admin: Headers, slug: str = "tea") -> int:
    response = await api.client.post(
        "/api/v1/categories", json={"name": slug.title(), "slug": slug}, headers=admin
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def make_product(
    api: Api, admin: Headers, category_id: int, name: str, price: str = "10.00", stock: int | None = None
) -> int:
    body: dict[str, Any] = {"name": name, "price": price, "category_id": category_id, "stock": stock}
    response = await api.client.post("/api/v1/products", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def stock_of(api: Api, product_id: int) -> int | None:
    response = await api.client.get(f"/api/v1/products/{product_id}")
    value: int | None = response.json()["stock"]
    return value


async def place(api: Api, headers: Headers, *items: tuple[int, int], **extra: str) -> Any:
    body = {"items": [{"product_id": p, "quantity": q} for p, q in items]}
    return await api.client.post(ORDERS, json=body, headers={**headers, **extra})


@pytest.fixture
async def shop(api: Api) -> dict[str, Any]:
    admin = await api.admin()
    category = await make_category(api, admin)
    return {
        "admin": admin,
        "category": category,
        "green": await make_product(api, admin, category, "Green tea", "149.90", stock=10),
        "black": await make_product(api, admin, category, "Black tea", "0.10", stock=3),
        "mug": await make_product(api, admin, category, "Mug", "99999999.99", stock=None),
    }


async def test_placing_an_order_answers_201_with_items_prices_and_an_exact_total(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    response = await place(api, ann, (shop["green"], 3), (shop["black"], 1))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending"
    assert order["total_price"] == "449.80"
    assert order["currency"] == "RUB"
    assert [(i["product_id"], i["product_name"], i["quantity"], i["price"]) for i in order["items"]] == [
        (shop["green"], "Green tea", 3, "149.90"),
        (shop["black"], "Black tea", 1, "0.10"),
    ]
    assert all(isinstance(i["id"], int) for i in order["items"])
    assert set(order) == {
        "id",
        "user_id",
        "status",
        "total_price",
        "refunded_total",
        "currency",
        "items",
        "created_at",
        "updated_at",
    }
    assert order["refunded_total"] == "0.00"
    assert await stock_of(api, shop["green"]) == 7
    assert await stock_of(api, shop["black"]) == 2


async def test_the_largest_possible_total_is_stored_exactly(api: Api, shop: dict[str, Any]) -> None:
    admin = shop["admin"]
    ids = [await make_product(api, admin, shop["category"], f"Gold {n}", "99999999.99") for n in range(100)]
    ann = await api.customer()
    response = await place(api, ann, *[(pid, 1000) for pid in ids])
    assert response.status_code == 201, response.text
    expected = Decimal("99999999.99") * 1000 * 100
    assert Decimal(response.json()["total_price"]) == expected
    again = await api.client.get(f"{ORDERS}/{response.json()['id']}", headers=ann)
    assert again.json()["total_price"] == f"{expected:.2f}"


async def test_untracked_products_never_run_out_and_stay_untracked(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    response = await place(api, ann, (shop["mug"], 1000))
    assert response.status_code == 201
    assert await stock_of(api, shop["mug"]) is None


async def test_prices_are_copied_so_later_price_changes_do_not_touch_the_order(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    order = (await place(api, ann, (shop["green"], 2))).json()
    await api.client.patch(
        f"/api/v1/products/{shop['green']}", json={"price": "1.00", "name": "Renamed"}, headers=shop["admin"]
    )
    again = (await api.client.get(f"{ORDERS}/{order['id']}", headers=ann)).json()
    assert again["total_price"] == "299.80"
    assert again["items"][0]["price"] == "149.90"
    assert again["items"][0]["product_name"] == "Green tea"


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"product_id": 1, "quantity": 0}], "items[0].quantity"),
        ([{"product_id": 1, "quantity": 1001}], "items[0].quantity"),
        ([{"product_id": 1, "quantity": -5}], "items[0].quantity"),
        ([{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}], "items[1].product_id"),
        ([{"product_id": n, "quantity": 1} for n in range(1, 102)], "items"),
    ],
)
async def test_a_broken_item_list_is_422_naming_the_field(
    api: Api, shop: dict[str, Any], items: list[dict[str, int]], field: str
) -> None:
    ann = await api.customer()
    response = await api.client.post(ORDERS, json={"items": items}, headers=ann)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await stock_of(api, shop["green"]) == 10


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": "x"},
        {"items": [{"product_id": 1}]},
        {"items": [{"product_id": 0, "quantity": 1}]},
        {"items": [{"product_id": 1, "quantity": 1, "extra": True}]},
        {"items": [{"product_id": 1, "quantity": 2**70}]},
        {"items": [{"product_id": "1", "quantity": 1.5}]},
    ],
)
async def test_a_malformed_order_body_is_422_never_500(api: Api, body: dict[str, Any]) -> None:
    ann = await api.customer()
    response = await api.client.post(ORDERS, json=body, headers=ann)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("product_id", [2**63, 10**30])
async def test_a_product_id_beyond_the_databases_range_is_an_unknown_product(
    api: Api, shop: dict[str, Any], product_id: int
) -> None:
    ann = await api.customer()
    response = await place(api, ann, (shop["green"], 1), (product_id, 1))
    assert response.status_code == 404, response.text
    assert str(product_id) in response.json()["detail"]
    assert await stock_of(api, shop["green"]) == 10


async def test_an_order_needs_a_logged_in_user(api: Api) -> None:
    response = await api.client.post(ORDERS, json={"items": [{"product_id": 1, "quantity": 1}]})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.client.get(f"{ORDERS}/me")).status_code == 401


async def test_unknown_products_are_404_naming_all_of_them_and_nothing_is_reserved(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    response = await place(api, ann, (shop["green"], 1), (9999, 1), (8888, 2))
    assert response.status_code == 404
    assert "9999" in response.json()["detail"] and "8888" in response.json()["detail"]
    assert await stock_of(api, shop["green"]) == 10


async def test_inactive_products_and_products_of_inactive_categories_are_409_naming_them(
    api: Api, shop: dict[str, Any]
) -> None:
    admin = shop["admin"]
    other = await make_category(api, admin, "cups")
    cup = await make_product(api, admin, other, "Cup", stock=5)
    await api.client.post(f"/api/v1/products/{shop['black']}/deactivate", headers=admin)
    await api.client.post("/api/v1/categories/cups/deactivate", headers=admin)
    ann = await api.customer()
    response = await place(api, ann, (shop["green"], 1), (shop["black"], 1), (cup, 1))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert str(shop["black"]) in detail and str(cup) in detail and f" {shop['green']}" not in detail
    assert await stock_of(api, shop["green"]) == 10


async def test_short_stock_is_409_naming_product_and_available_quantity_and_nothing_is_reserved(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    response = await place(api, ann, (shop["green"], 2), (shop["black"], 5))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"product {shop['black']}" in detail and "Black tea" in detail and "3 available" in detail
    assert await stock_of(api, shop["green"]) == 10
    assert await stock_of(api, shop["black"]) == 3
    assert (await api.client.get(f"{ORDERS}/me", headers=ann)).json() == []


async def test_the_last_units_can_be_bought_and_then_stock_is_zero(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    assert (await place(api, ann, (shop["black"], 3))).status_code == 201
    assert await stock_of(api, shop["black"]) == 0
    refused = await place(api, ann, (shop["black"], 1))
    assert refused.status_code == 409
    assert "0 available" in refused.json()["detail"]


async def test_my_orders_are_newest_first_filtered_by_status_and_paginated(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    bob = await api.customer("bob@example.com")
    ids = [(await place(api, ann, (shop["mug"], n))).json()["id"] for n in range(1, 5)]
    await place(api, bob, (shop["mug"], 1))
    await api.client.post(f"{ORDERS}/{ids[1]}/cancel", headers=ann)

    mine = (await api.client.get(f"{ORDERS}/me", headers=ann)).json()
    assert [o["id"] for o in mine] == list(reversed(ids))
    assert all(o["items"] for o in mine)
    page = (await api.client.get(f"{ORDERS}/me?limit=2&offset=1", headers=ann)).json()
    assert [o["id"] for o in page] == [ids[2], ids[1]]
    cancelled = (await api.client.get(f"{ORDERS}/me?status=cancelled", headers=ann)).json()
    assert [o["id"] for o in cancelled] == [ids[1]]
    pending = (await api.client.get(f"{ORDERS}/me?status=pending", headers=ann)).json()
    assert [o["id"] for o in pending] == [ids[3], ids[2], ids[0]]


@pytest.mark.parametrize("query", ["status=lost", "limit=0", "limit=101", "offset=-1"])
async def test_bad_list_parameters_are_422(api: Api, query: str) -> None:
    ann = await api.customer()
    response = await api.client.get(f"{ORDERS}/me?{query}", headers=ann)
    assert response.status_code == 422


async def test_an_order_is_visible_to_its_owner_and_admins_and_404_to_anyone_else(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    bob = await api.customer("bob@example.com")
    order_id = (await place(api, ann, (shop["green"], 1))).json()["id"]
    assert (await api.client.get(f"{ORDERS}/{order_id}", headers=ann)).status_code == 200
    assert (await api.client.get(f"{ORDERS}/{order_id}", headers=shop["admin"])).status_code == 200
    for path in ("", "/cancel"):
        method = api.client.get if not path else api.client.post
        response = await method(f"{ORDERS}/{order_id}{path}", headers=bob)
        assert response.status_code == 404
    assert (await api.client.get(f"{ORDERS}/{order_id + 1000}", headers=ann)).status_code == 404
    assert (await api.client.get(f"{ORDERS}/{2**63}", headers=ann)).status_code == 404
    assert (await api.client.get(f"{ORDERS}/{2**70}", headers=ann)).status_code == 404
    assert await stock_of(api, shop["green"]) == 9


async def test_cancelling_a_pending_order_returns_its_stock(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["green"], 4), (shop["mug"], 2))).json()["id"]
    assert await stock_of(api, shop["green"]) == 6
    response = await api.client.post(f"{ORDERS}/{order_id}/cancel", headers=ann)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["items"]
    assert await stock_of(api, shop["green"]) == 10
    assert await stock_of(api, shop["mug"]) is None


async def test_an_admin_may_cancel_a_customers_order(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["black"], 3))).json()["id"]
    response = await api.client.post(f"{ORDERS}/{order_id}/cancel", headers=shop["admin"])
    assert response.status_code == 200
    assert await stock_of(api, shop["black"]) == 3


async def test_cancelling_twice_is_409_naming_the_status_and_stock_returns_once(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["green"], 4))).json()["id"]
    await api.client.post(f"{ORDERS}/{order_id}/cancel", headers=ann)
    again = await api.client.post(f"{ORDERS}/{order_id}/cancel", headers=ann)
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]
    assert await stock_of(api, shop["green"]) == 10


async def test_concurrent_cancels_return_the_stock_exactly_once(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["green"], 4))).json()["id"]
    responses = await asyncio.gather(
        *[api.client.post(f"{ORDERS}/{order_id}/cancel", headers=ann) for _ in range(8)]
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * 7
    assert await stock_of(api, shop["green"]) == 10


async def test_shipping_and_delivering_are_for_admins_only(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["green"], 1))).json()["id"]
    for action in ("ship", "deliver"):
        response = await api.client.post(f"{ORDERS}/{order_id}/{action}", headers=ann)
        assert response.status_code == 403


async def test_a_pending_order_cannot_be_shipped_or_delivered_and_the_409_names_its_status(
    api: Api, shop: dict[str, Any]
) -> None:
    ann = await api.customer()
    order_id = (await place(api, ann, (shop["green"], 1))).json()["id"]
    for action in ("ship", "deliver"):
        response = await api.client.post(f"{ORDERS}/{order_id}/{action}", headers=shop["admin"])
        assert response.status_code == 409
        assert "pending" in response.json()["detail"]


async def test_unknown_orders_are_404_for_every_action(api: Api, shop: dict[str, Any]) -> None:
    for action in ("cancel", "ship", "deliver"):
        response = await api.client.post(f"{ORDERS}/424242/{action}", headers=shop["admin"])
        assert response.status_code == 404


async def test_order_routes_answer_with_and_without_a_trailing_slash(api: Api, shop: dict[str, Any]) -> None:
    ann = await api.customer()
    response = await api.client.post(
        f"{ORDERS}/", json={"items": [{"product_id": shop["mug"], "quantity": 1}]}, headers=ann
    )
    assert response.status_code == 201
    assert (await api.client.get(f"{ORDERS}/me/", headers=ann)).status_code == 200
