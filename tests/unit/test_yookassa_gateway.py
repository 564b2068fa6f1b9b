"""The YooKassa adapter against the double: what it sends, who may notify it, and that it acts on
what the API says rather than on what a notification claims."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from adapters.clock import SystemUtcClock
from adapters.payments.registry import GatewayConfig, GatewaySettingsError, create_gateway
from adapters.payments.yookassa.gateway import YooKassaGateway
from adapters.payments.yookassa.settings import DEFAULT_TRUSTED_NETWORKS, YooKassaSettings, parse_networks
from application.ports import CheckoutRequest, RefundRequest, WebhookDelivery
from domain.errors import Conflict, DependencyUnavailable, InvalidInput, MalformedInput, NotAuthenticated
from domain.money import Money
from domain.payments import IgnoredEvent, PaymentEvent, PaymentStatus
from domain.refunds import RefundEvent, RefundStatus
from tests.doubles.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble

PRICE = Money(14_990, "RUB")
YOOKASSA_IPV4 = "185.71.76.17"
YOOKASSA_IPV6 = "2a02:5180:0:1509::1"


@pytest.fixture
def yookassa() -> Iterator[YooKassaDouble]:
    with YooKassaDouble() as double:
        yield double


@pytest.fixture
def gateway(yookassa: YooKassaDouble) -> YooKassaGateway:
    return YooKassaGateway(
        YooKassaSettings(
            shop_id=SHOP_ID,
            secret_key=SECRET_KEY,
            api_url=yookassa.api_url,
            return_url="https://shop.example/thanks",
            trusted_networks=parse_networks(",".join(DEFAULT_TRUSTED_NETWORKS)),
        )
    )


def checkout(payment_id: int = 3, amount: Money = PRICE) -> CheckoutRequest:
    return CheckoutRequest(f"storefront-payment-{payment_id}", payment_id, 7, amount, "Order 7")


def delivery(body: bytes, client_ip: str | None = YOOKASSA_IPV4) -> WebhookDelivery:
    return WebhookDelivery(body, {"content-type": "application/json"}, client_ip)


# ---- creating a payment --------------------------------------------------------------------


async def test_a_payment_is_opened_as_the_spec_says(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    opened = await gateway.create_payment(checkout())
    sent = yookassa.posts("/v3/payments")[0]
    assert sent.headers["idempotence-key"] == "storefront-payment-3"
    assert json.loads(sent.body) == {
        "amount": {"value": "149.90", "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://shop.example/thanks"},
        "description": "Order 7",
        "metadata": {"order_id": "7", "payment_id": "3"},
    }
    stored = yookassa.payments[opened.provider_payment_id]
    assert opened.checkout_url == stored["confirmation"]["confirmation_url"]


@pytest.mark.parametrize(
    ("minor", "value"), [(1, "0.01"), (10, "0.10"), (14_990, "149.90"), (10**12, "10000000000.00")]
)
async def test_amounts_travel_as_exact_strings(
    yookassa: YooKassaDouble, gateway: YooKassaGateway, minor: int, value: str
) -> None:
    await gateway.create_payment(checkout(amount=Money(minor, "RUB")))
    assert json.loads(yookassa.posts("/v3/payments")[0].body)["amount"]["value"] == value


def test_1_001_cannot_even_be_asked_for() -> None:
    with pytest.raises(InvalidInput):
        Money.of("1.001", "RUB")


async def test_provider_trouble_is_503_kind_and_a_retry_opens_the_same_payment(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    yookassa.fail_next(1)
    with pytest.raises(DependencyUnavailable):
        await gateway.create_payment(checkout())
    yookassa.unreachable = True
    with pytest.raises(DependencyUnavailable):
        await gateway.create_payment(checkout())
    yookassa.unreachable = False
    first = await gateway.create_payment(checkout())
    assert await gateway.create_payment(checkout()) == first
    assert len(yookassa.payments) == 1


# ---- who may notify ------------------------------------------------------------------------


@pytest.mark.parametrize("sender", [YOOKASSA_IPV4, YOOKASSA_IPV6, "77.75.156.35", "::ffff:185.71.77.1"])
async def test_notifications_from_yookassas_networks_are_read(
    yookassa: YooKassaDouble, gateway: YooKassaGateway, sender: str
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    body = yookassa.notification("payment.succeeded", opened.provider_payment_id)
    event = await gateway.verify_webhook(delivery(body, sender))
    assert event == PaymentEvent(
        f"payment.succeeded:{opened.provider_payment_id}",
        opened.provider_payment_id,
        PaymentStatus.SUCCEEDED,
        PRICE,
    )


@pytest.mark.parametrize("sender", ["185.71.76.32", "127.0.0.1", "2a02:5181::1", "::1", None, "", "garbage"])
async def test_notifications_from_anywhere_else_are_not_authenticated_and_not_read_back(
    yookassa: YooKassaDouble, gateway: YooKassaGateway, sender: str | None
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    body = yookassa.notification("payment.succeeded", opened.provider_payment_id)
    before = len(yookassa.requests)
    with pytest.raises(NotAuthenticated):
        await gateway.verify_webhook(delivery(body, sender))
    assert len(yookassa.requests) == before


# ---- the body is never believed ------------------------------------------------------------


async def test_a_forged_succeeded_for_a_pending_payment_gives_what_the_api_says(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    opened = await gateway.create_payment(checkout())
    forged = yookassa.notification(
        "payment.succeeded", opened.provider_payment_id, status="succeeded", paid=True
    )
    event = await gateway.verify_webhook(delivery(forged))
    assert isinstance(event, PaymentEvent)
    assert event.status is PaymentStatus.PENDING
    # The forgery does not use up the identity of the genuine notification to come.
    assert event.event_id == f"payment.pending:{opened.provider_payment_id}"
    yookassa.succeed(opened.provider_payment_id)
    genuine = await gateway.verify_webhook(
        delivery(yookassa.notification("payment.succeeded", opened.provider_payment_id))
    )
    assert isinstance(genuine, PaymentEvent)
    assert (genuine.event_id, genuine.status) == (
        f"payment.succeeded:{opened.provider_payment_id}",
        PaymentStatus.SUCCEEDED,
    )


async def test_a_notification_with_another_amount_is_not_authenticated(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    forged = yookassa.notification(
        "payment.succeeded", opened.provider_payment_id, amount={"value": "0.01", "currency": "RUB"}
    )
    with pytest.raises(NotAuthenticated):
        await gateway.verify_webhook(delivery(forged))


async def test_a_notification_about_an_unknown_payment_is_not_authenticated(gateway: YooKassaGateway) -> None:
    body = json.dumps(
        {
            "type": "notification",
            "event": "payment.succeeded",
            "object": {"id": "2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f"},
        }
    )
    with pytest.raises(NotAuthenticated):
        await gateway.verify_webhook(delivery(body.encode()))


async def test_canceled_is_failed_with_yookassas_reason(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.cancel(opened.provider_payment_id, "insufficient_funds", party="payment_network")
    event = await gateway.verify_webhook(
        delivery(yookassa.notification("payment.canceled", opened.provider_payment_id))
    )
    assert isinstance(event, PaymentEvent)
    assert (event.status, event.fail_reason) == (PaymentStatus.FAILED, "insufficient_funds")
    assert event.event_id == f"payment.canceled:{opened.provider_payment_id}"


async def test_waiting_for_capture_is_pending(yookassa: YooKassaDouble, gateway: YooKassaGateway) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.wait_for_capture(opened.provider_payment_id)
    body = yookassa.notification("payment.waiting_for_capture", opened.provider_payment_id)
    event = await gateway.verify_webhook(delivery(body))
    assert isinstance(event, PaymentEvent)
    assert (event.status, event.event_id) == (
        PaymentStatus.PENDING,
        f"payment.waiting_for_capture:{opened.provider_payment_id}",
    )


async def test_the_read_back_failing_is_503_kind(yookassa: YooKassaDouble, gateway: YooKassaGateway) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.fail_next(1)
    with pytest.raises(DependencyUnavailable):
        await gateway.verify_webhook(
            delivery(yookassa.notification("payment.succeeded", opened.provider_payment_id))
        )


async def test_events_the_app_does_not_act_on_are_ignored_without_a_read_back(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    body = b'{"type": "notification", "event": "payout.succeeded", "object": {"id": "po-1"}}'
    before = len(yookassa.requests)
    assert await gateway.verify_webhook(delivery(body)) == IgnoredEvent(
        "payout.succeeded:po-1", "payout.succeeded"
    )
    assert len(yookassa.requests) == before


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", MalformedInput),
        (b"{", MalformedInput),
        (b"[]", InvalidInput),
        (b'{"type": "notification", "event": "payment.succeeded"}', InvalidInput),
        (b'{"type": "other", "event": "payment.succeeded", "object": {"id": "a"}}', InvalidInput),
        (
            b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "../refunds/x"}}',
            InvalidInput,
        ),
        (b'{"type": "notification", "event": "payment.succeeded", "object": {"id": 1}}', InvalidInput),
        (b'{"type": "notification", "event": "PAYMENT SUCCEEDED", "object": {"id": "a"}}', InvalidInput),
        (
            b'{"type": "notification", "event": "payment.succeeded", '
            b'"object": {"id": "a", "amount": {"value": 1}}}',
            InvalidInput,
        ),
    ],
)
async def test_malformed_notifications_are_refused_before_any_read_back(
    yookassa: YooKassaDouble, gateway: YooKassaGateway, body: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await gateway.verify_webhook(delivery(body))
    assert yookassa.requests == []


# ---- refunds -------------------------------------------------------------------------------


def refund_request(provider_payment_id: str, minor: int = 5_000, refund_id: int = 1) -> RefundRequest:
    return RefundRequest(
        f"storefront-refund-{refund_id}", refund_id, provider_payment_id, None, Money(minor, "RUB"), "damaged"
    )


async def test_a_refund_is_asked_for_as_the_spec_says(
    yookassa: YooKassaDouble, gateway: YooKassaGateway
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    refund = await gateway.refund(refund_request(opened.provider_payment_id))
    sent = yookassa.posts("/v3/refunds")[0]
    assert sent.headers["idempotence-key"] == "storefront-refund-1"
    body = json.loads(sent.body)
    assert (body["payment_id"], body["amount"]) == (
        opened.provider_payment_id,
        {"value": "50.00", "currency": "RUB"},
    )
    assert refund.status is RefundStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("status", "expected", "reason"),
    [("pending", RefundStatus.PENDING, None), ("canceled", RefundStatus.FAILED, "rejected_by_payee")],
)
async def test_refund_statuses(
    yookassa: YooKassaDouble,
    gateway: YooKassaGateway,
    status: str,
    expected: RefundStatus,
    reason: str | None,
) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    yookassa.refund_status = status
    refund = await gateway.refund(refund_request(opened.provider_payment_id))
    assert (refund.status, refund.failure_reason) == (expected, reason)


async def test_a_refused_refund_is_a_conflict(yookassa: YooKassaDouble, gateway: YooKassaGateway) -> None:
    opened = await gateway.create_payment(checkout())
    with pytest.raises(Conflict, match="not succeeded"):
        await gateway.refund(refund_request(opened.provider_payment_id))


async def test_refund_succeeded_is_read_back(yookassa: YooKassaDouble, gateway: YooKassaGateway) -> None:
    opened = await gateway.create_payment(checkout())
    yookassa.succeed(opened.provider_payment_id)
    yookassa.refund_status = "pending"
    refund = await gateway.refund(refund_request(opened.provider_payment_id))
    forged = yookassa.notification("refund.succeeded", refund.provider_refund_id, status="succeeded")
    assert await gateway.verify_webhook(delivery(forged)) == RefundEvent(
        f"refund.pending:{refund.provider_refund_id}", refund.provider_refund_id, RefundStatus.PENDING
    )
    yookassa.set_refund(refund.provider_refund_id, "succeeded")
    genuine = yookassa.notification("refund.succeeded", refund.provider_refund_id)
    assert await gateway.verify_webhook(delivery(genuine)) == RefundEvent(
        f"refund.succeeded:{refund.provider_refund_id}", refund.provider_refund_id, RefundStatus.SUCCEEDED
    )


# ---- registration and settings -------------------------------------------------------------


def test_the_registry_builds_it_from_the_environment(yookassa: YooKassaDouble) -> None:
    values = {
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SECRET_KEY,
        "YOOKASSA_API_URL": yookassa.api_url,
    }
    built = create_gateway("yookassa", GatewayConfig("s", "https://shop.example", SystemUtcClock(), values))
    assert built.name == "yookassa"


@pytest.mark.parametrize("missing", ["YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY"])
def test_the_registry_names_a_missing_variable(missing: str) -> None:
    values = {k: "x" for k in ("YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY") if k != missing}
    with pytest.raises(GatewaySettingsError, match=missing):
        create_gateway("yookassa", GatewayConfig("s", "https://shop.example", SystemUtcClock(), values))
