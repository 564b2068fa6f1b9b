from __future__ import annotations

from application.orders.find_order import find_order
from application.paging import Page
from application.ports import UnitOfWork
from domain.order_events import OrderEvent
from domain.users import Actor


# Deliberate twin of payments' ListOrderPayments (see there).
class ListOrderEvents:
    """An order's timeline, oldest first, for its owner or an admin (anyone else: NotFound).

    One event per change of the order, its payments and its refunds, recorded in the
    change's transaction: `{id, order_id, type, from_status, to_status, actor, detail,
    created_at}`, `from_status`/`to_status` only where the order moved (see
    `domain.order_events`).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, order_id: int, page: Page) -> list[OrderEvent]:
        async with self._uow as uow:
            order = await find_order(uow, actor, order_id)
            return await uow.order_events.list_for_order(order.id, page.limit, page.offset)
