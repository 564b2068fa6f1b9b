"""How the contract suite drives each gateway adapter. A new provider adds one `GatewayHarness` here.

A harness builds its adapter with a test secret and a clock the suite controls,
and signs events the way its provider's servers do, so the suite can check the
adapter's verification and parsing without any network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from adapters.payments.mock.gateway import MockGateway, event_body
from adapters.payments.mock.signature import HEADER, sign
from application.ports import Clock, PaymentGateway
from domain.money import Money
from domain.payments import PaymentStatus


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class GatewayHarness:
    """One provider's adapter and its provider's side of a webhook delivery."""

    name: str
    # (secret, clock) → the adapter under test
    build: Callable[[str, Clock], PaymentGateway]
    # (secret, when, provider payment id, status, amount, event id, fail reason) → a signed delivery
    deliver: Callable[[str, datetime, str, PaymentStatus, Money, str, str | None], Delivery]
    # (secret, when, raw body) → a delivery of arbitrary bytes, correctly signed
    sign_raw: Callable[[str, datetime, bytes], Delivery]
    # The provider's own status words, each with the status it means here.
    statuses: dict[str, PaymentStatus]


def _mock_sign_raw(secret: str, when: datetime, body: bytes) -> Delivery:
    return Delivery(
        body, {HEADER: sign(secret, int(when.timestamp()), body), "content-type": "application/json"}
    )


def _mock_deliver(
    secret: str,
    when: datetime,
    provider_payment_id: str,
    status: PaymentStatus,
    amount: Money,
    event_id: str,
    fail_reason: str | None,
) -> Delivery:
    return _mock_sign_raw(
        secret, when, event_body(provider_payment_id, status, amount, fail_reason, event_id)
    )


MOCK = GatewayHarness(
    name="mock",
    build=lambda secret, clock: MockGateway(secret, "https://shop.example", clock),
    deliver=_mock_deliver,
    sign_raw=_mock_sign_raw,
    statuses={
        "pending": PaymentStatus.PENDING,
        "succeeded": PaymentStatus.SUCCEEDED,
        "failed": PaymentStatus.FAILED,
        "canceled": PaymentStatus.CANCELED,
    },
)

HARNESSES: list[GatewayHarness] = [MOCK]
