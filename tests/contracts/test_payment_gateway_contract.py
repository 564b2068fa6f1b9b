"""The contract every payment gateway adapter passes (see docs/payments.md, "Adding a payment provider").

Parametrised over `tests/contracts/gateways.py::HARNESSES`: a new adapter adds
its harness there and must pass every test here unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.payments.registry import GATEWAYS, create_gateway
from application.ports import (
    CheckoutRequest,
    Clock,
    PaymentGateway,
    ProviderAnswerInvalid,
    ProviderCredentialsRefused,
    ProviderPayment,
    RefundRequest,
    WebhookDelivery,
)
from domain.errors import DependencyUnavailable, InvalidInput, NotAuthenticated
from domain.money import Money
from domain.orders import MAX_TOTAL_MINOR
from domain.payments import PaymentEvent, PaymentStatus
from domain.refunds import RefundStatus
from tests.contracts.gateways import HARNESSES, GatewayHarness

SECRET = "whsec-contract-0123456789abcdef0123456789"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
AMOUNT = Money(29_980, "RUB")


class FixedClock(Clock):
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture(params=HARNESSES, ids=[h.name for h in HARNESSES])
def harness(request: pytest.FixtureRequest) -> GatewayHarness:
    found: GatewayHarness = request.param
    return found


@pytest.fixture
def gateway(harness: GatewayHarness) -> PaymentGateway:
    return harness.build(SECRET, FixedClock(NOW))


def checkout(reference: str = "storefront-payment-1") -> CheckoutRequest:
    payment_id = int(reference.rsplit("-", 1)[1])
    return CheckoutRequest(
        reference=reference, payment_id=payment_id, order_id=7, amount=AMOUNT, description="Order 7"
    )


async def parse(gateway: PaymentGateway, body: bytes, headers: dict[str, str]) -> PaymentEvent:
    """A delivery as the webhook route hands it over (header names lower-cased), verified and
    read; every delivery the suite makes is about a payment."""
    delivery = WebhookDelivery(body, {k.lower(): v for k, v in headers.items()}, "127.0.0.1")
    event = await gateway.verify_webhook(delivery)
    assert isinstance(event, PaymentEvent)
    return event


def unsigned_providers_skip(harness: GatewayHarness) -> None:
    """Signature and timestamp checks mean nothing for a provider that does not sign (YooKassa:
    the sender's address and the read-back from its API stand in; its adapter tests check them)."""
    if not harness.signed:
        pytest.skip(f"{harness.name} does not sign its deliveries")


# ---- registration ----------------------------------------------------------------


def test_the_adapter_is_registered_under_its_name(harness: GatewayHarness, gateway: PaymentGateway) -> None:
    assert gateway.name == harness.name
    assert harness.name in GATEWAYS
    built = create_gateway(harness.name, harness.config(SECRET, FixedClock(NOW)))
    assert built.name == harness.name


# ---- creating payments -----------------------------------------------------------


async def test_creating_a_payment_gives_a_provider_id_and_a_checkout_url(gateway: PaymentGateway) -> None:
    created = await gateway.create_payment(checkout())
    assert created.provider_payment_id
    assert len(created.provider_payment_id) <= 255
    assert created.checkout_url.startswith(("https://", "http://"))
    assert len(created.checkout_url) <= 1000


async def test_creating_with_the_same_reference_is_idempotent(gateway: PaymentGateway) -> None:
    first = await gateway.create_payment(checkout("storefront-payment-1"))
    again = await gateway.create_payment(checkout("storefront-payment-1"))
    other = await gateway.create_payment(checkout("storefront-payment-2"))
    assert again == first
    assert other.provider_payment_id != first.provider_payment_id


# ---- webhooks: signatures --------------------------------------------------------


async def test_a_correctly_signed_event_is_accepted_and_parsed(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    event = await parse(gateway, delivery.body, delivery.headers)
    assert (event.event_id, event.provider_payment_id, event.status, event.amount) == (
        delivery.event_id or "evt_1",
        "pay_1",
        PaymentStatus.SUCCEEDED,
        AMOUNT,
    )
    assert event.fail_reason is None


async def test_a_failure_reason_is_carried(harness: GatewayHarness, gateway: PaymentGateway) -> None:
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.FAILED, AMOUNT, "evt_2", "card declined")
    event = await parse(gateway, delivery.body, delivery.headers)
    assert event.status is PaymentStatus.FAILED
    if harness.fail_reasons:
        assert event.fail_reason == "card declined"
    else:
        assert event.fail_reason


async def test_header_names_are_read_case_insensitively(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.PENDING, AMOUNT, "evt_3", None)
    upper = {k.upper(): v for k, v in delivery.headers.items()}
    assert (await parse(gateway, delivery.body, upper)).status is PaymentStatus.PENDING


async def test_an_event_signed_with_another_secret_is_rejected(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    delivery = harness.deliver("another-secret", NOW, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    with pytest.raises(NotAuthenticated):
        await parse(gateway, delivery.body, delivery.headers)


async def test_an_event_whose_body_was_changed_is_rejected(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    # Another event id, and another payment (YooKassa's body carries no event id of its own).
    tampered = delivery.body.replace(b"evt_1", b"evt_9").replace(b"pay_1", b"pay_2")
    assert tampered != delivery.body
    with pytest.raises(NotAuthenticated):
        await parse(gateway, tampered, delivery.headers)


async def test_an_unsigned_event_is_rejected(harness: GatewayHarness, gateway: PaymentGateway) -> None:
    unsigned_providers_skip(harness)
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    with pytest.raises(NotAuthenticated):
        await parse(gateway, delivery.body, {"content-type": "application/json"})


@pytest.mark.parametrize("skew", [timedelta(seconds=-301), timedelta(seconds=301), timedelta(days=-1)])
async def test_an_event_signed_too_long_ago_or_in_the_future_is_rejected(
    harness: GatewayHarness, gateway: PaymentGateway, skew: timedelta
) -> None:
    unsigned_providers_skip(harness)
    delivery = harness.deliver(SECRET, NOW + skew, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    with pytest.raises(NotAuthenticated):
        await parse(gateway, delivery.body, delivery.headers)


@pytest.mark.parametrize("skew", [timedelta(seconds=-299), timedelta(seconds=299)])
async def test_an_event_signed_within_the_tolerance_is_accepted(
    harness: GatewayHarness, gateway: PaymentGateway, skew: timedelta
) -> None:
    unsigned_providers_skip(harness)
    delivery = harness.deliver(SECRET, NOW + skew, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    assert (await parse(gateway, delivery.body, delivery.headers)).event_id == "evt_1"


# ---- webhooks: parsing and status mapping ----------------------------------------


async def test_every_provider_status_maps_to_a_payment_status(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    # Every provider can say pending, succeeded and failed; `canceled` is a provider's own word
    # where it has one apart from failed (YooKassa's `canceled` is our `failed`).
    assert set(harness.statuses.values()) >= {
        PaymentStatus.PENDING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.FAILED,
    }
    assert set(harness.statuses.values()) <= set(PaymentStatus) - {PaymentStatus.CREATED}
    for status in harness.statuses.values():
        delivery = harness.deliver(SECRET, NOW, "pay_1", status, AMOUNT, f"evt_{status}", None)
        assert (await parse(gateway, delivery.body, delivery.headers)).status is status


@pytest.mark.parametrize("amount", [Money(1, "RUB"), Money(9_999_999_999_999, "USD"), Money(0, "EUR")])
async def test_amounts_and_currencies_are_read_exactly(
    harness: GatewayHarness, gateway: PaymentGateway, amount: Money
) -> None:
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.SUCCEEDED, amount, "evt_1", None)
    assert (await parse(gateway, delivery.body, delivery.headers)).amount == amount


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff", b"[]", b"{}", b'{"event_id": 1}', b"null"])
async def test_a_signed_but_unreadable_event_is_invalid_input_not_a_crash(
    harness: GatewayHarness, gateway: PaymentGateway, body: bytes
) -> None:
    delivery = harness.sign_raw(SECRET, NOW, body)
    with pytest.raises(InvalidInput):
        await parse(gateway, delivery.body, delivery.headers)


# ---- refunds ---------------------------------------------------------------------


def refund_of(
    created: ProviderPayment, capture_reference: str | None, reference: str, **kw: object
) -> RefundRequest:
    refund_id = int(reference.rsplit("-", 1)[1])
    amount = kw.get("amount", AMOUNT)
    reason = kw.get("reason")
    assert isinstance(amount, Money) and (reason is None or isinstance(reason, str))
    return RefundRequest(
        reference=reference,
        refund_id=refund_id,
        provider_payment_id=created.provider_payment_id,
        capture_reference=capture_reference,
        amount=amount,
        reason=reason,
    )


async def test_a_refund_returns_the_providers_refund_and_its_status(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    created = await gateway.create_payment(checkout())
    capture = await harness.pay(created, AMOUNT)
    refund = await gateway.refund(refund_of(created, capture, "storefront-refund-1"))
    assert isinstance(refund.provider_refund_id, str) and refund.provider_refund_id
    assert len(refund.provider_refund_id) <= 255
    assert refund.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED)
    assert refund.failure_reason is None


async def test_a_refund_with_the_same_reference_is_idempotent(
    harness: GatewayHarness, gateway: PaymentGateway
) -> None:
    created = await gateway.create_payment(checkout())
    capture = await harness.pay(created, AMOUNT)
    half = Money(AMOUNT.minor // 2, AMOUNT.currency)
    first = await gateway.refund(refund_of(created, capture, "storefront-refund-11", amount=half))
    again = await gateway.refund(refund_of(created, capture, "storefront-refund-11", amount=half))
    other = await gateway.refund(refund_of(created, capture, "storefront-refund-12", amount=half))
    assert again.provider_refund_id == first.provider_refund_id
    assert other.provider_refund_id != first.provider_refund_id


# ---- values the store cannot keep: refused where they enter ------------------------


@pytest.mark.parametrize("minor", [MAX_TOTAL_MINOR + 1, 2**63, 10**19 + 7])
async def test_an_event_amount_no_order_can_reach_is_refused_naming_the_amount(
    harness: GatewayHarness, gateway: PaymentGateway, minor: int
) -> None:
    delivery = harness.deliver(
        SECRET, NOW, "pay_big", PaymentStatus.SUCCEEDED, Money(minor, "RUB"), "evt_big", None
    )
    with pytest.raises(InvalidInput) as refused:
        await parse(gateway, delivery.body, delivery.headers)
    assert any("amount" in error.field for error in refused.value.errors), refused.value.errors


@pytest.mark.parametrize("bad", ["e" * 256, "e" * 100_000, "evt_\x00", "evt_\x1b[31m", "evt\u202e1"])
async def test_an_event_id_the_store_cannot_keep_is_refused(
    harness: GatewayHarness, gateway: PaymentGateway, bad: str
) -> None:
    if not harness.sends_event_id:
        pytest.skip(f"{harness.name} derives the event id from the object id (the next test)")
    delivery = harness.deliver(SECRET, NOW, "pay_1", PaymentStatus.SUCCEEDED, AMOUNT, bad, None)
    with pytest.raises(InvalidInput) as refused:
        await parse(gateway, delivery.body, delivery.headers)
    assert any("id" in error.field for error in refused.value.errors), refused.value.errors


@pytest.mark.parametrize("bad", ["", "p" * 256, "p" * 100_000, "pay_\x00", "pay\u202e1"])
async def test_a_provider_payment_id_the_store_cannot_keep_is_refused(
    harness: GatewayHarness, gateway: PaymentGateway, bad: str
) -> None:
    delivery = harness.deliver(SECRET, NOW, bad, PaymentStatus.SUCCEEDED, AMOUNT, "evt_1", None)
    with pytest.raises(InvalidInput) as refused:
        await parse(gateway, delivery.body, delivery.headers)
    assert any("id" in error.field for error in refused.value.errors), refused.value.errors


@pytest.mark.parametrize(
    "url", ["https://pay.example/" + "x" * 1000, "https://pay.example/\x00", "javascript:alert(1)"]
)
async def test_a_checkout_url_the_store_cannot_keep_is_the_provider_unavailable(
    harness: GatewayHarness, gateway: PaymentGateway, url: str
) -> None:
    if harness.answer_checkout_url is None:
        pytest.skip(f"{harness.name}'s checkout page is this app's own")
    harness.answer_checkout_url(url)
    try:
        with pytest.raises(ProviderAnswerInvalid, match="checkout_url"):
            await gateway.create_payment(checkout("storefront-payment-41"))
    finally:
        harness.answer_checkout_url(None)
    opened = await gateway.create_payment(checkout("storefront-payment-42"))
    assert len(opened.checkout_url) <= 1000


# ---- the shop's credentials refused: its misconfiguration, never the customer's ----


async def test_refused_credentials_are_the_provider_unavailable_never_a_refusal(
    harness: GatewayHarness,
) -> None:
    if harness.wrong_credentials is None:
        pytest.skip(f"{harness.name} has no credentials of its own")
    clock = FixedClock(NOW)
    gateway = create_gateway(harness.name, harness.wrong_credentials(harness.config(SECRET, clock)))
    with pytest.raises(ProviderCredentialsRefused) as refused:
        await gateway.create_payment(checkout("storefront-payment-51"))
    assert isinstance(refused.value, DependencyUnavailable)
    delivery = harness.deliver(SECRET, NOW, "pay_51", PaymentStatus.SUCCEEDED, AMOUNT, "evt_51", None)
    if harness.reads_back:
        with pytest.raises(ProviderCredentialsRefused):
            await parse(gateway, delivery.body, delivery.headers)
    else:
        assert (await parse(gateway, delivery.body, delivery.headers)).provider_payment_id == "pay_51"
