"""Order pages on PostgreSQL (a customer's history, the back office's list): two prepared
statements on the read pool, rows straight into the `OrderOut` views.

One connection, no transaction: the orders page first, then the items of those orders.
Items never change once their order is placed, so reading them a moment after the
orders cannot pair an order with items it did not have; an order's status read in the
first statement is the one shown, as a single read would show it.

The statements select the views' fields by name (`view_columns`); the fields that are not a
column of the same name are in `ORDER_COMPUTED` and `ITEM_COMPUTED`.
"""

from __future__ import annotations

from adapters.sql.catalog_reads import ReadPool, amount_text
from adapters.sql.hot_path import array_parameter
from adapters.sql.view_columns import view_columns
from application.ports import OrderFilter, OrderItemOut, OrderOut, OrderReadModel
from domain.orders import OrderStatus

# The view's fields that are not a column of `orders` of the same name. `items` come from
# `order_lines` in the second statement (NULL holds their place in the row).
ORDER_COMPUTED = {
    "total_price": amount_text("total_minor"),
    "refunded_total": amount_text("refunded_minor"),
    "items": "NULL",
}
ITEM_COMPUTED = {"price": amount_text("unit_price_minor")}

_COLUMNS = f"SELECT {view_columns(OrderOut, ORDER_COMPUTED)} FROM orders"  # noqa: S608 - constant SQL
_ORDERS = (
    f"{_COLUMNS} WHERE user_id = $1 AND ($2::text IS NULL OR status = $2) "
    "ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
)
_ITEMS = (
    f"SELECT order_id, {view_columns(OrderItemOut, ITEM_COMPUTED)} "  # noqa: S608 - constant SQL
    f"FROM order_lines WHERE order_id = ANY({array_parameter(1, 'bigint')}) ORDER BY order_id, id"
)


def all_orders_statement(criteria: OrderFilter, limit: int, offset: int) -> tuple[str, list[object]]:
    """The back office's page of orders: SQL text and its arguments.

    Only the filters given are in the text (no `$n IS NULL OR …`): each combination is its own
    prepared statement, planned for what it filters on, so an index on (status | user_id,
    created_at, id) or (created_at, id) serves both the filter and the sort.
    """
    conditions: list[str] = []
    args: list[object] = []
    for condition, value in (
        ("status = ${}", criteria.status.value if criteria.status else None),
        ("user_id = ${}", criteria.user_id),
        ("created_at >= ${}", criteria.created_from),
        ("created_at <= ${}", criteria.created_to),
    ):
        if value is not None:
            args.append(value)
            conditions.append(condition.format(len(args)))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    args += [limit, offset]
    sql = f"{_COLUMNS}{where} ORDER BY created_at DESC, id DESC LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    return sql, args


class AsyncpgOrderReadModel(OrderReadModel):
    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    async def orders_of(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[OrderOut]:
        return await self._page(_ORDERS, user_id, status.value if status else None, limit, offset)

    async def all_orders(self, criteria: OrderFilter, limit: int, offset: int) -> list[OrderOut]:
        sql, args = all_orders_statement(criteria, limit, offset)
        return await self._page(sql, *args)

    async def _page(self, sql: str, *args: object) -> list[OrderOut]:
        """The orders `sql` selects (`_COLUMNS`), then their items."""
        pool = await self._pool.get()
        async with pool.acquire() as conn:
            orders = [OrderOut(*row) for row in await conn.fetch(sql, *args)]
            items: dict[int, list[OrderItemOut]] = {order.id: [] for order in orders}
            if orders:
                for row in await conn.fetch(_ITEMS, list(items)):
                    items[row[0]].append(OrderItemOut(*row[1:]))
        for order in orders:
            order.items = items[order.id]
        return orders
