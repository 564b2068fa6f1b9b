"""The back office's lists over HTTP, on SQLite and PostgreSQL: every order (GET /orders) and every
payment (GET /payments), for administrators, newest first, filtered and paged."""

from __future__ import annotations

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

ORDERS = "/api/v1/orders"
PAYMENTS = "/api/v1/payments"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # No job worker: Bob's refund stays owed (its job due) while the lists are read, instead of
    # being carried out by the mock provider at some moment between two of the test's queries.
    return {
        "payment_webhook_secret": WEBHOOK_SECRET,
        "public_url": "https://shop.example",
        "run_worker": False,
    }


@pytest.fixture
async def store(api: Api) -> dict[str, Any]:
    """Ann places three orders and Bob two, in turn. Ann pays her first (succeeded) and fails to
    pay her second; Bob cancels his first and its payment succeeds after: owed a refund."""
    admin = await api.admin()
    ann = await api.customer("ann@example.com")
    bob = await api.customer("bob@example.com")
    product = await make_product(api, "10.00")
    orders = []
    for n, customer in enumerate((ann, bob, ann, bob, ann)):
        orders.append(await place_order(api, customer, product, quantity=n + 1))
    paid = await start_payment(api, ann, orders[0]["id"])
    assert (await deliver(api, event(paid, "succeeded"))).status_code == 200
    failed = await start_payment(api, ann, orders[2]["id"])
    assert (await deliver(api, event(failed, "failed"))).status_code == 200
    refund = await start_payment(api, bob, orders[1]["id"])
    assert (await api.client.post(f"{ORDERS}/{orders[1]['id']}/cancel", headers=bob)).status_code == 200
    assert (await deliver(api, event(refund, "succeeded"))).status_code == 200
    users = {"ann": orders[0]["user_id"], "bob": orders[1]["user_id"]}
    ids = [o["id"] for o in orders]
    return {
        "admin": admin,
        "ann": ann,
        "bob": bob,
        "orders": ids,
        "created": [o["created_at"] for o in orders],
        "payments": [paid["id"], failed["id"], refund["id"]],
        "users": users,
    }


async def listed(api: Api, path: str, headers: Headers, **query: Any) -> list[dict[str, Any]]:
    response = await api.client.get(path, params=query, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def order_ids(api: Api, store: dict[str, Any], **query: Any) -> list[int]:
    return [o["id"] for o in await listed(api, ORDERS, store["admin"], **query)]


async def payment_ids(api: Api, store: dict[str, Any], **query: Any) -> list[int]:
    return [p["id"] for p in await listed(api, PAYMENTS, store["admin"], **query)]


async def test_every_order_newest_first_in_the_shape_customers_see(api: Api, store: dict[str, Any]) -> None:
    everything = await listed(api, ORDERS, store["admin"])
    assert [o["id"] for o in everything] == store["orders"][::-1]
    anns = await listed(api, f"{ORDERS}/me", store["ann"])
    assert [o for o in everything if o["user_id"] == store["users"]["ann"]] == anns
    assert everything[0]["items"][0]["quantity"] == 5
    assert everything[0]["total_price"] == "50.00"
    assert [o["status"] for o in everything] == ["pending", "pending", "pending", "cancelled", "paid"]


async def test_orders_filtered_by_status_customer_and_time_and_combined(
    api: Api, store: dict[str, Any]
) -> None:
    ids, created, users = store["orders"], store["created"], store["users"]
    assert await order_ids(api, store, status="paid") == [ids[0]]
    assert await order_ids(api, store, status="pending") == [ids[4], ids[3], ids[2]]
    assert await order_ids(api, store, status="shipped") == []
    assert await order_ids(api, store, user_id=users["bob"]) == [ids[3], ids[1]]
    assert await order_ids(api, store, user_id=users["ann"], status="pending") == [ids[4], ids[2]]
    # `created_*` are inclusive: the bounds are the second and fourth orders' own timestamps.
    assert await order_ids(api, store, created_from=created[1], created_to=created[3]) == ids[1:4][::-1]
    assert await order_ids(api, store, created_from=created[3]) == [ids[4], ids[3]]
    assert await order_ids(api, store, created_to=created[1]) == [ids[1], ids[0]]
    assert await order_ids(api, store, created_from=created[2], created_to=created[2]) == [ids[2]]
    every = {
        "status": "pending",
        "user_id": users["ann"],
        "created_from": created[1],
        "created_to": created[3],
    }
    assert await order_ids(api, store, **every) == [ids[2]]


async def test_time_bounds_take_any_offset_and_no_offset_means_utc(api: Api, store: dict[str, Any]) -> None:
    first = store["created"][0]  # "…Z"
    as_plus_three = (await listed(api, ORDERS, store["admin"], created_to="2999-01-01T03:00:00+03:00"))[-1]
    assert as_plus_three["created_at"] == first
    naive = first.removesuffix("Z")
    assert await order_ids(api, store, created_to=naive) == [store["orders"][0]]
    assert await order_ids(api, store, created_from="9999-12-31T23:00:00-05:00") == []
    assert len(await order_ids(api, store, created_from="0001-01-01T00:00:00+05:00")) == 5


@pytest.mark.parametrize("user_id", [2**63 - 1, 2**63, 2**70, 0, -1])
async def test_a_customer_beyond_the_ids_range_has_no_orders(
    api: Api, store: dict[str, Any], user_id: int
) -> None:
    assert await order_ids(api, store, user_id=user_id) == []


async def test_order_pages_follow_the_same_order(api: Api, store: dict[str, Any]) -> None:
    ids = store["orders"][::-1]
    assert await order_ids(api, store, limit=2) == ids[:2]
    assert await order_ids(api, store, limit=2, offset=2) == ids[2:4]
    assert await order_ids(api, store, limit=2, offset=4) == ids[4:]
    assert await order_ids(api, store, offset=5) == []
    assert await order_ids(api, store, offset=2**63 - 1) == []
    assert await order_ids(api, store, limit=100) == ids


async def test_every_payment_newest_first_in_the_shape_of_one_payment(
    api: Api, store: dict[str, Any]
) -> None:
    everything = await listed(api, PAYMENTS, store["admin"])
    assert [p["id"] for p in everything] == store["payments"][::-1]
    for payment in everything:
        one = await api.client.get(f"{PAYMENTS}/{payment['id']}", headers=store["admin"])
        assert one.json() == payment


async def test_payments_filtered_by_status_provider_and_refund_and_paged(
    api: Api, store: dict[str, Any]
) -> None:
    paid, failed, refund = store["payments"]
    assert await payment_ids(api, store, status="succeeded") == [refund, paid]
    assert await payment_ids(api, store, status="failed") == [failed]
    assert await payment_ids(api, store, status="pending") == []
    assert await payment_ids(api, store, provider="mock") == [refund, failed, paid]
    assert await payment_ids(api, store, provider="stripe") == []
    assert await payment_ids(api, store, refund_required="true") == [refund]
    assert await payment_ids(api, store, refund_required="false") == [failed, paid]
    assert await payment_ids(api, store, status="succeeded", provider="mock", refund_required="false") == [
        paid
    ]
    assert await payment_ids(api, store, limit=1, offset=1) == [failed]
    assert await payment_ids(api, store, offset=3) == []


@pytest.mark.parametrize("path", [ORDERS, PAYMENTS])
async def test_the_lists_answer_with_and_without_a_trailing_slash(
    api: Api, store: dict[str, Any], path: str
) -> None:
    bare = await api.client.get(path, headers=store["admin"])
    slashed = await api.client.get(f"{path}/", headers=store["admin"])
    assert bare.status_code == slashed.status_code == 200
    assert bare.json() == slashed.json() and len(bare.json()) >= 3


@pytest.mark.parametrize("path", [ORDERS, f"{ORDERS}/", PAYMENTS, f"{PAYMENTS}/"])
async def test_the_lists_are_for_administrators_only(api: Api, path: str) -> None:
    anonymous = await api.client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    customer = await api.client.get(path, headers=await api.customer())
    assert customer.status_code == 403
    assert customer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (ORDERS, {"status": "lost"}, "status"),
        (ORDERS, {"status": ""}, "status"),
        (ORDERS, {"user_id": "ann"}, "user_id"),
        (ORDERS, {"user_id": "1.5"}, "user_id"),
        (ORDERS, {"created_from": "yesterday"}, "created_from"),
        (ORDERS, {"created_from": "2026-01-01"}, "created_from"),  # a date alone is not a moment
        (ORDERS, {"created_to": "2026-13-01T00:00:00Z"}, "created_to"),
        (ORDERS, {"created_to": "2026-01-01T24:30:00Z"}, "created_to"),
        (
            ORDERS,
            {"created_from": "2026-01-02T00:00:00Z", "created_to": "2026-01-01T23:59:59Z"},
            "created_to",
        ),
        (ORDERS, {"limit": "0"}, "limit"),
        (ORDERS, {"limit": "101"}, "limit"),
        (ORDERS, {"offset": "-1"}, "offset"),
        (PAYMENTS, {"status": "paid"}, "status"),
        (PAYMENTS, {"refund_required": "maybe"}, "refund_required"),
        (PAYMENTS, {"provider": ""}, "provider"),
        (PAYMENTS, {"provider": "mo\x00ck"}, "provider"),
        (PAYMENTS, {"provider": "mo ck"}, "provider"),
        (PAYMENTS, {"provider": "x" * 33}, "provider"),
        (PAYMENTS, {"limit": "101"}, "limit"),
        (PAYMENTS, {"offset": "-1"}, "offset"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    api: Api, path: str, query: dict[str, str], field: str
) -> None:
    response = await api.client.get(path, params=query, headers=await api.admin())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


_NOT_OF_TYPE = {"integer": "twelve", "boolean": "maybe", "date-time": "not-a-time"}


def _bad_value(schema: dict[str, Any]) -> str | None:
    """A value the parameter's schema refuses, by its type alone (None: no such value)."""
    for variant in schema.get("oneOf", [schema]):
        if "$ref" in variant:
            return "no-such-value"  # every referenced query schema is an enum or money
        types = variant.get("type")
        kinds = [types] if isinstance(types, str) else list(types or [])
        if variant.get("format") == "date-time":
            kinds = ["date-time"]
        for kind in kinds:
            if kind in _NOT_OF_TYPE:
                return _NOT_OF_TYPE[kind]
    return None


async def test_every_typed_query_parameter_of_every_list_refuses_a_wrong_value_with_422(api: Api) -> None:
    """Swept from the OpenAPI document: each GET without path parameters, each of its query
    parameters with a value of the wrong type, and `limit`/`offset` out of range, as an admin."""
    admin = await api.admin()
    document = (await api.client.get("/docs/openapi.json")).json()
    swept: list[tuple[str, str]] = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            bad = [_bad_value(parameter["schema"])]
            if parameter["name"] == "limit":
                bad += ["0", "101"]
            if parameter["name"] == "offset":
                bad += ["-1"]
            for value in filter(None, bad):
                response = await api.client.get(path, params={parameter["name"]: value}, headers=admin)
                assert response.status_code == 422, (path, parameter["name"], value, response.text)
                swept.append((path, parameter["name"]))
    assert {("/api/v1/orders", name) for name in ("status", "user_id", "created_from", "created_to")} <= set(
        swept
    )
    assert {("/api/v1/payments", name) for name in ("status", "refund_required", "limit")} <= set(swept)
