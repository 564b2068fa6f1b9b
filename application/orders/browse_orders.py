from __future__ import annotations

from collections.abc import Sequence

from application.common import Page
from application.orders.common import find_order
from application.orders.read_model import OrderReadModel, OrderView
from application.ports import UnitOfWork
from domain.orders import Order, OrderStatus
from domain.users import Actor


class ListMyOrders:
    """The caller's own orders, newest first, optionally of one status, as shown: a page of
    history changes nothing, so it is read without building domain orders."""

    def __init__(self, reads: OrderReadModel) -> None:
        self._reads = reads

    async def __call__(self, actor: Actor, status: OrderStatus | None, page: Page) -> Sequence[OrderView]:
        return await self._reads.orders_of(actor.user_id, status, page.limit, page.offset)


class GetOrder:
    """One order with its items, for its owner or an admin; anyone else gets NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        async with self._uow as uow:
            return await find_order(uow, actor, order_id)
