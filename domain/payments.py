"""Payments: the payment state machine and the settlement decision.

A payment moves forward only: `created → pending → succeeded | failed | canceled`
(a payment may skip `pending`). The last three are final. What a provider's event
does to a payment and its order is decided here, by `decide_settlement`, a pure
function: the use case only loads the state, asks, and stores the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, InvalidTransition
from domain.money import Money
from domain.orders import OrderStatus
from domain.provider_values import amount_errors, describe, reason_errors, reference_errors
from domain.refunds import RefundEvent

FAIL_REASON_MAX = 500


class PaymentStatus(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_refundable(self) -> bool:
        """Only a succeeded payment's money can be sent back."""
        return self is PaymentStatus.SUCCEEDED

    @property
    def is_active(self) -> bool:
        """An active payment blocks another one for the same order."""
        return not self.is_final

    def can_move_to(self, target: PaymentStatus) -> bool:
        """Forward only; nothing leaves a final status."""
        return _RANK[target] > _RANK[self]


FINAL_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED})
ACTIVE_STATUSES = frozenset({PaymentStatus.CREATED, PaymentStatus.PENDING})
_RANK = {
    PaymentStatus.CREATED: 0,
    PaymentStatus.PENDING: 1,
    PaymentStatus.SUCCEEDED: 2,
    PaymentStatus.FAILED: 2,
    PaymentStatus.CANCELED: 2,
}


@dataclass(frozen=True, slots=True)
class Payment:
    """One attempt to pay one order, through one provider."""

    id: int
    order_id: int
    user_id: int
    amount: Money
    provider: str
    provider_payment_id: str | None
    checkout_url: str | None
    status: PaymentStatus
    fail_reason: str | None
    # Owed a refund not yet made: it succeeded for an order that could no longer take it. Cleared
    # when its succeeded refunds reach its amount (`refunded`).
    refund_required: bool
    created_at: datetime
    updated_at: datetime
    # The provider's id that refunds are made against (Stripe: the PaymentIntent `pi_…`), when a
    # succeeded event carried it; stored, never shown in the API answer.
    capture_reference: str | None = None
    # The sum of its succeeded refunds, in minor units of the payment's currency.
    refunded_minor: int = 0

    @property
    def refunded_amount(self) -> Money:
        return Money(self.refunded_minor, self.amount.currency)

    def refunded(self, amount: Money, now: datetime) -> Payment:
        """A refund of `amount` succeeded: it is added to `refunded_amount`; once the succeeded
        refunds reach the payment's amount nothing more is owed (`refund_required` false)."""
        refunded_minor = self.refunded_minor + amount.minor
        return replace(
            self,
            refunded_minor=refunded_minor,
            refund_required=self.refund_required and refunded_minor < self.amount.minor,
            updated_at=now,
        )

    def moved_to(
        self,
        status: PaymentStatus,
        now: datetime,
        *,
        fail_reason: str | None = None,
        refund_required: bool = False,
        capture_reference: str | None = None,
    ) -> Payment:
        """The payment in `status`; a `capture_reference` given with `succeeded` is kept."""
        if not self.status.can_move_to(status):
            raise InvalidTransition(f"payment is {self.status}, it cannot become {status}")
        succeeded = status is PaymentStatus.SUCCEEDED
        return replace(
            self,
            status=status,
            fail_reason=_clip(fail_reason) if not succeeded else None,
            refund_required=refund_required,
            capture_reference=(capture_reference or self.capture_reference)
            if succeeded
            else self.capture_reference,
            updated_at=now,
        )

    @property
    def is_unopened(self) -> bool:
        """Started here but never opened at the provider (it could not be reached): `created`
        with no provider id. Such a payment blocks no other start (StartPayment)."""
        return self.status is PaymentStatus.CREATED and self.provider_payment_id is None

    def opened(self, provider_payment_id: str, checkout_url: str, now: datetime) -> Payment:
        """The provider accepted the payment and gave its id and checkout page."""
        return replace(
            self, provider_payment_id=provider_payment_id, checkout_url=checkout_url, updated_at=now
        )


# Alike by shape only with `order_events.OrderEvent` (ids, a status, optional details).
@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A provider's event, verified and normalised by its gateway adapter."""

    event_id: str
    provider_payment_id: str
    status: PaymentStatus
    amount: Money
    fail_reason: str | None = None
    # The provider's id that refunds are made against, when the event carries it
    # (Stripe: the Checkout Session's `payment_intent`, `pi_…`; YooKassa: None).
    capture_reference: str | None = None

    def __post_init__(self) -> None:
        """Every value fits what the store keeps (`domain.provider_values`); else InvalidInput
        naming each field that does not."""
        errors = [
            *reference_errors("event_id", self.event_id),
            *reference_errors("provider_payment_id", self.provider_payment_id),
            *amount_errors("amount", self.amount),
            *reason_errors("fail_reason", self.fail_reason),
            *reference_errors("capture_reference", self.capture_reference, optional=True),
        ]
        if errors:
            raise InvalidInput(describe(errors), errors)


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """A verified delivery of a type the app does not act on: answered 200, nothing changes,
    nothing is recorded. `kind` is the provider's event type."""

    event_id: str
    kind: str


ProviderEvent = PaymentEvent | RefundEvent | IgnoredEvent


class Outcome(StrEnum):
    """What an event did; recorded with the event."""

    APPLIED = "applied"
    IGNORED = "ignored"
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class Settlement:
    """The decision for one event: the payment's new state and whether the order is now paid."""

    outcome: Outcome
    status: PaymentStatus
    fail_reason: str | None
    refund_required: bool
    pay_order: bool
    note: str

    @property
    def changes_payment(self) -> bool:
        return self.outcome is not Outcome.IGNORED


def decide_settlement(payment: Payment, order_status: OrderStatus, event: PaymentEvent) -> Settlement:
    """What an event does to a payment and its order.

    - a move backwards or out of a final status: ignored, nothing changes;
    - `succeeded` with another amount or currency: the payment fails naming the
      mismatch, the order stays unpaid (the caller answers 409);
    - `succeeded` for a pending order: the payment succeeds and the order is paid;
    - `succeeded` for an order that is no longer pending (cancelled, expired, or
      already paid another way): the payment succeeds with `refund_required`;
    - `failed` / `canceled`: the payment ends, the order stays as it is;
    - `pending`: the payment is pending.
    """
    if not payment.status.can_move_to(event.status):
        return Settlement(
            Outcome.IGNORED,
            payment.status,
            payment.fail_reason,
            payment.refund_required,
            pay_order=False,
            note=f"payment is already {payment.status}; a {event.status} event changes nothing",
        )
    if event.status is PaymentStatus.SUCCEEDED:
        if event.amount != payment.amount:
            reason = amount_mismatch(payment.amount, event.amount)
            return Settlement(
                Outcome.MISMATCH, PaymentStatus.FAILED, reason, False, pay_order=False, note=reason
            )
        if order_status is OrderStatus.PENDING:
            return Settlement(
                Outcome.APPLIED, PaymentStatus.SUCCEEDED, None, False, pay_order=True, note="order paid"
            )
        return Settlement(
            Outcome.APPLIED,
            PaymentStatus.SUCCEEDED,
            None,
            True,
            pay_order=False,
            note=f"order is {order_status}: the payment must be refunded",
        )
    if event.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        reason = event.fail_reason or (
            "declined by the provider" if event.status is PaymentStatus.FAILED else "canceled"
        )
        return Settlement(
            Outcome.APPLIED,
            event.status,
            _clip(reason),
            False,
            pay_order=False,
            note=f"payment {event.status}",
        )
    return Settlement(
        Outcome.APPLIED, event.status, None, False, pay_order=False, note=f"payment {event.status}"
    )


def amount_mismatch(expected: Money, received: Money) -> str:
    parts = []
    if received.currency != expected.currency:
        parts.append(f"currency mismatch: expected {expected.currency}, received {received.currency}")
    if received.minor != expected.minor:
        parts.append(f"amount mismatch: expected {expected.amount}, received {received.amount}")
    return "; ".join(parts)


def _clip(reason: str | None) -> str | None:
    if reason is None:
        return None
    return reason[:FAIL_REASON_MAX]


class PaymentRejected(Conflict):
    """A provider's event was recorded but refused (an amount or currency mismatch)."""
