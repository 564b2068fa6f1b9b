"""How the contract suite drives each gateway adapter. A new provider adds one `GatewayHarness` here.

A harness builds its adapter through the registry with a test secret and a clock the suite
controls, signs events the way its provider's servers do, and completes a payment at the
provider (its in-process double) so that a refund can be made against it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from adapters.payments.mock.gateway import event_body
from adapters.payments.mock.signature import HEADER, sign
from adapters.payments.registry import GatewayConfig, create_gateway
from adapters.payments.yookassa.client import Amount
from application.ports import Clock, PaymentGateway, ProviderPayment
from domain.money import Money
from domain.payments import PaymentStatus
from tests.doubles.stripe import StripeDouble
from tests.doubles.yookassa import SHOP_ID, YooKassaDouble


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]
    # The identity the adapter must give this event, where the provider derives it rather than
    # sending the one the suite asked for (YooKassa: `<event>:<object id>`).
    event_id: str | None = None


@dataclass(frozen=True)
class GatewayHarness:
    """One provider's adapter and its provider's side of a webhook delivery."""

    name: str
    # (secret, clock) → the settings the registry builds the adapter from
    config: Callable[[str, Clock], GatewayConfig]
    # (secret, when, provider payment id, status, amount, event id, fail reason) → a signed delivery
    deliver: Callable[[str, datetime, str, PaymentStatus, Money, str, str | None], Delivery]
    # (secret, when, raw body) → a delivery of arbitrary bytes, correctly signed
    sign_raw: Callable[[str, datetime, bytes], Delivery]
    # The provider's own status words, each with the status it means here.
    statuses: dict[str, PaymentStatus]
    # (an opened payment, its amount) → the customer pays it at the provider; the capture
    # reference a refund is made against (None where refunds go by the payment id)
    pay: Callable[[ProviderPayment, Money], Awaitable[str | None]] = field(default=lambda _p, _a: _none())
    # Whether a failed payment's event carries the provider's reason.
    fail_reasons: bool = True
    # Whether deliveries carry a signature over the body with a timestamp. YooKassa's do not:
    # its sender's address and the read-back from its API authenticate them (its own tests).
    signed: bool = True
    # Whether the event id is the one the delivery sends (YooKassa derives it: `<event>:<id>`).
    sends_event_id: bool = True
    # (url or None) → the provider answers every payment opened from now on with this checkout
    # URL (None: its own again); None where the provider is this app itself (the mock).
    answer_checkout_url: Callable[[str | None], None] | None = None
    # (the adapter's settings) → the same with credentials the provider refuses; None where the
    # provider is this app itself (the mock).
    wrong_credentials: Callable[[GatewayConfig], GatewayConfig] | None = None
    # Whether a delivery is read back from the provider's API (so the credentials count there).
    reads_back: bool = False

    def build(self, secret: str, clock: Clock) -> PaymentGateway:
        """The adapter under test, as the app builds it: through the registry."""
        return create_gateway(self.name, self.config(secret, clock))


async def _none() -> None:
    return None


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
    config=lambda secret, clock: GatewayConfig(secret, "https://shop.example", clock),
    deliver=_mock_deliver,
    sign_raw=_mock_sign_raw,
    statuses={
        "pending": PaymentStatus.PENDING,
        "succeeded": PaymentStatus.SUCCEEDED,
        "failed": PaymentStatus.FAILED,
        "canceled": PaymentStatus.CANCELED,
    },
)

# ---- Stripe: its API doubled in process (tests/doubles/stripe.py), started once ---------------

_STRIPE: StripeDouble | None = None
_STRIPE_EVENTS = {
    PaymentStatus.SUCCEEDED: ("checkout.session.completed", "paid"),
    PaymentStatus.PENDING: ("checkout.session.completed", "unpaid"),
    PaymentStatus.FAILED: ("checkout.session.async_payment_failed", "unpaid"),
    PaymentStatus.CANCELED: ("checkout.session.expired", "unpaid"),
}


def stripe_double() -> StripeDouble:
    global _STRIPE
    if _STRIPE is None:
        _STRIPE = StripeDouble().start()
    return _STRIPE


def _stripe_config(secret: str, clock: Clock) -> GatewayConfig:
    double = stripe_double()
    values = {
        "STRIPE_SECRET_KEY": double.secret_key,
        "STRIPE_WEBHOOK_SECRET": secret,
        "STRIPE_API_BASE": double.url,
    }
    return GatewayConfig("unused", "https://shop.example", clock, values)


def _stripe_sign_raw(secret: str, when: datetime, body: bytes) -> Delivery:
    signed = StripeDouble(webhook_secret=secret).sign(body, at=int(when.timestamp()))
    return Delivery(body, signed)


def _stripe_deliver(
    secret: str,
    when: datetime,
    provider_payment_id: str,
    status: PaymentStatus,
    amount: Money,
    event_id: str,
    fail_reason: str | None,
) -> Delivery:
    kind, payment_status = _STRIPE_EVENTS[status]
    session = {
        "id": provider_payment_id,
        "object": "checkout.session",
        "amount_total": amount.minor,
        "currency": amount.currency.lower(),
        "payment_status": payment_status,
        "payment_intent": "pi_test_1" if status is PaymentStatus.SUCCEEDED else None,
        "status": "expired" if status is PaymentStatus.CANCELED else "complete",
    }
    return _stripe_sign_raw(secret, when, StripeDouble().event(kind, session, event_id=event_id))


async def _stripe_pay(created: ProviderPayment, amount: Money) -> str | None:
    session = stripe_double().complete(created.provider_payment_id)
    reference: str = session["payment_intent"]
    return reference


STRIPE = GatewayHarness(
    name="stripe",
    config=_stripe_config,
    deliver=_stripe_deliver,
    sign_raw=_stripe_sign_raw,
    statuses={
        "checkout.session.completed (paid)": PaymentStatus.SUCCEEDED,
        "checkout.session.completed (unpaid)": PaymentStatus.PENDING,
        "checkout.session.async_payment_failed": PaymentStatus.FAILED,
        "checkout.session.expired": PaymentStatus.CANCELED,
    },
    pay=_stripe_pay,
    fail_reasons=False,
    answer_checkout_url=lambda url: setattr(stripe_double(), "checkout_url", url),
    wrong_credentials=lambda config: replace(
        config, values={**config.values, "STRIPE_SECRET_KEY": "sk_test_revoked"}
    ),
)


class _YooKassaShop:
    """The YooKassa double the harness's gateways talk to: a fresh one (its secret key the
    suite's secret) for each gateway built, so no test sees another's payments."""

    double: YooKassaDouble | None = None

    def fresh(self, secret: str) -> YooKassaDouble:
        if self.double is not None:
            self.double.stop()
        self.double = YooKassaDouble(secret_key=secret).start()
        return self.double

    def current(self) -> YooKassaDouble:
        assert self.double is not None, "build the gateway first"
        return self.double


_SHOP = _YooKassaShop()
# What our status is called at YooKassa (its `canceled` is our `failed`).
_YOOKASSA_STATUS = {
    PaymentStatus.PENDING: "waiting_for_capture",
    PaymentStatus.SUCCEEDED: "succeeded",
    PaymentStatus.FAILED: "canceled",
    PaymentStatus.CANCELED: "canceled",
}
_YOOKASSA_EVENT = {
    "waiting_for_capture": "payment.waiting_for_capture",
    "succeeded": "payment.succeeded",
    "canceled": "payment.canceled",
}


def _yookassa_config(secret: str, clock: Clock) -> GatewayConfig:
    double = _SHOP.fresh(secret)
    values = {
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": secret,
        "YOOKASSA_API_URL": double.api_url,
        # The suite's deliveries come from the loopback address: YooKassa's network here.
        "YOOKASSA_TRUSTED_NETWORKS": "127.0.0.1/32,::1/128",
    }
    return GatewayConfig("unused-by-yookassa", "https://shop.example", clock, values)


def _yookassa_sign_raw(_secret: str, _when: datetime, body: bytes) -> Delivery:
    return Delivery(body, {"content-type": "application/json"})


def _yookassa_deliver(
    secret: str,
    _when: datetime,
    provider_payment_id: str,
    status: PaymentStatus,
    amount: Money,
    _event_id: str,
    fail_reason: str | None,
) -> Delivery:
    """A notification as YooKassa posts it. With the shop's own secret the payment is in the
    shop (the read-back finds it); with another, it is some other shop's, unknown to this one."""
    state = _YOOKASSA_STATUS[status]
    value = Amount.of(amount)
    if secret == _SHOP.current().secret_key:
        _SHOP.current().add_payment(provider_payment_id, state, value.value, value.currency, fail_reason)
    event = _YOOKASSA_EVENT[state]
    obj = {
        "id": provider_payment_id,
        "status": state,
        "amount": {"value": value.value, "currency": value.currency},
    }
    body = json.dumps({"type": "notification", "event": event, "object": obj}).encode()
    return Delivery(body, {"content-type": "application/json"}, event_id=f"{event}:{provider_payment_id}")


async def _yookassa_pay(created: ProviderPayment, _amount: Money) -> str | None:
    """The customer pays on YooKassa's page; refunds then go by the payment id."""
    _SHOP.current().succeed(created.provider_payment_id)
    return None


YOOKASSA = GatewayHarness(
    name="yookassa",
    config=_yookassa_config,
    deliver=_yookassa_deliver,
    sign_raw=_yookassa_sign_raw,
    statuses={
        "pending": PaymentStatus.PENDING,
        "waiting_for_capture": PaymentStatus.PENDING,
        "succeeded": PaymentStatus.SUCCEEDED,
        "canceled": PaymentStatus.FAILED,
    },
    pay=_yookassa_pay,
    signed=False,
    sends_event_id=False,
    answer_checkout_url=lambda url: setattr(_SHOP.current(), "confirmation_url", url),
    wrong_credentials=lambda config: replace(
        config, values={**config.values, "YOOKASSA_SECRET_KEY": "revoked-secret-key"}
    ),
    reads_back=True,
)

HARNESSES: list[GatewayHarness] = [MOCK, STRIPE, YOOKASSA]
