"""The fake order and stock repositories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from application.ports import OrderableProduct, OrderFilter, OrderRepository, StockRepository
from domain.orders import Order, OrderStatus
from tests.fakes.state import MemoryState


def _matches(order: Order, criteria: OrderFilter) -> bool:
    return (
        (criteria.status is None or order.status is criteria.status)
        and (criteria.user_id is None or order.user_id == criteria.user_id)
        and (criteria.created_from is None or order.created_at >= criteria.created_from)
        and (criteria.created_to is None or order.created_at <= criteria.created_to)
    )


def _newest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: (o.created_at, o.id), reverse=True)


class MemoryStockRepository(StockRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        found = {}
        for product_id in product_ids:
            product = self._s.products.get(product_id)
            category = self._s.categories.get(product.category_id) if product else None
            if product is not None and category is not None:
                found[product_id] = OrderableProduct(product, category.is_active)
        return found

    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        short = {}
        for product_id in sorted(quantities):
            product = self._s.products.get(product_id)
            if product is None or product.stock is None:
                continue
            if product.stock < quantities[product_id]:
                short[product_id] = product.stock
                continue
            self._s.products[product_id] = replace(product, stock=product.stock - quantities[product_id])
        return short

    async def release(self, quantities: Mapping[int, int]) -> None:
        for product_id in sorted(quantities):
            product = self._s.products.get(product_id)
            if product is not None and product.stock is not None:
                self._s.products[product_id] = replace(product, stock=product.stock + quantities[product_id])


class MemoryOrderRepository(OrderRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, order: Order) -> Order:
        order_id = self._s.next_id("orders")
        lines = tuple(replace(line, id=self._s.next_id("order_lines")) for line in order.lines)
        stored = replace(order, id=order_id, lines=lines)
        self._s.orders[order_id] = stored
        return stored

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        return self._s.orders.get(order_id)

    async def add_refunded(self, order_id: int, minor: int, now: datetime) -> None:
        order = self._s.orders.get(order_id)
        if order is not None:
            self._s.orders[order_id] = replace(
                order, refunded_minor=order.refunded_minor + minor, updated_at=now
            )

    async def list_for_user(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[Order]:
        found = _newest_first(
            [
                o
                for o in self._s.orders.values()
                if o.user_id == user_id and (status is None or o.status is status)
            ]
        )
        return found[offset : offset + limit]

    async def list_all(self, criteria: OrderFilter, limit: int, offset: int) -> list[Order]:
        found = _newest_first([o for o in self._s.orders.values() if _matches(o, criteria)])
        return found[offset : offset + limit]

    async def pending_of_placing_user(self, user_id: int, up_to: int) -> int:
        pending = sum(
            1 for o in self._s.orders.values() if o.user_id == user_id and o.status is OrderStatus.PENDING
        )
        return min(pending, up_to)

    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        stored = self._s.orders.get(order.id)
        if stored is None or stored.status is not expected:
            return False
        self._s.orders[order.id] = replace(stored, status=order.status, updated_at=order.updated_at)
        return True

    async def pending_since(self, before: datetime, limit: int) -> list[int]:
        found = sorted(
            (o for o in self._s.orders.values() if o.status is OrderStatus.PENDING and o.created_at < before),
            key=lambda o: (o.created_at, o.id),
        )
        return [o.id for o in found[:limit]]
