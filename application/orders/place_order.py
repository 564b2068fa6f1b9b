from __future__ import annotations

from collections.abc import Sequence

from application.ids import is_storable_id
from application.orders.find_order import find_order
from application.ports import NO_METRICS, Clock, Metrics, UnitOfWork, resumable
from domain.errors import Conflict, NotFound
from domain.order_events import EventActor, OrderEvent
from domain.orders import ItemRequest, Order, OrderLine, OutOfStock, Shortage, check_items
from domain.users import Actor


class PlaceOrder:
    """A customer orders products; their tracked stock is reserved in the same transaction.

    - 1–100 items, each quantity 1–1000, no product twice (InvalidInput);
    - unknown products → NotFound naming all of them;
    - inactive products, or products in an inactive category → Conflict naming them;
    - not enough stock → OutOfStock naming each short product and what is left,
      and nothing is reserved;
    - prices and names are copied from the products; the total is their exact sum;
    - the timeline records `placed` (to `pending`) in the same transaction;
    - a customer holding `pending_limit` pending orders already → Conflict naming the
      limit (0: no limit). Placements by one customer take turns on this count, so
      parallel ones never get past it together.

    Stock is taken with one conditional update per line, in product-id order: no
    two orders ever get the same last unit, and two orders never deadlock.

    Under an idempotency key the order is recorded on the key in its own
    transaction, so a retry after a crash resumes it instead of placing another;
    a key lost to such a retry meanwhile → Conflict, and nothing is placed.
    """

    # Stores its collaborators, as every use case's constructor does (alike by shape only).
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        currency: str,
        metrics: Metrics = NO_METRICS,
        *,
        pending_limit: int = 0,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._currency = currency
        self._metrics = metrics
        self._pending_limit = pending_limit

    @resumable
    async def __call__(self, actor: Actor, items: Sequence[ItemRequest]) -> Order:
        wanted = sorted(check_items(items), key=lambda item: item.product_id)
        async with self._uow as uow:
            limit = self._pending_limit
            if limit and await uow.orders.pending_of_placing_user(actor.user_id, limit) >= limit:
                raise Conflict(f"at most {limit} pending orders per customer: pay or cancel one first")
            ids = [item.product_id for item in wanted if is_storable_id(item.product_id)]
            found = await uow.stock.orderable(ids)
            missing = [item.product_id for item in items if item.product_id not in found]
            if missing:
                raise NotFound(f"products not found: {_ids(missing)}")
            closed = [item.product_id for item in items if not found[item.product_id].can_be_ordered]
            if closed:
                raise Conflict(f"products not available for ordering (inactive): {_ids(closed)}")
            # Untracked products (stock None) have nothing to reserve: no statement for them.
            tracked = {
                item.product_id: item.quantity
                for item in wanted
                if found[item.product_id].product.stock is not None
            }
            short = await uow.stock.reserve(tracked) if tracked else {}
            if short:
                raise OutOfStock(
                    [
                        Shortage(pid, found[pid].product.name, item.quantity, short[pid])
                        for item in wanted
                        if (pid := item.product_id) in short
                    ]
                )
            lines = [
                OrderLine(
                    product_id=item.product_id,
                    product_name=found[item.product_id].product.name,
                    quantity=item.quantity,
                    unit_price=found[item.product_id].product.price,
                )
                for item in items
            ]
            order = await uow.orders.add(Order.place(actor.user_id, lines, self._currency, self._clock.now()))
            await uow.order_events.append(OrderEvent.placed(order, EventActor.of(actor)))
            await uow.idempotency.record_created(order.id)
            await uow.commit()
        self._metrics.order_placed()
        return order

    async def resume(self, actor: Actor, order_id: int) -> Order:
        """The order an earlier request under the same key placed, read afresh."""
        async with self._uow as uow:
            return await find_order(uow, actor, order_id)


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)
