"""Placing an order records `placed` with one more statement, an INSERT, and nothing else.

On SQLite the statements go through SQLAlchemy; on PostgreSQL placing an order's hot statements go
to asyncpg directly (adapters/sql/hot_path.py), so both are listened to: SQLAlchemy's cursor
events and every pooled asyncpg connection's query logger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from adapters.clock import SystemUtcClock
from adapters.sql.database import Database, create_engine
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.ports import NewCategory, NewProduct
from domain.orders import ItemRequest
from domain.users import Actor, Role

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


async def test_placing_an_order_appends_its_event_in_one_insert_and_nothing_else(
    database_url: str,
) -> None:
    db = Database(create_engine(database_url, pool_size=2))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    try:
        async with SqlUnitOfWork(db) as uow:
            ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            tea = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 5), NOW)
            await uow.commit()

        def driver_seen(query: Any) -> None:
            statements.append(" ".join(query.query.split()).lower())

        def checked_out(dbapi_connection: Any, *args: Any) -> None:
            if not db.is_sqlite:
                dbapi_connection.driver_connection.add_query_logger(driver_seen)

        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        event.listen(db.engine.sync_engine.pool, "checkout", checked_out)
        place = PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")
        order = await place(Actor(ann.id, Role.CUSTOMER), [ItemRequest(tea.id, 2)])
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        event.remove(db.engine.sync_engine.pool, "checkout", checked_out)
        assert any(s.startswith("insert into orders") or "insert into orders" in s for s in statements)

        timeline = [s for s in statements if "order_events" in s]
        assert len(timeline) == 1, timeline
        # On PostgreSQL the order is written behind, its event in the same statement as the order
        # and its lines (adapters/sql/hot_path.py, `_PLACE`); alone on SQLite.
        assert timeline[0].count("insert into order_events (order_id,") == 1, timeline
        if db.is_sqlite:
            assert timeline[0].startswith("insert into order_events (order_id,")
        else:
            assert "insert into orders (" in timeline[0]
        async with SqlUnitOfWork(db) as uow:
            events = await uow.order_events.list_for_order(order.id, 10, 0)
        assert [(e.type.value, e.to_status, e.created_at) for e in events] == [
            ("placed", order.status, order.created_at)
        ]
    finally:
        await db.dispose()
