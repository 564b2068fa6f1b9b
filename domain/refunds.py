"""Refunds: money going back to the customer through the provider that took it.

A refund moves forward only: `pending → succeeded | failed`; both are final. What may
still be refunded of a payment, and when an order counts as refunded, is decided here by
pure functions: the use cases load the rows (the payment locked), ask, and store the answer.

Rules (docs/payments.md, "Refunds"):
- only a `succeeded` payment can be refunded (InvalidTransition otherwise);
- the amount is positive (InvalidInput otherwise) and at most what is left: the payment's
  amount minus its refunds that are not `failed` (Conflict naming what is left otherwise,
  also when nothing is left);
- when a payment's `succeeded` refunds reach its amount, its order (paid, shipped or
  delivered) becomes `refunded`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.errors import Conflict, InvalidInput, InvalidTransition
from domain.money import Money
from domain.orders import OrderStatus
from domain.provider_values import describe, reason_errors, reference_errors
from domain.text import is_invisible

if TYPE_CHECKING:  # domain.payments imports this module (its events include RefundEvent)
    from domain.payments import Payment

REASON_MAX = 500
FAILURE_REASON_MAX = 500
# The reason of the full refund requested when a payment succeeds for an order that was
# already cancelled or expired (docs/payments.md, the settlement rules).
ORDER_CANCELLED_REASON = "order cancelled before payment"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # forward only: pending -> succeeded | failed; both final

    @property
    def is_final(self) -> bool:
        return self is not RefundStatus.PENDING

    def can_move_to(self, target: RefundStatus) -> bool:
        return self is RefundStatus.PENDING and target is not RefundStatus.PENDING


@dataclass(frozen=True, slots=True)
class RefundEvent:
    """A provider's word about one of our refunds, verified and normalised by its adapter."""

    event_id: str  # exactly-once identity (Stripe evt_…, YooKassa "refund.succeeded:<id>")
    provider_refund_id: str
    status: RefundStatus
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        check_refund_event(self)


@dataclass(frozen=True, slots=True)
class Refund:
    """Money asked back for one payment. `amount` in the payment's currency (minor units inside)."""

    id: int
    payment_id: int
    order_id: int
    amount: Money
    status: RefundStatus
    reason: str | None
    provider_refund_id: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def counts_against_payment(self) -> bool:
        """Every refund but a failed one holds part of the payment."""
        return self.status is not RefundStatus.FAILED

    def answered(
        self,
        status: RefundStatus,
        now: datetime,
        *,
        provider_refund_id: str | None = None,
        failure_reason: str | None = None,
    ) -> Refund:
        """The provider's answer (or a webhook) applied forward only: a final refund stays as it
        is, a pending one keeps waiting on a `pending` answer (learning the provider's id)."""
        refund_id = self.provider_refund_id or provider_refund_id
        if status is self.status or not self.status.can_move_to(status):
            if refund_id == self.provider_refund_id:
                return self
            return replace(self, provider_refund_id=refund_id, updated_at=max(now, self.updated_at))
        return replace(
            self,
            status=status,
            provider_refund_id=refund_id,
            failure_reason=_clip(failure_reason or "refused by the provider")
            if status is RefundStatus.FAILED
            else None,
            updated_at=max(now, self.updated_at),
        )

    def failed(self, reason: str, now: datetime) -> Refund:
        """Given up on (the job died): forward only, like any answer."""
        return self.answered(RefundStatus.FAILED, now, failure_reason=reason)


def refundable_left(payment: Payment, refunds: Iterable[Refund]) -> Money:
    """The payment's amount minus its refunds that are not failed (never below zero)."""
    held = sum(r.amount.minor for r in refunds if r.payment_id == payment.id and r.counts_against_payment)
    return Money(max(payment.amount.minor - held, 0), payment.amount.currency)


def refunded_amount(payment: Payment, refunds: Iterable[Refund]) -> Money:
    """The sum of the payment's succeeded refunds."""
    done = sum(
        r.amount.minor for r in refunds if r.payment_id == payment.id and r.status is RefundStatus.SUCCEEDED
    )
    return Money(done, payment.amount.currency)


def check_refund(payment: Payment, refunds: Iterable[Refund], amount: Money | None) -> Money:
    """The amount to refund: `amount`, or all that is left when None.

    Raises InvalidTransition (the payment is not succeeded), InvalidInput (zero, negative
    or another currency), Conflict naming what is left (more than that, or nothing left).
    """
    if not payment.status.is_refundable:
        raise InvalidTransition(
            f"payment {payment.id} is {payment.status.value}; only a succeeded payment can be refunded"
        )
    left = refundable_left(payment, refunds)
    if amount is not None:
        if amount.currency != payment.amount.currency:
            raise InvalidInput.for_field("amount", f"must be in {payment.amount.currency}")
        if amount.minor <= 0:
            raise InvalidInput.for_field("amount", "must be greater than 0")
    wanted = left if amount is None else amount
    if left.minor == 0:
        raise Conflict(f"payment {payment.id} has nothing left to refund (0.00 {left.currency} left)")
    if wanted.minor > left.minor:
        raise Conflict(
            f"payment {payment.id} has only {left.amount} {left.currency} left to refund, "
            f"not {wanted.amount} {wanted.currency}"
        )
    return wanted


def order_becomes_refunded(payment: Payment, refunds: Iterable[Refund], order_status: OrderStatus) -> bool:
    """True when the payment's succeeded refunds reach its amount and the order can be
    `refunded` (it is paid, shipped or delivered; a cancelled order stays cancelled)."""
    if order_status not in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return False
    return refunded_amount(payment, refunds).minor >= payment.amount.minor


def check_reason(reason: str | None) -> str | None:
    """A refund's reason: up to 500 characters of plain text, not blank (None when not given).
    Blank: empty, or only characters that draw nothing (`domain.text.is_invisible`: spaces,
    line and paragraph separators, a BOM …)."""
    if reason is None:
        return None
    if len(reason) > REASON_MAX:
        raise InvalidInput.for_field("reason", f"must be at most {REASON_MAX} characters")
    if all(is_invisible(ch) for ch in reason):
        raise InvalidInput.for_field("reason", "must not be blank; leave it out to give none")
    return reason


def _clip(reason: str | None) -> str | None:
    return None if reason is None else reason[:FAILURE_REASON_MAX]


def check_refund_event(event: RefundEvent) -> None:
    """Every value fits what the store keeps (`domain.provider_values`); else InvalidInput."""
    errors = [
        *reference_errors("event_id", event.event_id),
        *reference_errors("provider_refund_id", event.provider_refund_id),
        *reason_errors("failure_reason", event.failure_reason),
    ]
    if errors:
        raise InvalidInput(describe(errors), errors)
