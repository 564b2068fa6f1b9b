"""Storing an order's status move, conditionally, and the cancel that gives its stock back."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from domain.orders import Order


async def store_move(uow: UnitOfWork, order: Order, moved: Order) -> Order:
    """Store a move made from `order`'s status, unless another transaction moved it first.

    The conditional write means two concurrent moves (cancel and pay, cancel and
    expire) never both happen: the loser sees the winner's status and is refused.
    """
    if await uow.orders.save_status(moved, expected=order.status):
        return moved
    current = await uow.orders.get(order.id)
    assert current is not None
    # Raises InvalidTransition naming the status the other transaction set.
    current.move_to(moved.status, moved.updated_at)
    raise AssertionError("unreachable: the stored status changed but the move is still allowed")


async def cancel_and_restock(uow: UnitOfWork, order: Order, now: datetime) -> Order:
    """Cancel a pending order and put its units back."""
    cancelled = await store_move(uow, order, order.cancel(now))
    await uow.stock.release({line.product_id: line.quantity for line in order.lines})
    return cancelled
