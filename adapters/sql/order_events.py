"""The order timeline over SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.entity_rows import EntityRows
from adapters.sql.repositories import page_of
from adapters.sql.tables import order_events
from application.ports import OrderEventRepository
from domain.order_events import OrderEvent

ORDER_EVENTS = EntityRows(OrderEvent, order_events)


class SqlOrderEventRepository(OrderEventRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, event: OrderEvent) -> None:
        # One INSERT, one round trip (PostgreSQL answers the new id in it; nothing uses it).
        await self._conn.execute(insert(order_events).values(ORDER_EVENTS.values(event)))

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[OrderEvent]:
        query = page_of(order_events, "order_id", order_id, limit, offset)
        return [ORDER_EVENTS.from_sql(row) for row in await self._conn.execute(query)]
