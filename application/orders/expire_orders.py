from __future__ import annotations

from datetime import timedelta

from application.orders.moves import cancel_and_restock
from application.ports import NO_METRICS, Clock, Metrics, UnitOfWork
from domain.errors import InvalidTransition
from domain.order_events import EventActor, OrderEventType
from domain.orders import OrderStatus


class ExpireOrders:
    """Cancel every pending order placed more than `timeout` ago and return its stock.

    Safe to run in every instance at once: each order is cancelled by one
    conditional update, so it expires exactly once, whoever gets there first.
    Each order is expired in its own transaction, which records `expired` by `system` on its
    timeline. Returns how many this run expired.
    """

    # Stores its collaborators, as every use case's constructor does (alike by shape only).
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        timeout: timedelta,
        batch_size: int = 100,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._metrics = metrics
        self._clock = clock
        self._timeout = timeout
        self._batch_size = batch_size

    async def __call__(self) -> int:
        expired = 0
        while True:
            cutoff = self._clock.now() - self._timeout
            async with self._uow as uow:
                due = await uow.orders.pending_since(cutoff, self._batch_size)
            won = 0
            for order_id in due:
                won += await self._expire(order_id)
            expired += won
            self._metrics.orders_expired(won)
            if len(due) < self._batch_size or won == 0:
                return expired

    async def _expire(self, order_id: int) -> int:
        async with self._uow as uow:
            order = await uow.orders.get(order_id)
            if order is None or order.status is not OrderStatus.PENDING:
                return 0
            try:
                await cancel_and_restock(
                    uow, order, self._clock.now(), EventActor.SYSTEM, OrderEventType.EXPIRED
                )
            except InvalidTransition:
                return 0  # paid or cancelled meanwhile, by a request or another instance
            await uow.commit()
        return 1
