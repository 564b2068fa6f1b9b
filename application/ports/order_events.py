"""The order timeline's storage: events appended in the transaction of their change."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.order_events import OrderEvent


class OrderEventRepository(Protocol):
    """Append-only: an event is never changed or removed once its transaction commits."""

    @abstractmethod
    async def append(self, event: OrderEvent) -> None:
        """Add the event (its `id` is ignored: the store numbers events in the order they
        are appended). One statement: placing an order pays for it."""

    @abstractmethod
    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[OrderEvent]:
        """The order's events, oldest first (by id, which rises with time)."""
