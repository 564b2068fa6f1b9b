"""The order timeline over HTTP, on SQLite and PostgreSQL: what each change records, and who sees it."""

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

ORDERS = "/api/v1/orders"
EVENT_FIELDS = ["id", "order_id", "type", "from_status", "to_status", "actor", "detail", "created_at"]
Step = tuple[str, str | None, str | None, str]


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


async def events(api: Api, headers: Headers, order_id: int, query: str = "") -> list[dict[str, Any]]:
    response = await api.client.get(f"{ORDERS}/{order_id}/events{query}", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def steps(api: Api, headers: Headers, order_id: int) -> list[Step]:
    return [
        (e["type"], e["from_status"], e["to_status"], e["actor"])
        for e in await events(api, headers, order_id)
    ]


async def test_place_pay_ship_deliver_is_the_timeline_oldest_first(
    api: Api, ann: Headers, order: dict[str, Any]
) -> None:
    admin = await api.admin()
    payment = await start_payment(api, ann, order["id"])
    assert (await deliver(api, event(payment, "pending"))).status_code == 200
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    assert (await api.client.post(f"{ORDERS}/{order['id']}/ship", headers=admin)).status_code == 200
    assert (await api.client.post(f"{ORDERS}/{order['id']}/deliver", headers=admin)).status_code == 200

    timeline = await events(api, ann, order["id"])
    assert [list(e) for e in timeline] == [EVENT_FIELDS] * len(timeline)
    assert [(e["type"], e["from_status"], e["to_status"], e["actor"]) for e in timeline] == [
        ("placed", None, "pending", "customer"),
        ("payment_started", None, None, "customer"),
        ("payment_pending", None, None, "provider"),
        ("payment_succeeded", None, None, "provider"),
        ("paid", "pending", "paid", "provider"),
        ("shipped", "paid", "shipped", "admin"),
        ("delivered", "shipped", "delivered", "admin"),
    ]
    assert {e["order_id"] for e in timeline} == {order["id"]}
    assert [e["id"] for e in timeline] == sorted(e["id"] for e in timeline)
    assert [e["created_at"] for e in timeline] == sorted(e["created_at"] for e in timeline)
    assert timeline[0]["created_at"] == order["created_at"]
    assert timeline[1]["detail"] == "via mock" and timeline[0]["detail"] is None
    assert await events(api, admin, order["id"]) == timeline
    assert await events(api, ann, order["id"], "?limit=2&offset=3") == timeline[3:5]


@pytest.mark.parametrize("who", ["customer", "admin"])
async def test_a_cancel_is_recorded_by_who_cancelled(
    api: Api, ann: Headers, order: dict[str, Any], who: str
) -> None:
    headers = ann if who == "customer" else await api.admin()
    assert (await api.client.post(f"{ORDERS}/{order['id']}/cancel", headers=headers)).status_code == 200
    assert await steps(api, ann, order["id"]) == [
        ("placed", None, "pending", "customer"),
        ("cancelled", "pending", "cancelled", who),
    ]
    # A refused move (409) records nothing.
    assert (await api.client.post(f"{ORDERS}/{order['id']}/cancel", headers=ann)).status_code == 409
    assert len(await events(api, ann, order["id"])) == 2


async def test_a_failed_payment_names_its_reason(api: Api, ann: Headers, order: dict[str, Any]) -> None:
    payment = await start_payment(api, ann, order["id"])
    assert (await deliver(api, event(payment, "failed", fail_reason="card declined"))).status_code == 200
    last = (await events(api, ann, order["id"]))[-1]
    assert (last["type"], last["actor"], last["detail"], last["to_status"]) == (
        "payment_failed",
        "provider",
        "card declined",
        None,
    )


async def test_duplicate_and_ignored_webhooks_add_nothing(
    api: Api, ann: Headers, order: dict[str, Any]
) -> None:
    payment = await start_payment(api, ann, order["id"])
    success = event(payment, "succeeded")
    assert (await deliver(api, success)).status_code == 200
    before = await events(api, ann, order["id"])
    assert [e["type"] for e in before][-2:] == ["payment_succeeded", "paid"]

    assert (await deliver(api, success)).status_code == 200  # the same event again
    assert (await deliver(api, event(payment, "pending"))).status_code == 200  # backwards: ignored
    assert (await deliver(api, event(payment, "failed"))).status_code == 200  # out of a final status
    assert await events(api, ann, order["id"]) == before


async def test_another_users_order_has_no_timeline_for_them(api: Api, order: dict[str, Any]) -> None:
    bob = await api.customer("bob@example.com")
    response = await api.client.get(f"{ORDERS}/{order['id']}/events", headers=bob)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await api.client.get(f"{ORDERS}/{order['id'] + 1000}/events", headers=bob)).status_code == 404
    assert (await api.client.get(f"{ORDERS}/{order['id']}/events")).status_code == 401


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?offset=-1", "?limit=x"])
async def test_bad_paging_is_422(api: Api, ann: Headers, order: dict[str, Any], query: str) -> None:
    response = await api.client.get(f"{ORDERS}/{order['id']}/events{query}", headers=ann)
    assert response.status_code in (400, 422), response.text


async def test_the_document_names_every_event_type_and_actor(api: Api) -> None:
    document = (await api.client.get("/docs/openapi.json")).json()
    operation = document["paths"]["/api/v1/orders/{order_id}/events"]["get"]
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    schemas = document["components"]["schemas"]
    out = schemas[item["$ref"].rsplit("/", 1)[-1]]
    assert sorted(out["properties"]) == sorted(EVENT_FIELDS)

    def enum_of(schema: dict[str, Any]) -> set[str]:
        if "$ref" in schema:
            return enum_of(schemas[schema["$ref"].rsplit("/", 1)[-1]])
        found = set(schema.get("enum", []))
        for option in schema.get("oneOf", []) + schema.get("anyOf", []):
            found |= enum_of(option)
        return found

    assert enum_of(out["properties"]["actor"]) == {"customer", "admin", "system", "provider"}
    assert enum_of(out["properties"]["type"]) == {
        "placed", "cancelled", "expired", "payment_started", "payment_pending", "payment_succeeded",
        "payment_failed", "payment_canceled", "paid", "shipped", "delivered", "refund_requested",
        "refund_succeeded", "refund_failed", "refunded",
    }  # fmt: skip
    assert {"pending", "paid", "cancelled"} <= enum_of(out["properties"]["to_status"])


class TestExpiry:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "payment_webhook_secret": WEBHOOK_SECRET,
            "order_payment_timeout_seconds": 1,
            "order_expiry_interval_seconds": 1,
        }

    async def test_an_expired_order_is_cancelled_by_the_system(
        self, api: Api, ann: Headers, order: dict[str, Any]
    ) -> None:
        deadline = time.monotonic() + 20
        found = await steps(api, ann, order["id"])
        while found[-1][0] != "expired" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            found = await steps(api, ann, order["id"])
        assert found == [
            ("placed", None, "pending", "customer"),
            ("expired", "pending", "cancelled", "system"),
        ]
        await asyncio.sleep(1.5)  # later sweeps add nothing
        assert len(await events(api, ann, order["id"])) == 2
