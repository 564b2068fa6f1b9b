"""The PostgreSQL hot path (adapters/sql/hot_path.py): the one-statement reservation names each
short product with what is left and takes nothing; orders over the same products listed in
opposite orders never deadlock; an order is written behind, in one statement after the products
read, and refused whole when its stock went meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from adapters.clock import SystemUtcClock
from adapters.sql.database import Database, create_engine
from adapters.sql.hot_path import PgStockRepository
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.ports import NewCategory, NewProduct
from domain.money import Money
from domain.order_events import EventActor, OrderEvent
from domain.orders import ItemRequest, Order, OrderLine, OutOfStock
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


async def _shop(db: Database, stock: int | None = 3) -> tuple[Actor, int, int]:
    """A customer, a tracked product (`stock` units) and an untracked one."""
    async with SqlUnitOfWork(db) as uow:
        ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tracked = await uow.products.add(NewProduct("Green", "", 100, "RUB", category.id, stock), NOW)
        free = await uow.products.add(NewProduct("Black", "", 250, "RUB", category.id, None), NOW)
        await uow.commit()
    return Actor(ann.id, Role.CUSTOMER), tracked.id, free.id


async def _written_behind(uow: SqlUnitOfWork, actor: Actor, tracked: int, quantity: int) -> Order:
    """An order of `quantity` units of the tracked product, read, reserved and added: written
    behind, not sent yet."""
    await uow.stock.orderable([tracked])
    assert await uow.stock.reserve({tracked: quantity}) == {}
    line = OrderLine(tracked, "Green", quantity, Money(100, "RUB"))
    return await uow.orders.add(Order.place(actor.user_id, [line], "RUB", NOW))


def _listening(db: Database, statements: list[str]) -> Callable[[], None]:
    """Every statement sent to the pool's asyncpg connections from now on, lower-cased, but for
    asyncpg's own type introspection (on a connection's first use of a type); the returned
    function stops listening."""

    def seen(query: Any) -> None:
        sql = " ".join(query.query.split()).lower()
        if not sql.startswith(
            ("with recursive typeinfo_tree", "select current_setting('jit')", "select set_config('jit'")
        ):
            statements.append(sql)

    def checked_out(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(seen)

    event.listen(db.engine.sync_engine.pool, "checkout", checked_out)
    return lambda: event.remove(db.engine.sync_engine.pool, "checkout", checked_out)


@pytest.mark.postgres
async def test_an_order_is_placed_with_two_statements_and_no_transaction_around_them(
    postgres_database: str,
) -> None:
    """The products read, then the reservation, order, lines and `placed` event in one statement
    (`_PLACE`) sent on its own: no BEGIN, no COMMIT. Everything it wrote is there, with the ids
    the order came back with."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        actor, tracked, free = await _shop(db)
        statements: list[str] = []
        stop = _listening(db, statements)
        order = await PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")(
            actor, [ItemRequest(free, 4), ItemRequest(tracked, 2)]
        )
        stop()
        assert len(statements) == 2, statements
        assert statements[0].startswith("select p.id,") and "nextval('orders_id_seq')" in statements[0]
        assert statements[1].startswith("with wanted as (") and "insert into order_events" in statements[1]
        assert [line.product_id for line in order.lines] == [free, tracked]
        assert order.lines[0].id < order.lines[1].id
        async with SqlUnitOfWork(db) as uow:
            stored = await uow.orders.get(order.id)
            events = await uow.order_events.list_for_order(order.id, 10, 0)
            left = await uow.products.get(tracked)
        assert stored == order
        assert [e.type.value for e in events] == ["placed"]
        assert left is not None and left.stock == 1
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_stock_taken_between_the_read_and_the_write_refuses_the_whole_order(
    postgres_database: str,
) -> None:
    """The reservation is checked against the stock as read, then again on the locked row when
    the order is sent: another order taking the units in between makes the commit raise
    OutOfStock (what is left named), and nothing of this order is written."""
    db = Database(create_engine(postgres_database, pool_size=4))
    try:
        actor, tracked, free = await _shop(db, stock=3)
        async with SqlUnitOfWork(db) as uow:
            found = await uow.stock.orderable([free, tracked])
            assert found[tracked].product.stock == 3
            async with SqlUnitOfWork(db) as other:  # takes two of the three meanwhile
                assert await other.stock.reserve({tracked: 2}) == {}
                await other.commit()
            assert await uow.stock.reserve({tracked: 2}) == {}  # enough, as read
            order = await uow.orders.add(
                Order.place(
                    actor.user_id,
                    [
                        OrderLine(free, "Black", 1, Money(250, "RUB")),
                        OrderLine(tracked, "Green", 2, Money(100, "RUB")),
                    ],
                    "RUB",
                    NOW,
                )
            )
            await uow.order_events.append(OrderEvent.placed(order, EventActor.CUSTOMER))
            with pytest.raises(OutOfStock) as refused:
                await uow.commit()
        shortages = refused.value.shortages
        assert [(s.product_id, s.product_name, s.requested, s.available) for s in shortages] == [
            (tracked, "Green", 2, 1)
        ]
        async with SqlUnitOfWork(db) as uow:
            assert await uow.orders.get(order.id) is None
            assert await uow.order_events.list_for_order(order.id, 10, 0) == []
            left = await uow.products.get(tracked)
        assert left is not None and left.stock == 1
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_statement_after_an_order_written_behind_sends_it_first_inside_the_transaction(
    postgres_database: str,
) -> None:
    """A read of the order after `add` finds it (sent first, in a transaction begun for it), and
    leaving without commit rolls it back with its reservation."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        actor, tracked, _ = await _shop(db, stock=5)
        async with SqlUnitOfWork(db) as uow:
            order = await _written_behind(uow, actor, tracked, 4)
            assert await uow.orders.get(order.id) == order
        async with SqlUnitOfWork(db) as uow:
            assert await uow.orders.get(order.id) is None
            left = await uow.products.get(tracked)
        assert left is not None and left.stock == 5
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_short_line_as_read_is_answered_at_once_and_nothing_is_sent(postgres_database: str) -> None:
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        actor, tracked, _ = await _shop(db, stock=1)
        statements: list[str] = []
        stop = _listening(db, statements)
        with pytest.raises(OutOfStock):
            await PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")(actor, [ItemRequest(tracked, 2)])
        stop()
        assert len(statements) == 1 and statements[0].startswith("select p.id,"), statements
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_sqlalchemy_statement_after_an_order_written_behind_comes_after_it(
    postgres_database: str,
) -> None:
    """The unit of work's SQLAlchemy repositories send what is written behind first too: a
    product read after `add` sees the stock the order took, in the same transaction."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        actor, tracked, _ = await _shop(db, stock=5)
        async with SqlUnitOfWork(db) as uow:
            await _written_behind(uow, actor, tracked, 4)
            seen = await uow.products.get(tracked)
            assert seen is not None and seen.stock == 1
        async with SqlUnitOfWork(db) as uow:  # left without commit: nothing stays
            left = await uow.products.get(tracked)
        assert left is not None and left.stock == 5
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_second_products_read_sends_the_order_written_behind_first(postgres_database: str) -> None:
    """A products read while an order is still written behind sends it first (the read then runs
    in its transaction and sees the stock it took); nothing stays without `commit`."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        actor, tracked, _ = await _shop(db, stock=5)
        async with SqlUnitOfWork(db) as uow:
            await _written_behind(uow, actor, tracked, 2)
            again = await uow.stock.orderable([tracked])
            assert again[tracked].product.stock == 3
        async with SqlUnitOfWork(db) as uow:
            left = await uow.products.get(tracked)
        assert left is not None and left.stock == 5
    finally:
        await db.dispose()
