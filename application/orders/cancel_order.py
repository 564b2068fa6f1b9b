from __future__ import annotations

from application.orders.find_order import find_order
from application.orders.moves import cancel_and_restock
from application.ports import NO_METRICS, Clock, Metrics, UnitOfWork
from domain.order_events import EventActor
from domain.orders import Order
from domain.users import Actor


class CancelOrder:
    """The owner or an admin cancels a pending order; its reserved stock goes back.

    The timeline records `cancelled` by `customer` or `admin`, by the caller's role.
    Any other status → InvalidTransition naming it. An open payment is left to
    the provider (a later success is flagged for refund by the payments side).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        async with self._uow as uow:
            order = await find_order(uow, actor, order_id)
            cancelled = await cancel_and_restock(uow, order, self._clock.now(), EventActor.of(actor))
            await uow.commit()
        self._metrics.order_cancelled()
        return cancelled
