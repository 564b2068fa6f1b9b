"""Payments (one active per order, filters, newest first) and once-only event records: the contract."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.ports import NewCategory, NewPayment, NewProduct
from domain.errors import AlreadyExists
from domain.money import Money
from domain.orders import Order, OrderLine
from domain.payments import Outcome, PaymentEvent, PaymentStatus
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOTAL = Money(2_000, "RUB")


@pytest.fixture
async def order(storage: Storage) -> Order:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        product = await uow.products.add(NewProduct("Tea", "", 1_000, "RUB", category.id, None), NOW)
        line = OrderLine(product.id, "Tea", 2, Money(1_000, "RUB"))
        placed = await uow.orders.add(Order.place(user.id, [line], "RUB", NOW))
        await uow.commit()
    return placed


def new_payment(order: Order) -> NewPayment:
    return NewPayment(order.id, order.user_id, order.total, "mock")


async def test_a_payment_round_trips_with_money_and_its_provider_details(
    storage: Storage, order: Order
) -> None:
    async with storage.unit_of_work() as uow:
        added = await uow.payments.add(new_payment(order), NOW)
        opened = added.opened("mock_1", "https://shop.example/mock-checkout/mock_1", NOW)
        await uow.payments.save(opened)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.payments.get(added.id) == opened
        assert await uow.payments.find_by_provider_id("mock", "mock_1") == opened
        assert await uow.payments.find_by_provider_id("other", "mock_1") is None
        assert await uow.payments.lock(added.id) == opened
        assert await uow.payments.active_for_order(order.id) == opened
    assert opened.amount == TOTAL and opened.status is PaymentStatus.CREATED


async def test_the_database_itself_refuses_a_second_active_payment_for_an_order(
    storage: Storage, order: Order
) -> None:
    async with storage.unit_of_work() as uow:
        first = await uow.payments.add(new_payment(order), NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists, match="active payment"):
            await uow.payments.add(new_payment(order), NOW)
    async with storage.unit_of_work() as uow:
        await uow.payments.save(first.moved_to(PaymentStatus.FAILED, NOW, fail_reason="declined"))
        second = await uow.payments.add(new_payment(order), NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert [p.id for p in await uow.payments.list_for_order(order.id, 10, 0)] == [first.id, second.id]
        assert [p.id for p in await uow.payments.list_for_order(order.id, 1, 1)] == [second.id]


async def test_an_event_is_recorded_once_per_provider_and_event_id(storage: Storage, order: Order) -> None:
    event = PaymentEvent("evt_1", "mock_1", PaymentStatus.SUCCEEDED, TOTAL)
    async with storage.unit_of_work() as uow:
        payment = await uow.payments.add(new_payment(order), NOW)
        assert await uow.payment_events.record("mock", event, payment.id, Outcome.APPLIED, NOW)
        assert not await uow.payment_events.record("mock", event, payment.id, Outcome.APPLIED, NOW)
        assert await uow.payment_events.record("other", event, payment.id, Outcome.IGNORED, NOW)
        await uow.commit()
    rows = await storage.recorded_events()
    assert [tuple(r) for r in rows] == [("mock", "applied"), ("other", "ignored")]


async def test_an_event_recorded_in_a_rolled_back_transaction_leaves_no_trace(
    storage: Storage, order: Order
) -> None:
    event = PaymentEvent("evt_1", "mock_1", PaymentStatus.SUCCEEDED, TOTAL)
    async with storage.unit_of_work() as uow:
        payment = await uow.payments.add(new_payment(order), NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.payment_events.record("mock", event, payment.id, Outcome.APPLIED, NOW)
    async with storage.unit_of_work() as uow:
        assert await uow.payment_events.record("mock", event, payment.id, Outcome.APPLIED, NOW)
