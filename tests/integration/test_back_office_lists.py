"""The back office's lists against SQLite and PostgreSQL: every order and every payment, filtered,
newest first; the PostgreSQL order read model shows what the repository holds."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database, create_engine
from adapters.sql.order_reads import AsyncpgOrderReadModel
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import NewCategory, NewPayment, NewProduct, OrderFilter, PaymentFilter
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import PaymentStatus
from domain.users import Role

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
TICK = timedelta(microseconds=1)


async def seed(db: Database) -> dict[str, Any]:
    """Nine orders of three customers, two to a timestamp (ties go by id), a microsecond
    apart in pairs so that inclusive bounds show; statuses pending, paid, cancelled in turn.
    Each order has one payment: succeeded, failed or pending in turn, every fourth through
    another provider, the first two owed a refund."""
    async with SqlUnitOfWork(db) as uow:
        users = [
            (await uow.users.add(f"{name}@example.com", "hash", Role.CUSTOMER, NOW)).id
            for name in ("ann", "bob", "cid")
        ]
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tea = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, None), NOW)
        mug = await uow.products.add(NewProduct("Mug «big»", "", 5, "RUB", category.id, None), NOW)
        orders: list[Order] = []
        payments: list[int] = []
        for n in range(9):
            when = NOW + (n // 2) * TICK
            lines = [OrderLine(mug.id, "Mug «big»", 1 + n, Money(5, "RUB"))]
            if n % 2:
                lines.insert(0, OrderLine(tea.id, "Green", 1000, Money(9_999_999_999, "RUB")))
            order = await uow.orders.add(Order.place(users[n % 3], lines, "RUB", when))
            status = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELLED)[n % 3]
            if status is not OrderStatus.PENDING:
                moved = order.mark_paid(when) if status is OrderStatus.PAID else order.cancel(when)
                await uow.orders.save_status(moved, expected=OrderStatus.PENDING)
            orders.append(order)
            provider = "other" if n % 4 == 3 else "mock"
            payment = await uow.payments.add(NewPayment(order.id, order.user_id, order.total, provider), when)
            paid = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.PENDING)[n % 3]
            await uow.payments.save(replace(payment, status=paid, refund_required=n < 2))
            payments.append(payment.id)
        await uow.commit()
    return {"users": users, "orders": [o.id for o in orders], "payments": payments}


def filters(users: list[int]) -> list[OrderFilter]:
    """Every combination of the four filters, each given or not."""
    return [
        OrderFilter(status, user_id, created_from, created_to)
        for status, user_id, created_from, created_to in itertools.product(
            (None, OrderStatus.PENDING, OrderStatus.PAID),
            (None, users[0], 2**62),
            (None, NOW + TICK),
            (None, NOW + 3 * TICK),
        )
    ]


async def test_the_order_repository_filters_every_order_newest_first(db: Database) -> None:
    seeded = await seed(db)
    ids, (ann, bob, _) = seeded["orders"], seeded["users"]

    async def listed(criteria: OrderFilter, limit: int = 100, offset: int = 0) -> list[int]:
        async with SqlUnitOfWork(db) as uow:
            return [o.id for o in await uow.orders.list_all(criteria, limit, offset)]

    assert await listed(OrderFilter()) == ids[::-1]
    assert await listed(OrderFilter(), 3, 3) == ids[::-1][3:6]
    assert await listed(OrderFilter(status=OrderStatus.PAID)) == [ids[7], ids[4], ids[1]]
    assert await listed(OrderFilter(user_id=bob)) == [ids[7], ids[4], ids[1]]
    assert await listed(OrderFilter(OrderStatus.PENDING, ann)) == [ids[6], ids[3], ids[0]]
    # Both bounds inclusive to the microsecond: orders 2 and 3 at +1, 6 and 7 at +3.
    inclusive = OrderFilter(created_from=NOW + TICK, created_to=NOW + 3 * TICK)
    assert await listed(inclusive) == ids[2:8][::-1]
    exclusive = OrderFilter(created_from=NOW + TICK + TICK, created_to=NOW + 3 * TICK - TICK)
    assert await listed(exclusive) == [ids[5], ids[4]]
    async with SqlUnitOfWork(db) as uow:
        first = (await uow.orders.list_all(OrderFilter(user_id=bob), 1, 0))[0]
    assert [line.quantity for line in first.lines] == [1000, 8]


async def test_the_payment_repository_filters_every_payment_newest_first(db: Database) -> None:
    ids = (await seed(db))["payments"]

    async def listed(criteria: PaymentFilter, limit: int = 100, offset: int = 0) -> list[int]:
        async with SqlUnitOfWork(db) as uow:
            return [p.id for p in await uow.payments.list_all(criteria, limit, offset)]

    assert await listed(PaymentFilter()) == ids[::-1]
    assert await listed(PaymentFilter(), 4, 4) == ids[::-1][4:8]
    assert await listed(PaymentFilter(status=PaymentStatus.FAILED)) == [ids[7], ids[4], ids[1]]
    assert await listed(PaymentFilter(provider="other")) == [ids[7], ids[3]]
    assert await listed(PaymentFilter(provider="x" * 40)) == []
    assert await listed(PaymentFilter(refund_required=True)) == [ids[1], ids[0]]
    assert await listed(PaymentFilter(refund_required=False)) == ids[2:][::-1]
    every = PaymentFilter(PaymentStatus.FAILED, "other", refund_required=False)
    assert await listed(every) == [ids[7]]
    async with SqlUnitOfWork(db) as uow:
        newest = (await uow.payments.list_all(PaymentFilter(), 1, 0))[0]
    assert newest.amount == Money(9 * 5, "RUB") and newest.status is PaymentStatus.PENDING


@pytest.mark.postgres
async def test_the_postgresql_back_office_list_shows_what_the_repository_holds(
    postgres_database: str,
) -> None:
    """Same views, same order, same pages, for every combination of the filters."""
    db = Database(create_engine(postgres_database, pool_size=2))
    pool = ReadPool(postgres_database, 2)
    try:
        seeded = await seed(db)
        fast, reference = AsyncpgOrderReadModel(pool), RepositoryOrderReadModel(SqlUnitOfWork(db))
        shown_any = 0
        for criteria in filters(seeded["users"]):
            for limit, offset in ((100, 0), (2, 0), (2, 1), (3, 6), (2, 50)):
                shown = _json(await fast.all_orders(criteria, limit, offset))
                assert shown == _json(await reference.all_orders(criteria, limit, offset)), (
                    criteria,
                    limit,
                    offset,
                )
                shown_any += bool(shown)
        assert shown_any > 50  # the combinations are not all empty
        everything = _json(await fast.all_orders(OrderFilter(), 100, 0))
        assert [o["id"] for o in everything] == seeded["orders"][::-1]
        assert everything[1]["items"][0]["price"] == "99999999.99"  # the eighth order, tea first
        assert everything[-1]["total_price"] == "0.05"  # the first: one mug
    finally:
        await pool.close()
        await db.dispose()


def _json(views: object) -> list[dict[str, Any]]:
    decoded: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(views))
    return decoded
