from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from application.ids import is_storable_id
from application.orders.find_order import find_order
from application.paging import Page
from application.ports import OrderFilter, OrderOut, OrderReadModel, UnitOfWork
from domain.errors import InvalidInput
from domain.orders import Order, OrderStatus
from domain.users import Actor


class ListMyOrders:
    """The caller's own orders, newest first, optionally of one status, as shown: a page of
    history changes nothing, so it is read without building domain orders."""

    def __init__(self, reads: OrderReadModel) -> None:
        self._reads = reads

    async def __call__(self, actor: Actor, status: OrderStatus | None, page: Page) -> list[OrderOut]:
        return await self._reads.orders_of(actor.user_id, status, page.limit, page.offset)


class ListOrders:
    """Every order, newest first (ties by id, newest first), for administrators: the back
    office's list to fulfil from.

    - filters combine: `status`, `user_id`, and `created_from`/`created_to`, both inclusive;
    - a time without a zone is UTC; one that UTC cannot hold is the calendar's first or last
      instant;
    - `created_from` later than `created_to` is InvalidInput (naming `created_to`);
    - a `user_id` beyond the database's range matches nothing (an empty page, not an error).
    """

    def __init__(self, reads: OrderReadModel) -> None:
        self._reads = reads

    async def __call__(self, actor: Actor, criteria: OrderFilter, page: Page) -> list[OrderOut]:
        actor.ensure_admin()
        criteria = replace(
            criteria,
            created_from=_utc(criteria.created_from),
            created_to=_utc(criteria.created_to),
        )
        if criteria.created_from and criteria.created_to and criteria.created_from > criteria.created_to:
            raise InvalidInput.for_field("created_to", "must not be earlier than created_from")
        if criteria.user_id is not None and not is_storable_id(criteria.user_id):
            return []
        return await self._reads.all_orders(criteria, page.limit, page.offset)


def _utc(moment: datetime | None) -> datetime | None:
    """`moment` in UTC (naive = UTC already); the calendar's first or last instant when the
    offset takes it past either end (`0001-01-01T00:00+01:00`, `9999-12-31T23:00-05:00`)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.max if moment.year == datetime.max.year else datetime.min
        return edge.replace(tzinfo=UTC)


class GetOrder:
    """One order with its items, for its owner or an admin; anyone else gets NotFound."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, order_id: int) -> Order:
        async with self._uow as uow:
            return await find_order(uow, actor, order_id)
