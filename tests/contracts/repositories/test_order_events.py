"""The order timeline's storage: append-only, read per order oldest first, gone with a rollback.
The contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.ports import NewCategory, NewProduct
from domain.money import Money
from domain.order_events import DETAIL_MAX, EventActor, OrderEvent, OrderEventType
from domain.orders import Order, OrderLine, OrderStatus
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def orders(storage: Storage) -> list[Order]:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        product = await uow.products.add(NewProduct("Tea", "", 1_000, "RUB", category.id, None), NOW)
        line = OrderLine(product.id, "Tea", 2, Money(1_000, "RUB"))
        placed = [await uow.orders.add(Order.place(user.id, [line], "RUB", NOW)) for _ in range(2)]
        await uow.commit()
    return placed


async def test_events_round_trip_every_field_and_read_oldest_first_per_order(
    storage: Storage, orders: list[Order]
) -> None:
    first, second = orders
    paid = first.mark_paid(NOW + timedelta(seconds=2))
    appended = [
        OrderEvent.placed(first, EventActor.CUSTOMER),
        OrderEvent.placed(second, EventActor.ADMIN),
        OrderEvent(
            first.id, OrderEventType.PAYMENT_FAILED, EventActor.PROVIDER, NOW, detail="é" * DETAIL_MAX
        ),
        OrderEvent.moved(first, paid, EventActor.PROVIDER),
        OrderEvent.moved(paid, paid.ship(NOW + timedelta(seconds=3)), EventActor.ADMIN),
    ]
    async with storage.unit_of_work() as uow:
        for event in appended:
            await uow.order_events.append(event)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        of_first = await uow.order_events.list_for_order(first.id, 10, 0)
        of_second = await uow.order_events.list_for_order(second.id, 10, 0)
        page = await uow.order_events.list_for_order(first.id, 2, 1)
        nothing = await uow.order_events.list_for_order(first.id + second.id, 10, 0)
    ids = [e.id for e in of_first]
    assert ids == sorted(set(ids)) and len(ids) == 4 and all(i > 0 for i in ids)
    assert of_second[0].id not in ids
    strip = [
        (e.order_id, e.type, e.actor, e.created_at, e.from_status, e.to_status, e.detail) for e in of_first
    ]
    assert strip == [
        (e.order_id, e.type, e.actor, e.created_at, e.from_status, e.to_status, e.detail)
        for e in (appended[0], appended[2], appended[3], appended[4])
    ]
    assert of_first[2].from_status is OrderStatus.PENDING and of_first[2].to_status is OrderStatus.PAID
    assert [(e.order_id, e.type, e.actor) for e in of_second] == [
        (second.id, OrderEventType.PLACED, EventActor.ADMIN)
    ]
    assert page == of_first[1:3]
    assert nothing == []


async def test_an_event_appended_in_a_rolled_back_transaction_leaves_no_trace(
    storage: Storage, orders: list[Order]
) -> None:
    order = orders[0]
    async with storage.unit_of_work() as uow:
        await uow.order_events.append(OrderEvent.placed(order, EventActor.CUSTOMER))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.order_events.append(OrderEvent.moved(order, order.cancel(NOW), EventActor.SYSTEM))
    async with storage.unit_of_work() as uow:
        events = await uow.order_events.list_for_order(order.id, 10, 0)
    assert [e.type for e in events] == [OrderEventType.PLACED]
