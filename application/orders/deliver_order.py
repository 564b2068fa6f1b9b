from __future__ import annotations

from application.orders.find_order import find_order
from application.orders.moves import store_move
from application.ports import Clock, UnitOfWork
from domain.order_events import EventActor
from domain.orders import Order
from domain.users import Actor


class DeliverOrder:
    """An admin marks a shipped order delivered."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        actor.ensure_admin()
        async with self._uow as uow:
            order = await find_order(uow, actor, order_id)
            delivered = await store_move(uow, order, order.deliver(self._clock.now()), EventActor.ADMIN)
            await uow.commit()
        return delivered
