"""An order as its owner or an admin may see it."""

from __future__ import annotations

from application.ids import is_storable_id
from application.ports import UnitOfWork
from domain.errors import NotFound
from domain.orders import Order
from domain.users import Actor


async def find_order(uow: UnitOfWork, actor: Actor, order_id: int, *, for_update: bool = False) -> Order:
    """The order if the actor owns it or is an admin; anyone else learns nothing (NotFound)."""
    order = await uow.orders.get(order_id, for_update=for_update) if is_storable_id(order_id) else None
    if order is None or (order.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"order {order_id} not found")
    return order
