"""Orders and stock over SQLAlchemy Core.

Stock is reserved with one conditional UPDATE per line (`stock >= q`), so the
database itself refuses the unit that is no longer there: no read-then-write
race, on any number of app instances. Callers reserve in product-id order, so
two orders over the same products lock their rows in the same order and never
deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.entity_rows import EntityRows
from adapters.sql.repositories import PRODUCTS, execute_write
from adapters.sql.tables import categories, order_lines, orders, products, users
from application.ports import OrderableProduct, OrderFilter, OrderRepository, StockRepository
from domain.orders import Order, OrderLine, OrderStatus


class SqlStockRepository(StockRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        if not product_ids:
            return {}
        query = (
            select(products, categories.c.is_active.label("category_active"))
            .join(categories, categories.c.id == products.c.category_id)
            .where(products.c.id.in_(list(product_ids)))
        )
        found = {}
        for row in await self._conn.execute(query):
            found[row.id] = OrderableProduct(PRODUCTS.from_sql(row), bool(row.category_active))
        return found

    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        short: dict[int, int] = {}
        for product_id in sorted(quantities):
            quantity = quantities[product_id]
            result = await self._conn.execute(
                update(products)
                .where(
                    products.c.id == product_id,
                    products.c.stock.is_not(None),
                    products.c.stock >= quantity,
                )
                .values(stock=products.c.stock - quantity)
            )
            if result.rowcount == 1:
                continue
            # Nothing updated: short of stock, or untracked (never short).
            left = (
                await self._conn.execute(select(products.c.stock).where(products.c.id == product_id))
            ).scalar_one_or_none()
            if left is not None:
                short[product_id] = int(left)
        return short

    async def release(self, quantities: Mapping[int, int]) -> None:
        for product_id in sorted(quantities):
            await self._conn.execute(
                update(products)
                .where(products.c.id == product_id, products.c.stock.is_not(None))
                .values(stock=products.c.stock + quantities[product_id])
            )


def order_conditions(criteria: OrderFilter) -> list[ColumnElement[bool]]:
    """Only the filters given: each combination is its own statement, which the indexes on
    (status | user_id, created_at, id) serve with the sort."""
    conditions: list[ColumnElement[bool]] = []
    if criteria.status is not None:
        conditions.append(orders.c.status == criteria.status.value)
    if criteria.user_id is not None:
        conditions.append(orders.c.user_id == criteria.user_id)
    if criteria.created_from is not None:
        conditions.append(orders.c.created_at >= criteria.created_from)
    if criteria.created_to is not None:
        conditions.append(orders.c.created_at <= criteria.created_to)
    return conditions


# An order's lines are read with it; its total is kept for the database's check and readers;
# `refunded_minor` is added to by `add_refunded` only.
ORDERS = EntityRows(
    Order,
    orders,
    read_args=("lines",),
    computed={"total_minor": lambda order: order.total.minor},
    kept_apart=("refunded_minor",),
)
# A line's unit price is in its order's currency.
ORDER_LINES = EntityRows(OrderLine, order_lines, read_args=("currency",), write_args=("order_id",))


class SqlOrderRepository(OrderRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> Order:
        result = await execute_write(
            self._conn, insert(orders).values(ORDERS.values(order)).returning(orders.c.id)
        )
        order_id = int(result.scalar_one())
        line_ids = await self._conn.execute(
            insert(order_lines).returning(order_lines.c.id, sort_by_parameter_order=True),
            [ORDER_LINES.values(line, order_id=order_id) for line in order.lines],
        )
        # What was stored, without reading it back: ids from RETURNING, in the lines' order.
        lines = tuple(
            replace(line, id=int(line_id))
            for line, line_id in zip(order.lines, line_ids.scalars(), strict=True)
        )
        return replace(order, id=order_id, lines=lines)

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        query = select(orders).where(orders.c.id == order_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        return (await self._with_lines([row]))[0]

    async def pending_of_placing_user(self, user_id: int, up_to: int) -> int:
        # FOR NO KEY UPDATE: placements by this user queue behind each other, while the
        # foreign-key checks of other inserts naming the user (KEY SHARE) are not held up.
        await self._conn.execute(
            select(users.c.id).where(users.c.id == user_id).with_for_update(key_share=True)
        )
        pending = (
            select(orders.c.id)
            .where(orders.c.user_id == user_id, orders.c.status == OrderStatus.PENDING.value)
            .limit(up_to)
            .subquery()
        )
        return int((await self._conn.execute(select(func.count()).select_from(pending))).scalar_one())

    async def list_for_user(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[Order]:
        query = (
            select(orders)
            .where(orders.c.user_id == user_id)
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(orders.c.status == status.value)
        return await self._with_lines(list(await self._conn.execute(query)))

    async def list_all(self, criteria: OrderFilter, limit: int, offset: int) -> list[Order]:
        query = (
            select(orders)
            .where(*order_conditions(criteria))
            .order_by(orders.c.created_at.desc(), orders.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return await self._with_lines(list(await self._conn.execute(query)))

    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        result = await self._conn.execute(
            update(orders)
            .where(orders.c.id == order.id, orders.c.status == expected.value)
            .values(status=order.status.value, updated_at=order.updated_at)
        )
        return bool(result.rowcount == 1)

    async def add_refunded(self, order_id: int, minor: int, now: datetime) -> None:
        await self._conn.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(refunded_minor=orders.c.refunded_minor + minor, updated_at=now)
        )

    async def pending_since(self, before: datetime, limit: int) -> list[int]:
        query = (
            select(orders.c.id)
            .where(orders.c.status == OrderStatus.PENDING.value, orders.c.created_at < before)
            .order_by(orders.c.created_at, orders.c.id)
            .limit(limit)
        )
        return [int(order_id) for order_id in (await self._conn.execute(query)).scalars()]

    async def _with_lines(self, rows: list[Row[Any]]) -> list[Order]:
        if not rows:
            return []
        currency = {row.id: row.currency for row in rows}
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        query = (
            select(order_lines)
            .where(order_lines.c.order_id.in_(list(currency)))
            .order_by(order_lines.c.order_id, order_lines.c.id)
        )
        for line in await self._conn.execute(query):
            lines[line.order_id].append(ORDER_LINES.from_row(line._mapping, currency=currency[line.order_id]))
        return [ORDERS.from_row(row._mapping, lines=tuple(lines[row.id])) for row in rows]
