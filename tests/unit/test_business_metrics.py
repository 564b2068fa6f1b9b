"""Use cases count what operators watch — after their commit, and only what really happened."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.metrics import MemoryMetrics
from adapters.payments.mock.gateway import MockGateway
from adapters.payments.mock.signature import HEADER
from adapters.payments.registry import Gateways
from adapters.rate_limits import LimitsRateLimiter, parse_limits
from application.counted_rate_limiter import CountedRateLimiter
from application.orders.cancel_order import CancelOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.place_order import PlaceOrder
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import NewCategory, NewProduct, RateLimit, WebhookDelivery
from domain.errors import Conflict, InvalidTransition, NotAuthenticated, NotFound, TooManyRequests
from domain.money import Money
from domain.orders import ItemRequest
from domain.payments import PaymentRejected, PaymentStatus
from tests.fakes import INSTALLATION, MemoryUnitOfWork
from tests.unit.conftest import CUSTOMER, SteppingClock


@pytest.fixture
def metrics() -> MemoryMetrics:
    return MemoryMetrics()


@pytest.fixture
async def product_id(uow: MemoryUnitOfWork, clock: SteppingClock) -> int:
    async with uow:
        category = await uow.categories.add(NewCategory(name="Tea", slug="tea"), clock.now())
        product = await uow.products.add(
            NewProduct("Sencha", "", 1_000, "RUB", category.id, stock=3), clock.now()
        )
        await uow.commit()
    return product.id


@pytest.fixture
def place(uow: MemoryUnitOfWork, clock: SteppingClock, metrics: MemoryMetrics) -> PlaceOrder:
    return PlaceOrder(uow, clock, "RUB", metrics)


async def test_a_placed_order_is_counted_and_a_refused_one_is_not(
    place: PlaceOrder, product_id: int, metrics: MemoryMetrics
) -> None:
    await place(CUSTOMER, [ItemRequest(product_id, 2)])
    with pytest.raises(Conflict):
        await place(CUSTOMER, [ItemRequest(product_id, 2)])  # one unit left
    assert metrics.counts == {"orders_placed": 1}


async def test_a_cancellation_is_counted_once(
    uow: MemoryUnitOfWork, clock: SteppingClock, place: PlaceOrder, product_id: int, metrics: MemoryMetrics
) -> None:
    order = await place(CUSTOMER, [ItemRequest(product_id, 1)])
    cancel = CancelOrder(uow, clock, metrics)
    await cancel(CUSTOMER, order.id)
    with pytest.raises(InvalidTransition):
        await cancel(CUSTOMER, order.id)
    assert metrics.counts["orders_cancelled"] == 1


async def test_expired_orders_are_counted_by_number(
    uow: MemoryUnitOfWork, clock: SteppingClock, place: PlaceOrder, product_id: int, metrics: MemoryMetrics
) -> None:
    for _ in range(2):
        await place(CUSTOMER, [ItemRequest(product_id, 1)])
    expire = ExpireOrders(uow, clock, timedelta(0), metrics=metrics)
    assert await expire() == 2
    assert await expire() == 0
    assert metrics.counts["orders_expired"] == 2
    assert "orders_cancelled" not in metrics.counts


@pytest.fixture
def gateway(clock: SteppingClock) -> MockGateway:
    return MockGateway("whsec-unit", "https://shop.example", clock)


async def test_a_settlement_counts_once_however_often_its_event_arrives(
    uow: MemoryUnitOfWork,
    clock: SteppingClock,
    gateway: MockGateway,
    place: PlaceOrder,
    product_id: int,
    metrics: MemoryMetrics,
) -> None:
    order = await place(CUSTOMER, [ItemRequest(product_id, 1)])
    payment = await StartPayment(uow, Gateways([gateway]), clock, INSTALLATION)(CUSTOMER, order.id)
    settle = SettleWebhook(uow, Gateways([gateway]), clock, metrics)
    assert payment.provider_payment_id is not None
    body, headers = gateway.signed_event(payment.provider_payment_id, PaymentStatus.SUCCEEDED, payment.amount)
    for _ in range(3):
        await settle("mock", WebhookDelivery(body, headers, None))
    assert metrics.counts["payments_settled:succeeded"] == 1


async def test_rejected_webhooks_are_counted_by_reason(
    uow: MemoryUnitOfWork,
    clock: SteppingClock,
    gateway: MockGateway,
    place: PlaceOrder,
    product_id: int,
    metrics: MemoryMetrics,
) -> None:
    order = await place(CUSTOMER, [ItemRequest(product_id, 1)])
    payment = await StartPayment(uow, Gateways([gateway]), clock, INSTALLATION)(CUSTOMER, order.id)
    settle = SettleWebhook(uow, Gateways([gateway]), clock, metrics)
    assert payment.provider_payment_id is not None
    body, headers = gateway.signed_event(payment.provider_payment_id, PaymentStatus.SUCCEEDED, payment.amount)
    with pytest.raises(NotAuthenticated):
        await settle("mock", WebhookDelivery(body, {**headers, HEADER: "t=1,v1=00"}, None))
    unknown, unknown_headers = gateway.signed_event("mock_nope", PaymentStatus.SUCCEEDED, payment.amount)
    with pytest.raises(NotFound):
        await settle("mock", WebhookDelivery(unknown, unknown_headers, None))
    wrong, wrong_headers = gateway.signed_event(
        payment.provider_payment_id, PaymentStatus.SUCCEEDED, Money(1, "RUB")
    )
    with pytest.raises(PaymentRejected):
        await settle("mock", WebhookDelivery(wrong, wrong_headers, None))
    assert metrics.counts == {
        "orders_placed": 1,
        "webhooks_rejected:signature": 1,
        "webhooks_rejected:unknown_payment": 1,
        "webhooks_rejected:amount_mismatch": 1,
        "payments_settled:failed": 1,
    }


async def test_rate_limit_refusals_are_counted_by_limit_and_allowed_hits_are_not(
    metrics: MemoryMetrics,
) -> None:
    inner = LimitsRateLimiter.in_memory(
        parse_limits(
            {RateLimit.FAILED_LOGINS: "2/minute", RateLimit.REGISTRATIONS: "0", RateLimit.API_REQUESTS: "0"}
        )
    )
    limiter = CountedRateLimiter(inner, metrics)
    await limiter.hit(RateLimit.FAILED_LOGINS, "ann")
    await limiter.hit(RateLimit.FAILED_LOGINS, "ann")
    with pytest.raises(TooManyRequests):
        await limiter.hit(RateLimit.FAILED_LOGINS, "ann")
    with pytest.raises(TooManyRequests):
        await limiter.ensure_open(RateLimit.FAILED_LOGINS, "ann")
    await limiter.hit(RateLimit.API_REQUESTS, "ann")
    assert metrics.counts == {"rate_limited:login": 2}
