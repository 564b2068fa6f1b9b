"""Storing an order's status move, conditionally, with its timeline event; and the cancel that
gives its stock back."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from domain.order_events import EventActor, OrderEvent, OrderEventType
from domain.orders import Order


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
