from __future__ import annotations

from application.common import Page
from application.orders.common import find_order
from application.ports import UnitOfWork
from domain.orders import Order, OrderStatus
from domain.users import Actor


class ListMyOrders:
    """The caller's own orders, newest first, optionally of one status."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, status: OrderStatus | None, page: Page) -> list[Order]:
        async with self._uow as uow:
            return await uow.orders.list_for_user(actor.user_id, status, page.limit, page.offset)


class GetOrder:
    """One order with its items, for its owner or an admin; anyone else gets NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        async with self._uow as uow:
            return await find_order(uow, actor, order_id)
