"""Orders: what a customer bought, at which prices, and where the order stands.

The only allowed moves:

    pending --pay--> paid --ship--> shipped --deliver--> delivered
    pending --cancel/expire--> cancelled
    paid | shipped | delivered --refunds reach the total--> refunded

A refunded order keeps its stock off the shelf (the goods may be gone); an admin changes
stock by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import Conflict, FieldError, InvalidInput, InvalidTransition
from domain.money import MAX_PRICE, Money

MAX_LINES = 100
MAX_QUANTITY = 1000
MAX_TOTAL_MINOR = MAX_LINES * MAX_QUANTITY * int(MAX_PRICE * 100)
"""The most an order can come to, in minor units: 100 lines of 1000 at the highest price
(999 999 999 900 000; a BIGINT holds it)."""


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ALLOWED_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

_VERBS = {
    OrderStatus.PENDING: "made pending again",
    OrderStatus.PAID: "paid",
    OrderStatus.SHIPPED: "shipped",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.CANCELLED: "cancelled",
    OrderStatus.REFUNDED: "refunded",
}


@dataclass(frozen=True, slots=True)
class ItemRequest:
    """One line as the customer asks for it."""

    product_id: int
    quantity: int


def check_items(items: Sequence[ItemRequest]) -> list[ItemRequest]:
    """1–100 lines, each quantity 1–1000, no product twice; every problem is named."""
    if not 1 <= len(items) <= MAX_LINES:
        raise InvalidInput.for_field("items", f"must hold 1 to {MAX_LINES} items")
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        if not 1 <= item.quantity <= MAX_QUANTITY:
            errors.append(FieldError(f"items[{index}].quantity", f"must be from 1 to {MAX_QUANTITY}"))
        if item.product_id in seen:
            errors.append(
                FieldError(f"items[{index}].product_id", f"product {item.product_id} is already in the order")
            )
        seen.add(item.product_id)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return list(items)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A product as it was sold: its name and unit price are copied at placing time."""

    product_id: int
    product_name: str
    quantity: int
    unit_price: Money
    id: int = 0

    @property
    def subtotal(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    user_id: int
    status: OrderStatus
    lines: tuple[OrderLine, ...]
    currency: str
    created_at: datetime
    updated_at: datetime
    # The sum of the succeeded refunds of the order's payments, in minor units of `currency`.
    refunded_minor: int = 0

    @classmethod
    def place(cls, user_id: int, lines: Sequence[OrderLine], currency: str, now: datetime) -> Order:
        """A new pending order (id 0 until stored); every line is priced in `currency`."""
        if not 1 <= len(lines) <= MAX_LINES:
            raise InvalidInput.for_field("items", f"must hold 1 to {MAX_LINES} items")
        for line in lines:
            if line.unit_price.currency != currency:
                raise InvalidInput.for_field(
                    "items",
                    f"product {line.product_id} is priced in {line.unit_price.currency}, not {currency}",
                )
        return cls(0, user_id, OrderStatus.PENDING, tuple(lines), currency, now, now)

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.subtotal
        return total

    @property
    def refunded_total(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    def refund(self, now: datetime) -> Order:
        """Every payment's money is back: paid, shipped or delivered → refunded."""
        return self.move_to(OrderStatus.REFUNDED, now)

    @property
    def is_payable(self) -> bool:
        """Only a pending order can still be paid."""
        return self.status is OrderStatus.PENDING

    @property
    def holds_stock(self) -> bool:
        """Every order but a cancelled one keeps the units it took off the shelf."""
        return self.status is not OrderStatus.CANCELLED

    def can_move_to(self, target: OrderStatus) -> bool:
        return target in ALLOWED_MOVES[self.status]

    def mark_paid(self, now: datetime) -> Order:
        return self.move_to(OrderStatus.PAID, now)

    def cancel(self, now: datetime) -> Order:
        return self.move_to(OrderStatus.CANCELLED, now)

    def ship(self, now: datetime) -> Order:
        return self.move_to(OrderStatus.SHIPPED, now)

    def deliver(self, now: datetime) -> Order:
        return self.move_to(OrderStatus.DELIVERED, now)

    def move_to(self, target: OrderStatus, now: datetime) -> Order:
        if not self.can_move_to(target):
            raise InvalidTransition(f"order {self.id} is {self.status.value} and cannot be {_VERBS[target]}")
        return replace(self, status=target, updated_at=max(now, self.updated_at))


@dataclass(frozen=True, slots=True)
class Shortage:
    product_id: int
    product_name: str
    requested: int
    available: int


class OutOfStock(Conflict):
    """Not enough units of one or more products; nothing was reserved."""

    def __init__(self, shortages: Sequence[Shortage]) -> None:
        self.shortages = list(shortages)
        named = "; ".join(
            f"product {s.product_id} ({s.product_name}): {s.requested} requested, {s.available} available"
            for s in self.shortages
        )
        super().__init__(f"not enough stock: {named}")
