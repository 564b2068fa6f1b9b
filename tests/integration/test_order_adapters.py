"""The PostgreSQL order history read model shows what the order repository holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database, create_engine
from adapters.sql.order_reads import AsyncpgOrderReadModel
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import (
    NewCategory,
    NewProduct,
)
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.users import Role

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.postgres
async def test_the_postgresql_order_history_shows_what_the_repository_holds(postgres_database: str) -> None:
    """Same views, same order (newest first, ties by id), same pages, same status filter."""
    db = Database(create_engine(postgres_database, pool_size=2))
    pool = ReadPool(postgres_database, 2)
    try:
        async with SqlUnitOfWork(db) as uow:
            ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
            bob = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            tea = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, None), NOW)
            mug = await uow.products.add(NewProduct("Mug «big»", "", 5, "RUB", category.id, None), NOW)
            for n in range(7):  # two orders share each timestamp: ties are broken by id
                when = NOW + timedelta(minutes=n // 2)
                lines = [OrderLine(mug.id, "Mug «big»", 1 + n, Money(5, "RUB"))]
                if n % 3:
                    lines.insert(0, OrderLine(tea.id, "Green", 1000, Money(9_999_999_999, "RUB")))
                order = await uow.orders.add(Order.place(ann.id, lines, "RUB", when))
                if n % 2:
                    await uow.orders.save_status(order.mark_paid(when), expected=OrderStatus.PENDING)
            await uow.orders.add(
                Order.place(bob.id, [OrderLine(tea.id, "Green", 1, Money(14990, "RUB"))], "RUB", NOW)
            )
            await uow.commit()

        fast, reference = AsyncpgOrderReadModel(pool), RepositoryOrderReadModel(SqlUnitOfWork(db))
        for status in (None, OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.SHIPPED):
            for limit, offset in ((100, 0), (3, 0), (3, 3), (3, 6), (2, 50)):
                shown = await fast.orders_of(ann.id, status, limit, offset)
                expected = await reference.orders_of(ann.id, status, limit, offset)
                assert _json(shown) == _json(expected), (status, limit, offset)
        everything = _json(await fast.orders_of(ann.id, None, 100, 0))
        assert len(everything) == 7 and {o["user_id"] for o in everything} == {ann.id}
        assert [o["id"] for o in everything] == sorted((o["id"] for o in everything), reverse=True)
        assert everything[1]["items"][0]["price"] == "99999999.99"  # the sixth order, tea first
        assert everything[-1]["total_price"] == "0.05"  # the first: one mug
    finally:
        await pool.close()
        await db.dispose()


def _json(views: object) -> list[dict[str, Any]]:
    decoded: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(views))
    return decoded
