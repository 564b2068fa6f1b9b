"""The work's effect recorded on its idempotency key in the work's own transaction, on SQLite and PostgreSQL.

A crash between the order's (or payment's) commit and the storing of its
answer is simulated by driving the store and the use cases directly with a
clock the test controls: claim, do the work under the lease, never complete,
let the lease lapse, claim again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from adapters.sql.database import Database
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.payments.start_payment import StartPayment
from application.ports import (
    LEASE,
    CheckoutRequest,
    ClaimOutcome,
    Clock,
    IdempotencyScope,
    Lease,
    NewCategory,
    NewProduct,
    ProviderPayment,
    StoredResponse,
    holding,
)
from domain.errors import Conflict
from domain.money import Money
from domain.orders import ItemRequest, Order, OrderLine
from domain.payments import PaymentStatus
from domain.users import Actor, Role
from tests.fakes import INSTALLATION

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


class FixedClock(Clock):
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def seeded(db: Database) -> dict[str, int]:
    async with SqlUnitOfWork(db) as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tea = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 5), NOW)
        await uow.commit()
    return {"user": user.id, "tea": tea.id}


async def started(store: SqlIdempotencyStore, scope: IdempotencyScope, at: datetime) -> Lease:
    claim = await store.claim(scope, "print", at)
    assert claim.outcome is ClaimOutcome.STARTED and claim.lease is not None
    return claim.lease


async def orders_of(db: Database, user_id: int) -> list[Order]:
    async with SqlUnitOfWork(db) as uow:
        return await uow.orders.list_for_user(user_id, None, 100, 0)


async def stock(db: Database, product_id: int) -> int | None:
    async with SqlUnitOfWork(db) as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.stock


async def test_a_retry_after_a_crash_between_the_order_and_its_answer_resumes_the_first_order(
    db: Database, seeded: dict[str, int]
) -> None:
    ann = Actor(seeded["user"], Role.CUSTOMER)
    scope = IdempotencyScope(ann.user_id, "POST /api/v1/orders", "crash")
    store = SqlIdempotencyStore(db)
    lease = await started(store, scope, NOW)
    with holding(lease):
        first = await PlaceOrder(SqlUnitOfWork(db), FixedClock(), "RUB")(ann, [ItemRequest(seeded["tea"], 2)])
    # The process dies here: the order is committed, its answer never stored.
    later = NOW + LEASE + timedelta(seconds=1)
    retry = await store.claim(scope, "print", later)
    assert retry.outcome is ClaimOutcome.RESUME
    assert retry.resource_id == first.id and retry.lease is not None
    assert (await store.claim(scope, "print", later)).outcome is ClaimOutcome.IN_PROGRESS
    assert [o.id for o in await orders_of(db, ann.user_id)] == [first.id]
    assert await stock(db, seeded["tea"]) == 3
    await store.complete(retry.lease, StoredResponse(201, b"first", "application/json"))
    replay = await store.claim(scope, "print", later)
    assert replay.outcome is ClaimOutcome.REPLAY and replay.response is not None
    assert replay.response.body == b"first"


async def test_a_request_whose_lapsed_claim_was_taken_over_places_nothing(
    db: Database, seeded: dict[str, int]
) -> None:
    ann = Actor(seeded["user"], Role.CUSTOMER)
    scope = IdempotencyScope(ann.user_id, "POST /api/v1/orders", "slow")
    store = SqlIdempotencyStore(db)
    slow = await started(store, scope, NOW)
    retry = await store.claim(scope, "print", NOW + LEASE)
    assert retry.outcome is ClaimOutcome.STARTED and retry.lease is not None
    place = PlaceOrder(SqlUnitOfWork(db), FixedClock(), "RUB")
    with holding(slow), pytest.raises(Conflict, match="taken over"):
        await place(ann, [ItemRequest(seeded["tea"], 1)])
    assert await orders_of(db, ann.user_id) == []
    assert await stock(db, seeded["tea"]) == 5
    await store.complete(slow, StoredResponse(409, b"late", "application/json"))  # changes nothing
    await store.abandon(slow)  # nor does this
    with holding(retry.lease):
        placed = await place(ann, [ItemRequest(seeded["tea"], 1)])
    assert [o.id for o in await orders_of(db, ann.user_id)] == [placed.id]


async def test_a_retry_racing_the_commit_of_the_first_order_resumes_it_instead_of_placing_another(
    db: Database, seeded: dict[str, int]
) -> None:
    ann = Actor(seeded["user"], Role.CUSTOMER)
    scope = IdempotencyScope(ann.user_id, "POST /api/v1/orders", "race")
    store = SqlIdempotencyStore(db)
    lease = await started(store, scope, NOW)
    async with SqlUnitOfWork(db) as uow:
        line = OrderLine(seeded["tea"], "Green", 1, Money(14990, "RUB"))
        order = await uow.orders.add(Order.place(ann.user_id, [line], "RUB", NOW))
        assert await uow.idempotency.record(lease, order.id)
        # The lease lapses while this transaction is about to commit; a retry arrives.
        retry = asyncio.create_task(store.claim(scope, "print", NOW + LEASE + timedelta(seconds=1)))
        await asyncio.sleep(0.3)
        await uow.commit()
    claim = await retry
    assert claim.outcome is ClaimOutcome.RESUME and claim.resource_id == order.id


async def test_an_abandoned_claim_with_its_work_done_is_released_for_an_immediate_resume(
    db: Database, seeded: dict[str, int]
) -> None:
    ann = Actor(seeded["user"], Role.CUSTOMER)
    scope = IdempotencyScope(ann.user_id, "POST /api/v1/orders", "gone")
    store = SqlIdempotencyStore(db)
    lease = await started(store, scope, NOW)
    with holding(lease):
        first = await PlaceOrder(SqlUnitOfWork(db), FixedClock(), "RUB")(ann, [ItemRequest(seeded["tea"], 1)])
    await store.abandon(lease)  # e.g. the client went away right after the commit
    retries = await asyncio.gather(*[store.claim(scope, "print", NOW) for _ in range(4)])
    assert sorted(c.outcome for c in retries) == [ClaimOutcome.IN_PROGRESS] * 3 + [ClaimOutcome.RESUME]
    assert {c.resource_id for c in retries} == {None, first.id}


async def test_a_rolled_back_unit_of_work_leaves_no_resource_on_the_key(
    db: Database, seeded: dict[str, int]
) -> None:
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "rollback")
    store = SqlIdempotencyStore(db)
    lease = await started(store, scope, NOW)
    async with SqlUnitOfWork(db) as uow:
        assert await uow.idempotency.record(lease, 99)
    assert (await store.claim(scope, "print", NOW + LEASE)).outcome is ClaimOutcome.STARTED


class Crash(BaseException):
    """The process dying mid-request."""


class CrashingGateway(MockGateway):
    crash_next = True

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        if self.crash_next:
            self.crash_next = False
            raise Crash
        return await super().create_payment(request)


async def test_a_retry_after_a_crash_before_the_payment_was_opened_resumes_that_payment(
    db: Database, seeded: dict[str, int]
) -> None:
    ann = Actor(seeded["user"], Role.CUSTOMER)
    clock = FixedClock()
    order = await PlaceOrder(SqlUnitOfWork(db), clock, "RUB")(ann, [ItemRequest(seeded["tea"], 1)])
    scope = IdempotencyScope(ann.user_id, f"POST /api/v1/payments/orders/{order.id}", "pay")
    store = SqlIdempotencyStore(db)
    start = StartPayment(
        SqlUnitOfWork(db),
        Gateways([CrashingGateway("whsec", "https://shop.example", clock)]),
        clock,
        INSTALLATION,
    )
    lease = await started(store, scope, NOW)
    with holding(lease), pytest.raises(Crash):
        await start(ann, order.id)
    retry = await store.claim(scope, "print", NOW + LEASE)
    assert retry.outcome is ClaimOutcome.RESUME and retry.resource_id is not None
    assert retry.lease is not None
    with holding(retry.lease):
        payment = await start.resume(ann, retry.resource_id)
    assert payment.id == retry.resource_id
    assert payment.status is PaymentStatus.CREATED and payment.checkout_url is not None
    async with SqlUnitOfWork(db) as uow:
        assert [p.id for p in await uow.payments.list_for_order(order.id, 10, 0)] == [payment.id]
