"""The YooKassa gateway: payments open at YooKassa's confirmation page; notifications are
checked by their sender's address and never believed: the object is read back from the API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import httpx
import msgspec

from adapters.payments.event_bodies import decode_event
from adapters.payments.yookassa.client import OBJECT_ID, Amount, PaymentObject, RefundObject, YooKassaClient
from adapters.payments.yookassa.settings import YooKassaSettings, is_trusted
from application.ports import (
    CheckoutRequest,
    PaymentGateway,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    WebhookDelivery,
)
from domain.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotAuthenticated,
)
from domain.money import Money
from domain.payments import IgnoredEvent, PaymentEvent, PaymentStatus, ProviderEvent
from domain.refunds import RefundEvent, RefundStatus

NAME = "yookassa"
# YooKassa's limits: a payment's description ≤ 128 characters, a refund's ≤ 250.
_PAYMENT_DESCRIPTION_MAX = 128
_REFUND_DESCRIPTION_MAX = 250

# A payment's status at YooKassa → ours. `canceled` is a failed attempt here (the customer may
# pay the order again), with YooKassa's `cancellation_details.reason` as the reason.
PAYMENT_STATUSES: dict[str, PaymentStatus] = {
    "pending": PaymentStatus.PENDING,
    "waiting_for_capture": PaymentStatus.PENDING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.FAILED,
}
REFUND_STATUSES: dict[str, RefundStatus] = {
    "pending": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "canceled": RefundStatus.FAILED,
}
# The notification that names each status: the event identity says what was applied.
_PAYMENT_EVENT_FOR = {
    "pending": "payment.pending",
    "waiting_for_capture": "payment.waiting_for_capture",
    "succeeded": "payment.succeeded",
    "canceled": "payment.canceled",
}
_REFUND_EVENT_FOR = {
    "pending": "refund.pending",
    "succeeded": "refund.succeeded",
    "canceled": "refund.canceled",
}
PAYMENT_EVENTS = frozenset({"payment.succeeded", "payment.canceled", "payment.waiting_for_capture"})
REFUND_EVENTS = frozenset({"refund.succeeded"})


class _NotificationObject(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(pattern=OBJECT_ID.pattern)]
    amount: Amount | None = None


class Notification(msgspec.Struct):
    """`{"type": "notification", "event": "payment.succeeded", "object": {"id": …, "amount"?, …}}`;
    of the object only its id is used (the API is asked), and its amount, when given, must be the
    API's."""

    type: Literal["notification"]
    event: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[a-z_]+\.[a-z_]+$")]
    object: _NotificationObject


class YooKassaGateway(PaymentGateway):
    """YooKassa API v3 through `YooKassaClient` (httpx, 10 s timeout).

    - `create_payment`: `POST /payments` with `Idempotence-Key` = `request.reference`, the amount
      as an exact decimal string, `capture: true` and a redirect confirmation; the answer's `id`
      and `confirmation.confirmation_url`.
    - `verify_webhook`: a sender outside the trusted networks (or none) → NotAuthenticated; a
      body that is not a notification → MalformedInput / InvalidInput; then the payment or
      refund is read back (`GET /payments/{id}`, `/refunds/{id}`) and what the API says is
      returned, with the identity `<event>:<id>` of the event that status is named by.
    - `refund`: `POST /refunds` `{payment_id, amount}` with `Idempotence-Key` = `request.reference`.
    """

    def __init__(self, settings: YooKassaSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._client = YooKassaClient(
            settings.shop_id, settings.secret_key, settings.api_url, settings.timeout_seconds, transport
        )

    @property
    def name(self) -> str:
        return NAME

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        body: dict[str, Any] = {
            "amount": _amount(request.amount),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": self._settings.return_url},
            "description": request.description[:_PAYMENT_DESCRIPTION_MAX],
            "metadata": {"order_id": str(request.order_id), "payment_id": str(request.payment_id)},
        }
        payment = await self._client.create_payment(body, request.reference)
        url = payment.confirmation.confirmation_url if payment.confirmation else None
        if not url:
            raise Conflict(f"YooKassa opened payment {payment.id} without a confirmation URL")
        return ProviderPayment(payment.id, url)

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        if not is_trusted(delivery.client_ip, self._settings.trusted_networks):
            raise NotAuthenticated("the notification did not come from YooKassa's networks")
        notification = parse_notification(delivery.body)
        object_id = notification.object.id
        claimed = notification.object.amount
        if notification.event in PAYMENT_EVENTS:
            payment = await self._client.get_payment(object_id)
            event = payment_event(payment)
            _same_amount(claimed, event.amount)
            return event
        if notification.event in REFUND_EVENTS:
            refund = await self._client.get_refund(object_id)
            _same_amount(claimed, _money(refund.amount))
            return refund_event(refund)
        return IgnoredEvent(f"{notification.event}:{object_id}", notification.event)

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        if request.amount.minor <= 0:
            raise InvalidInput.for_field("amount", "a refund must be greater than 0")
        body: dict[str, Any] = {"payment_id": request.provider_payment_id, "amount": _amount(request.amount)}
        if request.reason:
            body["description"] = request.reason[:_REFUND_DESCRIPTION_MAX]
        refund = await self._client.create_refund(body, request.reference)
        status, reason = refund_status(refund)
        return ProviderRefund(refund.id, status, reason)


def parse_notification(body: bytes) -> Notification:
    """Strict: MalformedInput for bytes that are not JSON, InvalidInput naming the field otherwise."""
    return decode_event(body, Notification, "notification")


def payment_event(payment: PaymentObject) -> PaymentEvent:
    """What the API says about a payment, as an event: status, amount and reason are the API's."""
    status = PAYMENT_STATUSES.get(payment.status)
    if status is None:
        raise DependencyUnavailable(f"YooKassa answered an unknown payment status {payment.status!r}")
    reason = None
    if status is PaymentStatus.FAILED:
        details = payment.cancellation_details
        reason = (details.reason if details else None) or "canceled by YooKassa"
    return PaymentEvent(
        event_id=f"{_PAYMENT_EVENT_FOR[payment.status]}:{payment.id}",
        provider_payment_id=payment.id,
        status=status,
        amount=_money(payment.amount),
        fail_reason=reason,
    )


def refund_status(refund: RefundObject) -> tuple[RefundStatus, str | None]:
    status = REFUND_STATUSES.get(refund.status)
    if status is None:
        raise DependencyUnavailable(f"YooKassa answered an unknown refund status {refund.status!r}")
    if status is not RefundStatus.FAILED:
        return status, None
    details = refund.cancellation_details
    return status, (details.reason if details else None) or "canceled by YooKassa"


def refund_event(refund: RefundObject) -> RefundEvent:
    status, reason = refund_status(refund)
    return RefundEvent(f"{_REFUND_EVENT_FOR[refund.status]}:{refund.id}", refund.id, status, reason)


def _same_amount(claimed: Amount | None, actual: Money) -> None:
    """A notification whose amount is not the API's was not written by YooKassa (a status may
    legitimately have moved on since it was sent; an amount never does)."""
    if claimed is None:
        return
    try:
        money = claimed.money()
    except (InvalidInput, ValueError):
        raise InvalidInput.for_field(
            "object.amount", 'must be an amount like {value: "1.00", currency: "RUB"}'
        ) from None
    if money != actual:
        raise NotAuthenticated("the notification's amount is not the one YooKassa holds")


def _amount(money: Money) -> dict[str, str]:
    amount = Amount.of(money)
    return {"value": amount.value, "currency": amount.currency}


def _money(amount: Amount) -> Money:
    try:
        return amount.money()
    except (InvalidInput, ValueError):
        raise DependencyUnavailable(
            f"YooKassa answered an amount that is not exact money: {amount.value!r} {amount.currency!r}"
        ) from None
