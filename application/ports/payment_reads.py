"""The payment and its refunds as the API shows them: `PaymentOut` and `RefundOut`, built from
the domain `Payment` and `Refund` by their `of`.

Payments are read through the unit of work's `PaymentRepository` (`application/ports/payments.py`)
as domain payments; every payment route answers with this view of them, as it is. Adding a
field to a payment: the domain (`domain/payments.py`), the table and its migration, and a field
here (filled in `of`); `tests/unit/test_view_shapes.py` holds the view and the table together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from domain.payments import Payment
from domain.refunds import Refund

PaymentStatusName = Literal["created", "pending", "succeeded", "failed", "canceled"]


class PaymentOut(msgspec.Struct, kw_only=True):
    """One attempt to pay one order (the component name is the wire format's)."""

    id: int
    order_id: int
    amount: str  # two decimals: "149.90"
    currency: str
    provider: str
    status: PaymentStatusName
    provider_payment_id: str | None
    checkout_url: str | None
    fail_reason: str | None
    refund_required: bool
    refunded_amount: str  # the sum of its succeeded refunds, two decimals: "0.00" when none
    created_at: datetime
    updated_at: datetime

    # Views are deliberate twins of their entities and of each other: one view per resource,
    # its `of` copying the entity field by field (test_view_shapes.py holds each view to its table).
    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            order_id=payment.order_id,
            amount=str(payment.amount.amount),
            currency=payment.amount.currency,
            provider=payment.provider,
            status=payment.status.value,
            provider_payment_id=payment.provider_payment_id,
            checkout_url=payment.checkout_url,
            fail_reason=payment.fail_reason,
            refund_required=payment.refund_required,
            refunded_amount=str(payment.refunded_amount.amount),
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )


RefundStatusName = Literal["pending", "succeeded", "failed"]


class RefundOut(msgspec.Struct, kw_only=True):
    """Money given back on a succeeded payment, in full or in part (the component name is the
    wire format's)."""

    id: int
    payment_id: int
    order_id: int
    amount: str  # two decimals: "149.90"
    currency: str
    status: RefundStatusName
    reason: str | None
    provider_refund_id: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    # Views are deliberate twins of their entities and of each other: one view per resource,
    # its `of` copying the entity field by field (test_view_shapes.py holds each view to its table).
    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            id=refund.id,
            payment_id=refund.payment_id,
            order_id=refund.order_id,
            amount=str(refund.amount.amount),
            currency=refund.amount.currency,
            status=refund.status.value,
            reason=refund.reason,
            provider_refund_id=refund.provider_refund_id,
            failure_reason=refund.failure_reason,
            created_at=refund.created_at,
            updated_at=refund.updated_at,
        )
