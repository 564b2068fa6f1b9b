"""The order timeline: one event per change of an order, of its payments and of its refunds.

Each event is written in the transaction that makes the change, so the timeline never shows
a change that was rolled back and never misses one that was committed. An event that moves
the order carries the order's status before and after (`from_status`, `to_status`); any
other event carries neither. The event for each change is derived here, from the change
itself:

- `placed`: the order came into being, pending (`from_status` null, `to_status` pending);
- `paid`, `shipped`, `delivered`, `cancelled`, `refunded`: the order moved to that status;
  `expired` when the app cancelled it for want of payment;
- `payment_started`, `payment_pending`, `payment_succeeded`, `payment_failed`,
  `payment_canceled`: one of its payments reached that status (the order did not move);
- `refund_requested`, `refund_succeeded`, `refund_failed`: one of its refunds did.

Actors: `customer` or `admin` (by the role of who asked), `system` (the app itself: expiry,
the job worker), `provider` (a payment provider's webhook).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.orders import Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.refunds import Refund, RefundStatus
from domain.users import Actor

DETAIL_MAX = 500


class OrderEventType(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PAYMENT_STARTED = "payment_started"
    PAYMENT_PENDING = "payment_pending"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_CANCELED = "payment_canceled"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REFUND_REQUESTED = "refund_requested"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    REFUNDED = "refunded"


class EventActor(StrEnum):
    """Who made a change: a customer or an admin (by role), the app itself, or a provider."""

    CUSTOMER = "customer"
    ADMIN = "admin"
    SYSTEM = "system"
    PROVIDER = "provider"

    @classmethod
    def of(cls, actor: Actor) -> EventActor:
        """The caller of a use case, by role."""
        return cls.ADMIN if actor.is_admin else cls.CUSTOMER


# The event of a move, by the status the order moved to (`expired` is named by the caller);
# every status a move can reach has one (a unit test holds it to `ALLOWED_MOVES`).
MOVE_EVENTS: dict[OrderStatus, OrderEventType] = {
    OrderStatus.PAID: OrderEventType.PAID,
    OrderStatus.SHIPPED: OrderEventType.SHIPPED,
    OrderStatus.DELIVERED: OrderEventType.DELIVERED,
    OrderStatus.CANCELLED: OrderEventType.CANCELLED,
    OrderStatus.REFUNDED: OrderEventType.REFUNDED,
}

# The event of a payment, by the status it reached.
PAYMENT_EVENTS: dict[PaymentStatus, OrderEventType] = {
    PaymentStatus.CREATED: OrderEventType.PAYMENT_STARTED,
    PaymentStatus.PENDING: OrderEventType.PAYMENT_PENDING,
    PaymentStatus.SUCCEEDED: OrderEventType.PAYMENT_SUCCEEDED,
    PaymentStatus.FAILED: OrderEventType.PAYMENT_FAILED,
    PaymentStatus.CANCELED: OrderEventType.PAYMENT_CANCELED,
}


# Alike by shape only with `payments.PaymentEvent` (ids, a status, optional details).
@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One entry of an order's timeline; `id` is 0 until stored (ids rise with time)."""

    order_id: int
    type: OrderEventType
    actor: EventActor
    created_at: datetime
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    detail: str | None = None
    id: int = 0

    @classmethod
    def placed(cls, order: Order, actor: EventActor) -> OrderEvent:
        """A new order: it enters the timeline as pending."""
        return cls(order.id, OrderEventType.PLACED, actor, order.created_at, None, order.status)

    @classmethod
    def moved(
        cls, before: Order, after: Order, actor: EventActor, type: OrderEventType | None = None
    ) -> OrderEvent:
        """The order moved from `before`'s status to `after`'s, at `after.updated_at`.

        The type is the one of the target status unless given (`expired` for a cancel by
        the app). A move to the same status is no move: ValueError.
        """
        if before.status is after.status:
            raise ValueError(f"order {before.id} did not move: it is {before.status.value}")
        return cls(
            after.id,
            type or MOVE_EVENTS[after.status],
            actor,
            after.updated_at,
            before.status,
            after.status,
        )

    @classmethod
    def payment_started(cls, order_id: int, provider: str, actor: EventActor, at: datetime) -> OrderEvent:
        """A payment of the order was started through `provider` (detail: "via <provider>")."""
        return cls(order_id, OrderEventType.PAYMENT_STARTED, actor, at, detail=_clip(f"via {provider}"))

    @classmethod
    def of_payment(cls, payment: Payment, actor: EventActor) -> OrderEvent:
        """A payment of the order reached its current status (at its `updated_at`).

        Detail: the provider for a started payment; the reason for a failed or canceled
        one; for a success the order can no longer take, that it must be refunded.
        """
        if payment.status is PaymentStatus.CREATED:
            return cls.payment_started(payment.order_id, payment.provider, actor, payment.updated_at)
        detail: str | None = None
        if payment.status.is_final and payment.status is not PaymentStatus.SUCCEEDED:
            detail = payment.fail_reason
        elif payment.refund_required:
            detail = "refund required: the order no longer takes a payment"
        return cls(
            payment.order_id,
            PAYMENT_EVENTS[payment.status],
            actor,
            payment.updated_at,
            detail=_clip(detail),
        )

    @classmethod
    def of_refund(cls, refund: Refund, actor: EventActor) -> OrderEvent:
        """A refund of one of the order's payments reached its current status (at its
        `updated_at`). Detail: the amount (and the reason, when requested with one); the
        provider's reason for a failure."""
        amount = f"{refund.amount.amount} {refund.amount.currency}"
        if refund.status is RefundStatus.FAILED:
            detail = refund.failure_reason or amount
        elif refund.status is RefundStatus.PENDING and refund.reason:
            detail = f"{amount}: {refund.reason}"
        else:
            detail = amount
        return cls(
            refund.order_id, REFUND_EVENTS[refund.status], actor, refund.updated_at, detail=_clip(detail)
        )


# The event of a refund, by the status it reached.
REFUND_EVENTS: dict[RefundStatus, OrderEventType] = {
    RefundStatus.PENDING: OrderEventType.REFUND_REQUESTED,
    RefundStatus.SUCCEEDED: OrderEventType.REFUND_SUCCEEDED,
    RefundStatus.FAILED: OrderEventType.REFUND_FAILED,
}


def _clip(detail: str | None) -> str | None:
    return None if detail is None else detail[:DETAIL_MAX]
