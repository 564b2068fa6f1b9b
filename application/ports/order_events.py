"""The order timeline's storage (events appended in the transaction of their change) and its
view, answered by `GET /orders/{id}/events` as it is."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from msgspec import Struct

from domain.order_events import EventActor, OrderEvent, OrderEventType
from domain.orders import OrderStatus


class OrderEventRepository(Protocol):
    """Append-only: an event is never changed or removed once its transaction commits."""

    @abstractmethod
    async def append(self, event: OrderEvent) -> None:
        """Add the event (its `id` is ignored: the store numbers events in the order they
        are appended). One statement: placing an order pays for it."""

    @abstractmethod
    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[OrderEvent]:
        """The order's events, oldest first (by id, which rises with time)."""


class OrderEventOut(Struct, kw_only=True):
    """One entry of an order's timeline; `from_status`/`to_status` only where the order moved."""

    id: int
    order_id: int
    type: OrderEventType
    from_status: OrderStatus | None
    to_status: OrderStatus | None
    actor: EventActor
    detail: str | None
    created_at: datetime

    # Views are deliberate twins of their entities and of each other: one view per resource,
    # its `of` copying the entity field by field (test_view_shapes.py holds each view to its table).
    @classmethod
    def of(cls, event: OrderEvent) -> OrderEventOut:
        return cls(
            id=event.id,
            order_id=event.order_id,
            type=event.type,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor,
            detail=event.detail,
            created_at=event.created_at,
        )
