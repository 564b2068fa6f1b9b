from __future__ import annotations

from application.orders.moves import FulfilmentStep
from domain.orders import Order
from domain.users import Actor


class ShipOrder(FulfilmentStep):
    """An admin ships a paid order (errors: `FulfilmentStep`)."""

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        return await self._step(actor, order_id, Order.ship)
