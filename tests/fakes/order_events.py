"""The fake order timeline: events numbered as they are appended, read oldest first."""

from __future__ import annotations

from dataclasses import replace

from application.ports import OrderEventRepository
from domain.order_events import OrderEvent
from tests.fakes.state import MemoryState


class MemoryOrderEventRepository(OrderEventRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def append(self, event: OrderEvent) -> None:
        if event.order_id not in self._s.orders:
            raise AssertionError(f"order {event.order_id} does not exist (a foreign key in SQL)")
        stored = replace(event, id=self._s.next_id("order_events"))
        self._s.order_events[stored.id] = stored

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[OrderEvent]:
        found = sorted(
            (e for e in self._s.order_events.values() if e.order_id == order_id), key=lambda e: e.id
        )
        return found[offset : offset + limit]
