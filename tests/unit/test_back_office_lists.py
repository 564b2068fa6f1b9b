"""The back office's lists of every order and every payment, on the in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from application.orders.browse_orders import ListOrders
from application.orders.read_model import RepositoryOrderReadModel
from application.paging import Page
from application.payments.read_payments import ListPayments
from application.ports import NewPayment, OrderFilter, PaymentFilter
from domain.errors import AccessDenied, InvalidInput
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import PaymentStatus
from domain.users import Actor, Role
from tests.fakes import MemoryUnitOfWork

ADMIN = Actor(user_id=1, role=Role.ADMIN)
ANN = Actor(user_id=2, role=Role.CUSTOMER)
BOB = Actor(user_id=3, role=Role.CUSTOMER)
T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def orders(uow: MemoryUnitOfWork) -> list[Order]:
    """Six orders an hour apart (two share each hour: ties go by id), Ann's and Bob's in turn;
    every third one paid."""
    placed = []
    async with uow:
        for n in range(6):
            when = T0 + timedelta(hours=n // 2)
            line = OrderLine(7, "Mug", n + 1, Money(500, "RUB"))
            order = await uow.orders.add(Order.place((ANN, BOB)[n % 2].user_id, [line], "RUB", when))
            if n % 3 == 0:
                await uow.orders.save_status(order.mark_paid(when), expected=OrderStatus.PENDING)
                order = order.mark_paid(when)
            placed.append(order)
        await uow.commit()
    return placed


def ids(views: object) -> list[int]:
    return [view.id for view in views]  # type: ignore[attr-defined]


async def test_every_order_newest_first_ties_by_id_with_its_items(
    uow: MemoryUnitOfWork, orders: list[Order]
) -> None:
    listed = await ListOrders(RepositoryOrderReadModel(uow))(ADMIN, OrderFilter(), Page())
    assert ids(listed) == [o.id for o in reversed(orders)]
    assert [item.quantity for item in listed[0].items] == [6]
    assert listed[0].total_price == "30.00"


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (OrderFilter(status=OrderStatus.PAID), [3, 0]),
        (OrderFilter(status=OrderStatus.SHIPPED), []),
        (OrderFilter(user_id=ANN.user_id), [4, 2, 0]),
        (OrderFilter(user_id=BOB.user_id, status=OrderStatus.PAID), [3]),
        (OrderFilter(created_from=T0 + timedelta(hours=1)), [5, 4, 3, 2]),
        (OrderFilter(created_to=T0 + timedelta(hours=1)), [3, 2, 1, 0]),  # both ends inclusive
        (OrderFilter(created_from=T0 + timedelta(hours=1), created_to=T0 + timedelta(hours=1)), [3, 2]),
        (
            OrderFilter(OrderStatus.PENDING, ANN.user_id, T0, T0 + timedelta(hours=2)),
            [4, 2],
        ),
        (OrderFilter(user_id=2**63), []),  # beyond the database's range: nothing, not an error
        (OrderFilter(user_id=2**80), []),
        (OrderFilter(user_id=0), []),
        (OrderFilter(user_id=-5), []),
    ],
)
async def test_filters_combine(
    uow: MemoryUnitOfWork, orders: list[Order], criteria: OrderFilter, expected: list[int]
) -> None:
    listed = await ListOrders(RepositoryOrderReadModel(uow))(ADMIN, criteria, Page())
    assert ids(listed) == [orders[n].id for n in expected]


async def test_pages_follow_the_same_order(uow: MemoryUnitOfWork, orders: list[Order]) -> None:
    list_orders = ListOrders(RepositoryOrderReadModel(uow))
    pages = [await list_orders(ADMIN, OrderFilter(), Page(4, offset)) for offset in (0, 4, 8)]
    assert [ids(page) for page in pages] == [
        [o.id for o in reversed(orders[2:])],
        [orders[1].id, orders[0].id],
        [],
    ]


async def test_times_without_a_zone_are_utc_and_offsets_are_honoured(
    uow: MemoryUnitOfWork, orders: list[Order]
) -> None:
    list_orders = ListOrders(RepositoryOrderReadModel(uow))
    naive = OrderFilter(created_from=datetime(2026, 1, 1, 14))
    plus_two = OrderFilter(created_from=datetime(2026, 1, 1, 16, tzinfo=timezone(timedelta(hours=2))))
    assert ids(await list_orders(ADMIN, naive, Page())) == [orders[5].id, orders[4].id]
    assert ids(await list_orders(ADMIN, plus_two, Page())) == [orders[5].id, orders[4].id]


async def test_bounds_past_either_end_of_the_calendar_are_its_first_and_last_instants(
    uow: MemoryUnitOfWork, orders: list[Order]
) -> None:
    list_orders = ListOrders(RepositoryOrderReadModel(uow))
    widest = OrderFilter(
        created_from=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        created_to=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
    )
    assert len(await list_orders(ADMIN, widest, Page())) == 6
    beyond = OrderFilter(created_from=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))))
    assert await list_orders(ADMIN, beyond, Page()) == []


async def test_a_range_that_ends_before_it_starts_is_invalid(uow: MemoryUnitOfWork) -> None:
    backwards = OrderFilter(created_from=T0, created_to=T0 - timedelta(microseconds=1))
    with pytest.raises(InvalidInput) as raised:
        await ListOrders(RepositoryOrderReadModel(uow))(ADMIN, backwards, Page())
    assert [e.field for e in raised.value.errors] == ["created_to"]


async def test_only_administrators_list_every_order_or_payment(uow: MemoryUnitOfWork) -> None:
    with pytest.raises(AccessDenied):
        await ListOrders(RepositoryOrderReadModel(uow))(ANN, OrderFilter(), Page())
    with pytest.raises(AccessDenied):
        await ListPayments(uow)(ANN, PaymentFilter(), Page())


async def test_every_payment_newest_first_filtered_and_paged(
    uow: MemoryUnitOfWork, orders: list[Order]
) -> None:
    """One payment per order, a minute apart: succeeded, failed, pending in turn; the
    last one through another provider; the first owed a refund."""
    payments = []
    async with uow:
        for n, order in enumerate(orders):
            provider = "other" if n == 5 else "mock"
            new = NewPayment(order.id, order.user_id, Money(500, "RUB"), provider)
            payment = await uow.payments.add(new, T0 + timedelta(minutes=n // 2))
            status = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.PENDING)[n % 3]
            payment = replace(payment, status=status, refund_required=n == 0)
            await uow.payments.save(payment)
            payments.append(payment)
        await uow.commit()
    list_payments = ListPayments(uow)

    async def listed(criteria: PaymentFilter, page: Page | None = None) -> list[int]:
        return [p.id for p in await list_payments(ADMIN, criteria, page or Page())]

    newest_first = [p.id for p in reversed(payments)]
    assert await listed(PaymentFilter()) == newest_first
    assert await listed(PaymentFilter(), Page(2, 3)) == newest_first[3:5]
    assert await listed(PaymentFilter(status=PaymentStatus.SUCCEEDED)) == [payments[3].id, payments[0].id]
    assert await listed(PaymentFilter(provider="other")) == [payments[5].id]
    assert await listed(PaymentFilter(provider="nobody")) == []
    assert await listed(PaymentFilter(refund_required=True)) == [payments[0].id]
    assert await listed(PaymentFilter(refund_required=False)) == newest_first[:-1]
    both = PaymentFilter(status=PaymentStatus.PENDING, provider="other", refund_required=False)
    assert await listed(both) == [payments[5].id]
