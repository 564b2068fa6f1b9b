"""The order read model built from the unit of work's repository (its port and views are in
`application.ports.order_reads`)."""

from __future__ import annotations

from application.ports import OrderFilter, OrderOut, OrderReadModel, UnitOfWork
from domain.orders import OrderStatus


class RepositoryOrderReadModel(OrderReadModel):
    """Views of the orders as the unit of work's repository loads them: the embedded database's
    and the unit tests' read model (PostgreSQL has a faster one in `adapters.sql`)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def orders_of(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[OrderOut]:
        async with self._uow as uow:
            orders = await uow.orders.list_for_user(user_id, status, limit, offset)
        return [OrderOut.of(order) for order in orders]

    async def all_orders(self, criteria: OrderFilter, limit: int, offset: int) -> list[OrderOut]:
        async with self._uow as uow:
            orders = await uow.orders.list_all(criteria, limit, offset)
        return [OrderOut.of(order) for order in orders]
