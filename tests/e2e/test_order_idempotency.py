"""`Idempotency-Key` on POST /orders, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.sql.database import Database, create_engine
from adapters.sql.idempotency import SqlIdempotencyStore
from application.ports import ClaimOutcome, IdempotencyScope, StoredResponse
from entrypoints.http.idempotency import fingerprint
from tests.e2e.conftest import Api
from tests.e2e.test_orders import ORDERS, make_category, make_product, stock_of

Headers = dict[str, str]


@pytest.fixture
async def tea(api: Api) -> int:
    admin = await api.admin()
    return await make_product(api, admin, await make_category(api, admin), "Green tea", "5.00", stock=10)


def body(product_id: int, quantity: int = 1) -> dict[str, Any]:
    return {"items": [{"product_id": product_id, "quantity": quantity}]}


async def order_count(api: Api, headers: Headers) -> int:
    return len((await api.client.get(f"{ORDERS}/me", headers=headers)).json())


async def user_id(api: Api, headers: Headers) -> int:
    return int((await api.client.get("/api/v1/auth/me", headers=headers)).json()["id"])


async def test_a_retry_with_the_same_key_replays_the_first_answer_and_creates_nothing(
    api: Api, tea: int
) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "order-1"}
    first = await api.client.post(ORDERS, json=body(tea, 2), headers=ann)
    again = await api.client.post(ORDERS, json=body(tea, 2), headers=ann)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await order_count(api, ann) == 1
    assert await stock_of(api, tea) == 8


async def test_the_same_json_spaced_or_ordered_differently_counts_as_the_same_body(
    api: Api, tea: int
) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "k", "Content-Type": "application/json"}
    first = await api.client.post(
        ORDERS, content=f'{{"items":[{{"product_id":{tea},"quantity":1}}]}}', headers=ann
    )
    again = await api.client.post(
        ORDERS, content=f'{{ "items": [ {{ "quantity": 1, "product_id": {tea} }} ] }}', headers=ann
    )
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


async def test_a_4xx_answer_is_replayed_too(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "too-many"}
    first = await api.client.post(ORDERS, json=body(tea, 50), headers=ann)
    assert first.status_code == 409
    await api.client.patch(f"/api/v1/products/{tea}", json={"stock": 100}, headers=await api.admin())
    again = await api.client.post(ORDERS, json=body(tea, 50), headers=ann)
    assert again.status_code == 409
    assert again.json() == first.json()
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_the_same_key_with_a_different_body_is_422(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "order-1"}
    assert (await api.client.post(ORDERS, json=body(tea, 1), headers=ann)).status_code == 201
    response = await api.client.post(ORDERS, json=body(tea, 2), headers=ann)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await order_count(api, ann) == 1


async def test_keys_of_different_users_never_collide(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "same"}
    bob = {**await api.customer("bob@example.com"), "Idempotency-Key": "same"}
    first = await api.client.post(ORDERS, json=body(tea, 1), headers=ann)
    other = await api.client.post(ORDERS, json=body(tea, 3), headers=bob)
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]
    assert await stock_of(api, tea) == 6


@pytest.mark.parametrize("key", [b"", b"x" * 256, b"has space", "ключ".encode(), b"tab\there"])
async def test_an_empty_too_long_or_invisible_key_is_422(api: Api, tea: int, key: bytes) -> None:
    ann = await api.customer()
    headers = {**{name.encode(): value.encode() for name, value in ann.items()}, b"idempotency-key": key}
    response = await api.client.post(ORDERS, json=body(tea), headers=headers)
    assert response.status_code == 422, response.text
    assert await order_count(api, ann) == 0


async def test_a_key_of_255_visible_characters_is_accepted(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "!~" + "k" * 253}
    assert (await api.client.post(ORDERS, json=body(tea), headers=ann)).status_code == 201


async def test_concurrent_requests_with_one_key_create_one_order(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "race"}
    responses = await asyncio.gather(
        *[api.client.post(ORDERS, json=body(tea), headers=ann) for _ in range(10)]
    )
    codes = [r.status_code for r in responses]
    assert set(codes) <= {201, 409}, codes
    assert codes.count(201) >= 1
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert await order_count(api, ann) == 1
    assert await stock_of(api, tea) == 9


async def _store(url: str) -> tuple[SqlIdempotencyStore, Database]:
    db = Database(create_engine(url))
    return SqlIdempotencyStore(db), db


async def test_while_the_first_request_is_running_another_with_its_key_is_409(
    api: Api, tea: int, app_database_url: str
) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "slow"}
    store, db = await _store(app_database_url)
    try:
        scope = IdempotencyScope(await user_id(api, ann), f"POST {ORDERS}", "slow")
        request = f'{{"items":[{{"product_id":{tea},"quantity":1}}]}}'.encode()
        claim = await store.claim(scope, fingerprint(request), datetime.now(UTC))
        assert claim.outcome is ClaimOutcome.STARTED
        response = await api.client.post(ORDERS, json=body(tea), headers=ann)
        assert response.status_code == 409
        assert "still being processed" in response.json()["detail"]
    finally:
        await db.dispose()
    assert await order_count(api, ann) == 0


async def test_a_claim_left_by_a_crashed_request_lapses_and_the_key_works_again(
    api: Api, tea: int, app_database_url: str
) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "crashed"}
    store, db = await _store(app_database_url)
    try:
        scope = IdempotencyScope(await user_id(api, ann), f"POST {ORDERS}", "crashed")
        request = f'{{"items":[{{"product_id":{tea},"quantity":1}}]}}'.encode()
        long_ago = datetime.now(UTC) - timedelta(minutes=2)
        assert (await store.claim(scope, fingerprint(request), long_ago)).outcome is ClaimOutcome.STARTED
    finally:
        await db.dispose()
    response = await api.client.post(ORDERS, json=body(tea), headers=ann)
    assert response.status_code == 201
    again = await api.client.post(ORDERS, json=body(tea), headers=ann)
    assert again.json()["id"] == response.json()["id"]


async def test_a_key_is_forgotten_after_24_hours(api: Api, tea: int, app_database_url: str) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "old"}
    store, db = await _store(app_database_url)
    try:
        scope = IdempotencyScope(await user_id(api, ann), f"POST {ORDERS}", "old")
        yesterday = datetime.now(UTC) - timedelta(hours=24, minutes=1)
        claim = await store.claim(scope, fingerprint(b"{}"), yesterday)
        assert claim.lease is not None
        await store.complete(claim.lease, StoredResponse(201, b"{}", "application/json"))
    finally:
        await db.dispose()
    response = await api.client.post(ORDERS, json=body(tea), headers=ann)
    assert response.status_code == 201
    assert response.json()["items"]


async def test_the_key_is_scoped_to_the_concrete_path(api: Api, tea: int) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "k"}
    first = await api.client.post(ORDERS, json=body(tea), headers=ann)
    with_slash = await api.client.post(f"{ORDERS}/", json=body(tea), headers=ann)
    assert with_slash.json()["id"] == first.json()["id"]
