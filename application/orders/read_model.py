"""The order read model built from the unit of work's repository (its port is in
`application.ports.order_reads`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import OrderFilter, OrderItemView, OrderReadModel, OrderView, UnitOfWork
from domain.orders import Order, OrderStatus


@dataclass(slots=True)
class OrderItemRow:
    id: int
    product_id: int
    product_name: str
    quantity: int
    price: str


@dataclass(slots=True)
class OrderRow:
    id: int
    user_id: int
    status: str
    total_price: str
    refunded_total: str
    currency: str
    items: Sequence[OrderItemView]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderRow:
        items = [
            OrderItemRow(
                line.id, line.product_id, line.product_name, line.quantity, str(line.unit_price.amount)
            )
            for line in order.lines
        ]
        return cls(
            order.id,
            order.user_id,
            order.status.value,
            str(order.total.amount),
            str(order.refunded_total.amount),
            order.currency,
            items,
            order.created_at,
            order.updated_at,
        )


class RepositoryOrderReadModel(OrderReadModel):
    """Views of the orders as the unit of work's repository loads them: the embedded database's
    and the unit tests' read model (PostgreSQL has a faster one in `adapters.sql`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def orders_of(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> Sequence[OrderView]:
        async with self._uow as uow:
            orders = await uow.orders.list_for_user(user_id, status, limit, offset)
        return [OrderRow.of(order) for order in orders]

    async def all_orders(self, criteria: OrderFilter, limit: int, offset: int) -> Sequence[OrderView]:
        async with self._uow as uow:
            orders = await uow.orders.list_all(criteria, limit, offset)
        return [OrderRow.of(order) for order in orders]
