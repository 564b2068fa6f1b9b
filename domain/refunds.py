"""Refunds: money returned to the customer through the provider that took it.

A refund moves forward only: `pending → succeeded | failed`; both are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidInput
from domain.provider_values import describe, reason_errors, reference_errors


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self is not RefundStatus.PENDING

    def can_move_to(self, target: RefundStatus) -> bool:
        """Forward only: pending → succeeded | failed; nothing leaves a final status."""
        return self is RefundStatus.PENDING and target is not RefundStatus.PENDING


@dataclass(frozen=True, slots=True)
class RefundEvent:
    """A provider's word about one of our refunds, verified and normalised by its adapter.

    `event_id` is the exactly-once identity (Stripe `evt_…`, YooKassa `refund.succeeded:<id>`);
    `provider_refund_id` the provider's refund id (Stripe `re_…`).
    """

    event_id: str
    provider_refund_id: str
    status: RefundStatus
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        check_refund_event(self)


def check_refund_event(event: RefundEvent) -> None:
    """Every value fits what the store keeps (`domain.provider_values`); else InvalidInput."""
    errors = [
        *reference_errors("event_id", event.event_id),
        *reference_errors("provider_refund_id", event.provider_refund_id),
        *reason_errors("failure_reason", event.failure_reason),
    ]
    if errors:
        raise InvalidInput(describe(errors), errors)
