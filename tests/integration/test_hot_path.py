"""The PostgreSQL hot path's one-statement reservation (adapters/sql/hot_path.py): each short
product is named with what is left and nothing is taken, and orders over the same products
listed in opposite orders never deadlock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from adapters.clock import SystemUtcClock
from adapters.sql.database import Database, create_engine
from adapters.sql.hot_path import PgStockRepository
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.ports import NewCategory, NewProduct
from domain.orders import ItemRequest, OutOfStock
from domain.users import Actor, Role

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.postgres
async def test_one_statement_names_every_short_product_and_takes_nothing(postgres_database: str) -> None:
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        async with SqlUnitOfWork(db) as uow:
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            a = await uow.products.add(NewProduct("A", "", 100, "RUB", category.id, 3), NOW)
            b = await uow.products.add(NewProduct("B", "", 100, "RUB", category.id, 10), NOW)
            c = await uow.products.add(NewProduct("C", "", 100, "RUB", category.id, 1), NOW)
            free = await uow.products.add(NewProduct("D", "", 100, "RUB", category.id, None), NOW)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            assert isinstance(uow.stock, PgStockRepository)
            short = await uow.stock.reserve({c.id: 2, a.id: 5, b.id: 4, free.id: 1000})
            assert short == {a.id: 3, c.id: 1}
            # All or nothing: B, which had enough, was not taken either.
            assert [(await uow.products.get(p.id)).stock for p in (a, b, c)] == [3, 10, 1]  # type: ignore[union-attr]
            assert await uow.stock.reserve({a.id: 3, b.id: 4, free.id: 1}) == {}
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            assert [(await uow.products.get(p.id)).stock for p in (a, b, c)] == [0, 6, 1]  # type: ignore[union-attr]
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_parallel_orders_over_the_same_products_in_opposite_orders_never_deadlock(
    postgres_database: str,
) -> None:
    db = Database(create_engine(postgres_database, pool_size=10))
    try:
        async with SqlUnitOfWork(db) as uow:
            ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            ids = [
                (await uow.products.add(NewProduct(f"P{n}", "", 100, "RUB", category.id, 30), NOW)).id
                for n in range(4)
            ]
            await uow.commit()
        actor = Actor(ann.id, Role.CUSTOMER)

        async def place(n: int) -> str:
            listed = ids if n % 2 else list(reversed(ids))
            try:
                await PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")(
                    actor, [ItemRequest(pid, 1) for pid in listed]
                )
            except OutOfStock:
                return "short"
            return "placed"

        outcomes = await asyncio.gather(*(place(n) for n in range(40)))  # a deadlock would raise
        assert outcomes.count("placed") == 30 and outcomes.count("short") == 10
        async with SqlUnitOfWork(db) as uow:
            assert [(await uow.products.get(pid)).stock for pid in ids] == [0, 0, 0, 0]  # type: ignore[union-attr]
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_the_unit_of_work_rolls_back_or_commits_prepared_and_sqlalchemy_statements_alike(
    postgres_database: str,
) -> None:
    """The PostgreSQL unit of work opens no SQLAlchemy transaction (hot_path.end_transaction):
    prepared statements alone, SQLAlchemy's alone, or both, are rolled back on exit without
    `commit()` and kept with it."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        async with SqlUnitOfWork(db) as uow:
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            product = await uow.products.add(NewProduct("A", "", 100, "RUB", category.id, 10), NOW)
            await uow.commit()

        async def stock() -> int | None:
            async with SqlUnitOfWork(db) as uow:
                found = await uow.products.get(product.id)
                assert found is not None
                return found.stock

        async with SqlUnitOfWork(db) as uow:  # prepared only, no commit
            assert await uow.stock.reserve({product.id: 1}) == {}
        assert await stock() == 10
        async with SqlUnitOfWork(db) as uow:  # SQLAlchemy first, then prepared, no commit
            await uow.categories.add(NewCategory("Coffee", "coffee"), NOW)
            assert await uow.stock.reserve({product.id: 2}) == {}
        assert await stock() == 10
        async with SqlUnitOfWork(db) as uow:  # prepared only, committed
            assert await uow.stock.reserve({product.id: 3}) == {}
            await uow.commit()
        assert await stock() == 7
        async with SqlUnitOfWork(db) as uow:  # prepared then SQLAlchemy, committed; then again
            assert await uow.stock.reserve({product.id: 1}) == {}
            await uow.categories.add(NewCategory("Cocoa", "cocoa"), NOW)
            await uow.commit()
            assert await uow.stock.reserve({product.id: 1}) == {}
            await uow.commit()
        assert await stock() == 5
        async with SqlUnitOfWork(db) as uow:
            assert await uow.categories.get_by_slug("coffee") is None
            assert await uow.categories.get_by_slug("cocoa") is not None
    finally:
        await db.dispose()
