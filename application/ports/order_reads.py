"""The order read side: the order as the API shows it (`OrderOut`), and the port that reads pages of them.

`OrderOut` is the one view of an order: every route answers with it as it is (a single order
is built from the domain `Order` by `OrderOut.of`; a history page is read straight from
storage into it, without building domain orders: turning each into an `Order`, its `Money`
and its validated lines only to turn it into JSON was most of that page's cost). Amounts are
already text with two decimals ("149.90"), as msgspec writes a `Decimal`.

Adding a field to an order: the domain (`domain/orders.py`), the table and its migration, and
a field here (filled in `of`). The SQL readers select the view's fields by name
(`adapters/sql/order_reads.py`); `tests/unit/test_view_shapes.py` holds the view and the table
together.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Literal, Protocol

import msgspec

from application.ports.orders import OrderFilter
from domain.orders import Order, OrderLine, OrderStatus

OrderStatusName = Literal["pending", "paid", "shipped", "delivered", "cancelled", "refunded"]


# gc=False: a view holds no reference cycle; msgspec builds and encodes these without the
# collector tracking them (a page of 50 orders costs ~15 % less CPU than with dataclasses,
# measured with `python -m bench.cpu`). Positional construction is what the SQL reader uses.
class OrderItemOut(msgspec.Struct, gc=False):
    """One line of an order, as sold."""

    id: int
    product_id: int
    product_name: str
    quantity: int
    price: str  # the unit price, two decimals: "149.90"

    @classmethod
    def of(cls, line: OrderLine) -> OrderItemOut:
        return cls(line.id, line.product_id, line.product_name, line.quantity, str(line.unit_price.amount))


class OrderOut(msgspec.Struct, gc=False):
    """An order with its items, as the API shows it (the component name is the wire format's)."""

    id: int
    user_id: int
    status: OrderStatusName
    total_price: str  # two decimals: "149.90"
    refunded_total: str  # the sum of the succeeded refunds of its payments, "0.00" when none
    currency: str
    items: list[OrderItemOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            order.id,
            order.user_id,
            order.status.value,
            str(order.total.amount),
            str(order.refunded_total.amount),
            order.currency,
            [OrderItemOut.of(line) for line in order.lines],
            order.created_at,
            order.updated_at,
        )


# Deliberate twin of OrderRepository's pages: the same pages as views for the API, read
# without building domain orders.
class OrderReadModel(Protocol):
    @abstractmethod
    async def orders_of(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[OrderOut]:
        """The user's orders, newest first (ties by id, newest first), each with its items in order."""

    @abstractmethod
    async def all_orders(self, criteria: OrderFilter, limit: int, offset: int) -> list[OrderOut]:
        """Every order that matches, newest first (ties by id, newest first), with its items."""
