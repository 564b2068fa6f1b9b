"""The work's effect recorded on its idempotency key atomically (memory twin; SQL in tests/integration).

A crash between the work's commit and the storing of its answer is simulated by
driving the store and the use cases directly: claim, do the work under the
lease, never complete, let the lease lapse, claim again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from application.orders.place_order import PlaceOrder
from application.payments.start_payment import StartPayment
from application.ports import (
    LEASE,
    CheckoutRequest,
    ClaimOutcome,
    IdempotencyScope,
    Lease,
    NewCategory,
    NewProduct,
    ProviderPayment,
    StoredResponse,
    holding,
)
from domain.errors import Conflict, DependencyUnavailable, InvalidTransition
from domain.money import Money
from domain.orders import ItemRequest, Order, OrderLine
from domain.payments import PaymentStatus
from tests.fakes import INSTALLATION, MemoryDatabase, MemoryIdempotencyStore, MemoryUnitOfWork
from tests.unit.conftest import CUSTOMER, SteppingClock

SCOPE = IdempotencyScope(CUSTOMER.user_id, "POST /api/v1/orders", "k")


@pytest.fixture
def store(memory: MemoryDatabase) -> MemoryIdempotencyStore:
    return MemoryIdempotencyStore(memory)


@pytest.fixture
async def tea(uow: MemoryUnitOfWork, clock: SteppingClock) -> int:
    async with uow:
        category = await uow.categories.add(NewCategory("Tea", "tea"), clock.now())
        product = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 5), clock.now())
        await uow.commit()
    return product.id


async def started(
    store: MemoryIdempotencyStore, clock: SteppingClock, scope: IdempotencyScope = SCOPE
) -> Lease:
    claim = await store.claim(scope, "print", clock.now())
    assert claim.outcome is ClaimOutcome.STARTED and claim.lease is not None
    return claim.lease


async def orders_of_customer(uow: MemoryUnitOfWork) -> list[Order]:
    async with uow:
        return await uow.orders.list_for_user(CUSTOMER.user_id, None, 100, 0)


async def stock(uow: MemoryUnitOfWork, product_id: int) -> int | None:
    async with uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.stock


async def test_a_retry_after_a_crash_between_the_order_and_its_answer_resumes_the_first_order(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, tea: int
) -> None:
    lease = await started(store, clock)
    with holding(lease):
        first = await PlaceOrder(uow, clock, "RUB")(CUSTOMER, [ItemRequest(tea, 2)])
    # The process dies here: the order is committed, its answer never stored.
    retry = await store.claim(SCOPE, "print", clock.now() + LEASE)
    assert retry.outcome is ClaimOutcome.RESUME
    assert retry.resource_id == first.id and retry.lease is not None
    assert [o.id for o in await orders_of_customer(uow)] == [first.id]
    assert await stock(uow, tea) == 3
    await store.complete(retry.lease, StoredResponse(201, b"first", "application/json"))
    replay = await store.claim(SCOPE, "print", clock.now() + LEASE)
    assert replay.outcome is ClaimOutcome.REPLAY and replay.response is not None
    assert replay.response.body == b"first"


async def test_a_refused_order_records_nothing_and_the_key_starts_afresh_after_the_lease(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, tea: int
) -> None:
    lease = await started(store, clock)
    with holding(lease), pytest.raises(Conflict):
        await PlaceOrder(uow, clock, "RUB")(CUSTOMER, [ItemRequest(tea, 6)])
    assert (await store.claim(SCOPE, "print", clock.now() + LEASE)).outcome is ClaimOutcome.STARTED


async def test_a_request_whose_lapsed_claim_was_taken_over_places_nothing(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, tea: int
) -> None:
    slow = await started(store, clock)
    retry = await store.claim(SCOPE, "print", clock.now() + LEASE)
    assert retry.outcome is ClaimOutcome.STARTED and retry.lease is not None
    with holding(slow), pytest.raises(Conflict, match="taken over"):
        await PlaceOrder(uow, clock, "RUB")(CUSTOMER, [ItemRequest(tea, 1)])
    assert await orders_of_customer(uow) == []
    assert await stock(uow, tea) == 5
    await store.complete(slow, StoredResponse(409, b"late", "application/json"))  # changes nothing
    with holding(retry.lease):
        placed = await PlaceOrder(uow, clock, "RUB")(CUSTOMER, [ItemRequest(tea, 1)])
    assert [o.id for o in await orders_of_customer(uow)] == [placed.id]


async def test_an_abandoned_claim_with_its_work_done_is_released_for_an_immediate_resume(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, tea: int
) -> None:
    lease = await started(store, clock)
    with holding(lease):
        first = await PlaceOrder(uow, clock, "RUB")(CUSTOMER, [ItemRequest(tea, 1)])
    await store.abandon(lease)  # e.g. the client went away after the commit
    retry = await store.claim(SCOPE, "print", clock.now())
    assert retry.outcome is ClaimOutcome.RESUME and retry.resource_id == first.id
    assert (await store.claim(SCOPE, "print", clock.now())).outcome is ClaimOutcome.IN_PROGRESS


async def test_an_abandoned_claim_without_work_done_is_forgotten(
    store: MemoryIdempotencyStore, clock: SteppingClock
) -> None:
    lease = await started(store, clock)
    await store.abandon(lease)
    assert (await store.claim(SCOPE, "other print", clock.now())).outcome is ClaimOutcome.STARTED


async def test_an_order_rolled_back_leaves_no_resource_on_the_key(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock
) -> None:
    lease = await started(store, clock)
    async with uow:
        assert await uow.idempotency.record(lease, 99)
        # no commit: the unit of work rolls the record back with the rest
    assert (await store.claim(SCOPE, "print", clock.now() + LEASE)).outcome is ClaimOutcome.STARTED


# ---- payments -----------------------------------------------------------------------

PAY_SCOPE = IdempotencyScope(CUSTOMER.user_id, "POST /api/v1/payments/orders/1", "p")


class Crash(BaseException):
    """The process dying mid-request."""


class CrashingGateway(MockGateway):
    def __init__(self, clock: SteppingClock) -> None:
        super().__init__("whsec-unit", "https://shop.example", clock)
        self.crash_next = True

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        if self.crash_next:
            self.crash_next = False
            raise Crash
        return await super().create_payment(request)


class BrokenGateway(MockGateway):
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        raise DependencyUnavailable("provider down")


class OtherGateway(MockGateway):
    """A second provider that opens payments."""

    @property
    def name(self) -> str:
        return "other"


@pytest.fixture
async def order(uow: MemoryUnitOfWork, clock: SteppingClock) -> Order:
    line = OrderLine(product_id=1, product_name="Green tea", quantity=2, unit_price=Money(14_990, "RUB"))
    async with uow:
        placed = await uow.orders.add(Order.place(CUSTOMER.user_id, [line], "RUB", clock.now()))
        await uow.commit()
    return placed


async def test_a_retry_after_a_crash_before_the_payment_was_opened_resumes_and_opens_that_payment(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, order: Order
) -> None:
    start = StartPayment(uow, Gateways([CrashingGateway(clock)]), clock, INSTALLATION)
    lease = await started(store, clock, PAY_SCOPE)
    with holding(lease), pytest.raises(Crash):
        await start(CUSTOMER, order.id)
    retry = await store.claim(PAY_SCOPE, "print", clock.now() + LEASE)
    assert retry.outcome is ClaimOutcome.RESUME and retry.resource_id is not None
    assert retry.lease is not None
    with holding(retry.lease, resuming=retry.resource_id):
        payment = await start(CUSTOMER, order.id)  # answers from the recorded payment
        assert payment.id == retry.resource_id
        assert payment.status is PaymentStatus.CREATED and payment.checkout_url is not None
        async with uow:
            assert [p.id for p in await uow.payments.list_for_order(order.id, 10, 0)] == [payment.id]
        assert await start.resume(CUSTOMER, payment.id) == payment  # opened once


async def test_a_payment_the_provider_could_not_reach_stays_created_so_a_retry_resumes_it(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, order: Order
) -> None:
    lease = await started(store, clock, PAY_SCOPE)
    with holding(lease), pytest.raises(DependencyUnavailable):
        await StartPayment(
            uow, Gateways([BrokenGateway("whsec-unit", "https://shop.example", clock)]), clock, INSTALLATION
        )(CUSTOMER, order.id)
    await store.abandon(lease)  # what the HTTP helper does with a 503
    retry = await store.claim(PAY_SCOPE, "print", clock.now() + timedelta(seconds=1))
    assert retry.outcome is ClaimOutcome.RESUME
    assert retry.lease is not None
    working = StartPayment(
        uow, Gateways([MockGateway("whsec-unit", "https://shop.example", clock)]), clock, INSTALLATION
    )
    with holding(retry.lease, resuming=retry.resource_id):
        resumed = await working(CUSTOMER, order.id)
    assert resumed.id == retry.resource_id
    assert (resumed.status, resumed.provider_payment_id is not None) == (PaymentStatus.CREATED, True)


async def test_a_retry_of_a_payment_replaced_before_it_was_opened_is_refused_not_answered_created(
    store: MemoryIdempotencyStore, uow: MemoryUnitOfWork, clock: SteppingClock, order: Order
) -> None:
    """The key's first start could not reach its provider (503, the payment stays `created`); a
    start for another provider then retired that payment. The retry under the key has no
    checkout page to give: 409 naming what happened, never a 201 with a canceled payment."""
    lease = await started(store, clock, PAY_SCOPE)
    broken = BrokenGateway("whsec-unit", "https://shop.example", clock)
    with holding(lease), pytest.raises(DependencyUnavailable):
        await StartPayment(uow, Gateways([broken]), clock, INSTALLATION)(CUSTOMER, order.id)
    await store.abandon(lease)
    other = OtherGateway("whsec-unit", "https://shop.example", clock)
    replacing = StartPayment(uow, Gateways([broken, other]), clock, INSTALLATION)
    replacement = await replacing(CUSTOMER, order.id, other.name)
    retry = await store.claim(PAY_SCOPE, "print", clock.now() + timedelta(seconds=1))
    assert retry.outcome is ClaimOutcome.RESUME and retry.lease is not None
    assert retry.resource_id != replacement.id
    with holding(retry.lease, resuming=retry.resource_id), pytest.raises(InvalidTransition) as refused:
        await replacing(CUSTOMER, order.id)
    assert "canceled before it was opened" in refused.value.message
