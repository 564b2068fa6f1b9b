"""Orders and the stock they reserve: the repositories, the order filter."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.catalog import Product
from domain.money import Money
from domain.orders import Order, OrderStatus


# Alike by shape only with payments' Checkout: a value with the state it is judged by.
@dataclass(frozen=True, slots=True)
class OrderableProduct:
    """A product as an order sees it: with whether its category is active."""

    product: Product
    category_active: bool

    @property
    def can_be_ordered(self) -> bool:
        return self.product.is_active and self.category_active


class StockRepository(Protocol):
    """Units on the shelf. Reservations are atomic: no two orders get the same last unit."""

    @abstractmethod
    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        """The products that exist among `product_ids`, by id."""

    @abstractmethod
    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        """Take the units of every tracked product, in product-id order (so that two
        orders over the same products never deadlock); untracked products are never short.

        Returns the short products with the units they have left; when it is not
        empty some lines may have been taken, and the caller must roll back.
        """

    @abstractmethod
    async def release(self, quantities: Mapping[int, int]) -> None:
        """Put units back on the shelf, in product-id order (untracked products are left alone)."""


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders the back office lists; `None` matches any. `created_*` are inclusive
    bounds, timezone-aware UTC."""

    status: OrderStatus | None = None
    user_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderToPay:
    """What starting a payment needs of an order: who owns it, its status and its total (the
    total as stored with the order when it was placed: the sum of its lines), not the lines."""

    id: int
    user_id: int
    status: OrderStatus
    total: Money

    @property
    def is_payable(self) -> bool:
        """As `Order.is_payable`: only a pending order can still be paid."""
        return self.status is OrderStatus.PENDING


# Repository ports are alike by shape (add, get, find, save, list): one Protocol per
# resource, each method with its own contract.
# The order pages here and `OrderReadModel`'s are twins too: entities for use cases, views for the API.
class OrderRepository(Protocol):
    @abstractmethod
    async def add(self, order: Order) -> Order:
        """Insert the order with its lines; returns it with ids assigned."""

    @abstractmethod
    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """One order; `for_update` locks its row until the transaction ends (PostgreSQL)."""

    async def lock_to_pay(self, order_id: int) -> OrderToPay | None:
        """The order as a payment start needs it, its row locked as by `get(for_update=True)`;
        an implementation may read it without its lines (PostgreSQL: one row, one statement)."""
        order = await self.get(order_id, for_update=True)
        if order is None:
            return None
        return OrderToPay(order.id, order.user_id, order.status, order.total)

    @abstractmethod
    async def list_for_user(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[Order]:
        """A user's orders, newest first (ties broken by id, descending)."""

    @abstractmethod
    async def list_all(self, criteria: OrderFilter, limit: int, offset: int) -> list[Order]:
        """Every order that matches, newest first (ties broken by id, descending)."""

    @abstractmethod
    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        """Store `order`'s status and `updated_at` only if the stored status is still
        `expected`; False when another transaction moved it first (nothing written)."""

    @abstractmethod
    async def add_refunded(self, order_id: int, minor: int, now: datetime) -> None:
        """Add `minor` (minor units of the order's currency) to the order's `refunded_total`:
        one of its refunds succeeded (in that refund's transaction)."""

    @abstractmethod
    async def pending_since(self, before: datetime, limit: int) -> list[int]:
        """Ids of pending orders placed before `before`, oldest first."""

    @abstractmethod
    async def pending_of_placing_user(self, user_id: int, up_to: int) -> int:
        """How many pending orders the user holds, counted up to `up_to`, with the user's
        placements serialised until the transaction ends (PostgreSQL locks the user's row;
        SQLite transactions already take turns): two placements by one user never both
        see the same count."""
