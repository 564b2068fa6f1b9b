"""Storing an order's status move, conditionally, with its timeline event; the cancel that gives
its stock back; and the back office's fulfilment steps (ship, deliver), which differ only in the
move they make."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from application.orders.find_order import find_order
from application.ports import Clock, UnitOfWork
from domain.order_events import EventActor, OrderEvent, OrderEventType
from domain.orders import Order
from domain.users import Actor


async def store_move(
    uow: UnitOfWork,
    order: Order,
    moved: Order,
    actor: EventActor,
    event_type: OrderEventType | None = None,
) -> Order:
    """Store a move made from `order`'s status, unless another transaction moved it first,
    and append its event to the order's timeline in the same transaction.

    The event's type is the target status's (`paid`, `shipped`, …) unless `event_type`
    names another (`expired`). The conditional write means two concurrent moves (cancel
    and pay, cancel and expire) never both happen: the loser sees the winner's status and
    is refused (InvalidTransition), and records nothing.
    """
    if await uow.orders.save_status(moved, expected=order.status):
        await uow.order_events.append(OrderEvent.moved(order, moved, actor, event_type))
        return moved
    current = await uow.orders.get(order.id)
    assert current is not None
    # Raises InvalidTransition naming the status the other transaction set.
    current.move_to(moved.status, moved.updated_at)
    raise AssertionError("unreachable: the stored status changed but the move is still allowed")


async def cancel_and_restock(
    uow: UnitOfWork,
    order: Order,
    now: datetime,
    actor: EventActor,
    event_type: OrderEventType = OrderEventType.CANCELLED,
) -> Order:
    """Cancel a pending order and put its units back (`expired` when the app does it)."""
    cancelled = await store_move(uow, order, order.cancel(now), actor, event_type)
    await uow.stock.release({line.product_id: line.quantity for line in order.lines})
    return cancelled


class FulfilmentStep:
    """Base of the back office's fulfilment use cases (`ShipOrder`, `DeliverOrder`): an admin
    moves an order one step, stored conditionally (`store_move`) and committed.

    Errors: a non-admin → AccessDenied; an unknown order → NotFound; a status the step cannot
    leave → InvalidTransition naming it (`domain.orders.ALLOWED_MOVES`).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _step(self, actor: Actor, order_id: int, move: Callable[[Order, datetime], Order]) -> Order:
        actor.ensure_admin()
        async with self._uow as uow:
            order = await find_order(uow, actor, order_id)
            moved = await store_move(uow, order, move(order, self._clock.now()), EventActor.ADMIN)
            await uow.commit()
        return moved
