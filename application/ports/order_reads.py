"""The order history's read side: a customer's orders as shown, straight from storage.

A history page shows up to 100 orders with their items; turning each into a domain
`Order` (and its `Money`, its validated lines) only to turn it into JSON was most of
that page's cost. Views carry what the API shows, amounts already as text.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from application.ports.orders import OrderFilter
from domain.orders import OrderStatus


# What the views hold, as protocols: each read model builds its own kind of object.
class OrderItemView(Protocol):
    id: int
    product_id: int
    product_name: str
    quantity: int
    price: str  # the unit price, two decimals: "149.90"


class OrderView(Protocol):
    id: int
    user_id: int
    status: str
    total_price: str
    refunded_total: str  # the sum of the succeeded refunds of its payments, "0.00" when none
    currency: str
    created_at: datetime
    updated_at: datetime

    @property
    def items(self) -> Sequence[OrderItemView]: ...


class OrderReadModel(Protocol):
    @abstractmethod
    async def orders_of(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> Sequence[OrderView]:
        """The user's orders, newest first (ties by id, newest first), each with its items in order."""

    @abstractmethod
    async def all_orders(self, criteria: OrderFilter, limit: int, offset: int) -> Sequence[OrderView]:
        """Every order that matches, newest first (ties by id, newest first), with its items."""
