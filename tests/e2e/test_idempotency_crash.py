"""A process that dies between committing the work and storing its answer, on SQLite and PostgreSQL.

The first request is played by hand against the app's database: the key is
claimed (long enough ago for its lease to have lapsed) and the use case runs
under that lease, but the answer is never stored. The client's retry through
the API must answer with that first order or payment, never make a second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.clock import SystemUtcClock
from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from adapters.sql.database import Database, create_engine
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.payments.start_payment import StartPayment
from application.ports import CheckoutRequest, ClaimOutcome, IdempotencyScope, Lease, ProviderPayment, holding
from domain.orders import ItemRequest
from domain.users import Actor, Role
from entrypoints.http.idempotency import fingerprint
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, Headers, make_product, place_order
from tests.fakes import INSTALLATION

ORDERS = "/api/v1/orders"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET, "public_url": "https://shop.example"}


@pytest.fixture
async def db(app_database_url: str) -> Any:
    database = Database(create_engine(app_database_url, pool_size=2))
    yield database
    await database.dispose()


async def caller(api: Api, headers: Headers) -> Actor:
    me = (await api.client.get("/api/v1/auth/me", headers=headers)).json()
    return Actor(int(me["id"]), Role.CUSTOMER)


async def lapsed_claim(db: Database, scope: IdempotencyScope, body: bytes) -> Lease:
    """The first request's claim, made long enough ago that its lease has lapsed."""
    claim = await SqlIdempotencyStore(db).claim(
        scope, fingerprint(body), datetime.now(UTC) - timedelta(minutes=2)
    )
    assert claim.outcome is ClaimOutcome.STARTED and claim.lease is not None
    return claim.lease


async def test_a_retry_after_a_crash_between_the_order_and_its_answer_replays_that_order(
    api: Api, db: Database
) -> None:
    tea = await make_product(api, "5.00", stock=10)
    ann = {**await api.customer(), "Idempotency-Key": "died"}
    actor = await caller(api, ann)
    body = {"items": [{"product_id": tea, "quantity": 2}]}
    raw = f'{{"items":[{{"product_id":{tea},"quantity":2}}]}}'.encode()
    lease = await lapsed_claim(db, IdempotencyScope(actor.user_id, f"POST {ORDERS}", "died"), raw)
    with holding(lease):
        first = await PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")(actor, [ItemRequest(tea, 2)])
    # ... and the process died before the answer was stored.

    retry = await api.client.post(ORDERS, json=body, headers=ann)
    assert retry.status_code == 201, retry.text
    assert retry.json()["id"] == first.id
    assert retry.json()["total_price"] == "10.00"
    assert retry.headers["idempotent-replayed"] == "true"
    again = await api.client.post(ORDERS, json=body, headers=ann)
    assert again.status_code == 201 and again.json() == retry.json()
    assert [o["id"] for o in (await api.client.get(f"{ORDERS}/me", headers=ann)).json()] == [first.id]
    assert (await api.client.get(f"/api/v1/products/{tea}")).json()["stock"] == 8


class Crash(BaseException):
    """The process dying mid-request."""


class CrashingGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise Crash


async def test_a_retry_after_a_crash_before_the_payment_was_opened_opens_and_answers_that_payment(
    api: Api, db: Database
) -> None:
    ann = {**await api.customer(), "Idempotency-Key": "pay-died"}
    order = await place_order(api, ann, await make_product(api, "149.90", stock=10), quantity=2)
    actor = await caller(api, ann)
    path = f"/api/v1/payments/orders/{order['id']}"
    lease = await lapsed_claim(db, IdempotencyScope(actor.user_id, f"POST {path}", "pay-died"), b"")
    clock = SystemUtcClock()
    gateway = CrashingGateway(WEBHOOK_SECRET, "https://shop.example", clock)
    with holding(lease), pytest.raises(Crash):
        await StartPayment(SqlUnitOfWork(db), Gateways([gateway]), clock, INSTALLATION)(actor, order["id"])

    retry = await api.client.post(path, headers=ann)
    assert retry.status_code == 201, retry.text
    payment = retry.json()
    assert payment["status"] == "created" and payment["checkout_url"].startswith("https://shop.example/")
    assert retry.headers["idempotent-replayed"] == "true"
    again = await api.client.post(path, headers=ann)
    assert again.status_code == 201 and again.json() == payment
    listed = (await api.client.get(f"/api/v1/orders/{order['id']}/payments", headers=ann)).json()
    assert [p["id"] for p in listed] == [payment["id"]]
