"""The order timeline over SQLAlchemy Core."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import order_events
from application.ports import OrderEventRepository
from domain.order_events import EventActor, OrderEvent, OrderEventType
from domain.orders import OrderStatus


def _event(row: Row[Any]) -> OrderEvent:
    return OrderEvent(
        id=row.id,
        order_id=row.order_id,
        type=OrderEventType(row.type),
        actor=EventActor(row.actor),
        created_at=row.created_at,
        from_status=None if row.from_status is None else OrderStatus(row.from_status),
        to_status=None if row.to_status is None else OrderStatus(row.to_status),
        detail=row.detail,
    )


class SqlOrderEventRepository(OrderEventRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, event: OrderEvent) -> None:
        # One INSERT, one round trip (PostgreSQL answers the new id in it; nothing uses it).
        await self._conn.execute(
            insert(order_events).values(
                order_id=event.order_id,
                type=event.type.value,
                from_status=None if event.from_status is None else event.from_status.value,
                to_status=None if event.to_status is None else event.to_status.value,
                actor=event.actor.value,
                detail=event.detail,
                created_at=event.created_at,
            )
        )

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[OrderEvent]:
        query = (
            select(order_events)
            .where(order_events.c.order_id == order_id)
            .order_by(order_events.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_event(row) for row in await self._conn.execute(query)]
