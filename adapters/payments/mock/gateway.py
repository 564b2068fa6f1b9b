"""The mock gateway: payments open at this app's own checkout page, events come signed."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from adapters.payments.event_bodies import decode_event
from adapters.payments.mock.signature import HEADER, sign, verify
from application.ports import (
    CheckoutRequest,
    Clock,
    PaymentGateway,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    WebhookDelivery,
)
from domain.errors import InvalidInput
from domain.money import Money, parse_amount
from domain.payments import PaymentEvent, PaymentStatus, ProviderEvent
from domain.refunds import RefundStatus
from domain.text import PLAIN_TEXT_PATTERN

CHECKOUT_PATH = "/mock-checkout"
# A refund with exactly this reason is declined by the mock provider (docs/payments.md, "Refunds").
DECLINE_REASON = "mock-decline"
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# Keys and references: bounded by their columns, no control characters (PostgreSQL refuses NUL).
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=PLAIN_TEXT_PATTERN)]


class MockEventBody(msgspec.Struct, kw_only=True):
    """The mock provider's webhook body: its event, the payment it is about, the new status."""

    event_id: Text
    provider_payment_id: Text
    status: Literal["pending", "succeeded", "failed", "canceled"]
    amount: Decimal
    currency: Annotated[str, msgspec.Meta(max_length=3)]
    fail_reason: Annotated[str, msgspec.Meta(max_length=500, pattern=PLAIN_TEXT_PATTERN)] | None = None


class MockGateway(PaymentGateway):
    """A provider that lives inside this app.

    `create_payment` derives the payment id from the reference (so the same
    reference gives the same payment, across processes); the hosted checkout
    page is `/mock-checkout/{provider_payment_id}` of `base_url`.
    """

    def __init__(self, webhook_secret: str, base_url: str, clock: Clock) -> None:
        self._secret = webhook_secret
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    @property
    def name(self) -> str:
        return "mock"

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        digest = hmac.new(self._secret.encode(), request.reference.encode(), hashlib.sha256).hexdigest()
        provider_payment_id = f"mock_{digest[:32]}"
        return ProviderPayment(provider_payment_id, f"{self._base_url}{CHECKOUT_PATH}/{provider_payment_id}")

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        verify(delivery.headers.get(HEADER), delivery.body, self._secret, int(self._clock.now().timestamp()))
        return parse_event(delivery.body)

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        """Refunds at once (`succeeded`); a refund whose reason is exactly `mock-decline` is
        declined (`failed`), for trying the failure path. The refund id derives from the
        reference, so a retried request names the same refund."""
        if request.amount.minor <= 0:
            raise InvalidInput.for_field("amount", "a refund must be greater than 0")
        digest = hmac.new(self._secret.encode(), request.reference.encode(), hashlib.sha256).hexdigest()
        refund_id = f"mock_refund_{digest[:24]}"
        if request.reason == DECLINE_REASON:
            return ProviderRefund(refund_id, RefundStatus.FAILED, "declined by the mock provider")
        return ProviderRefund(refund_id, RefundStatus.SUCCEEDED)

    # ---- the provider's side: what its servers send ----------------------------

    def signed_event(
        self,
        provider_payment_id: str,
        status: PaymentStatus,
        amount: Money,
        fail_reason: str | None = None,
        event_id: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as the mock provider makes it: raw body and headers."""
        body = event_body(provider_payment_id, status, amount, fail_reason, event_id)
        timestamp = int(self._clock.now().timestamp())
        return body, {HEADER: sign(self._secret, timestamp, body), "content-type": "application/json"}


# Alike by shape only with refunds' `record_refund_answer` (ids, a status, optional reasons).
def event_body(
    provider_payment_id: str,
    status: PaymentStatus,
    amount: Money,
    fail_reason: str | None = None,
    event_id: str | None = None,
) -> bytes:
    payload: dict[str, str] = {
        "event_id": event_id or f"evt_{uuid.uuid4().hex}",
        "provider_payment_id": provider_payment_id,
        "status": status.value,
        "amount": str(amount.amount),
        "currency": amount.currency,
    }
    if fail_reason:
        payload["fail_reason"] = fail_reason
    return msgspec.json.encode(payload)


def parse_event(body: bytes) -> PaymentEvent:
    raw = decode_event(body, MockEventBody, "webhook")
    amount = parse_amount(raw.amount)
    if amount < 0:
        raise InvalidInput.for_field("amount", "must not be negative")
    if not _CURRENCY.match(raw.currency):
        raise InvalidInput.for_field("currency", "must be a three-letter ISO 4217 code")
    return PaymentEvent(
        event_id=raw.event_id,
        provider_payment_id=raw.provider_payment_id,
        status=PaymentStatus(raw.status),
        amount=Money.of(amount, raw.currency),
        fail_reason=raw.fail_reason,
    )
