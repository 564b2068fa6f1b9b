"""The mock provider's hosted checkout page, at the root (`/mock-checkout/{provider_payment_id}`).

It stands in for a real provider's site: Pay and Decline make the mock provider
sign an event and deliver it to the store's webhook, through the same path a
real delivery takes (signature check included). The page shows the order's
real state and offers the buttons only while the order can be paid; a button
pressed on a page that went out of date (the order was cancelled, expired or
paid meanwhile) charges nothing and sends no webhook (409). With another
provider configured, these pages do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import Parameter

from application.payments.read_payments import Checkout, GetCheckout
from application.payments.settle_webhook import SettleWebhook
from application.ports import WebhookDelivery
from domain.errors import DomainError, NotFound
from domain.money import Money
from domain.payments import PaymentStatus
from entrypoints.http.mock_checkout_pages import (
    CHECKOUT_PATH,
    checkout_page,
    not_found_page,
    refused_page,
    result_page,
)
from entrypoints.http.payments import client_ip, deliver_webhook
from entrypoints.http.problems import domain_error_handler

ProviderPaymentId = Annotated[str, Parameter(max_length=255)]
# Litestar adds `; charset=utf-8` to a text media type itself (the app's encoding).
HTML = MediaType.HTML
# The pages are plain HTML with an inline style sheet and two forms posting back here:
# nothing else may load, and no other site may frame them (the buttons move money).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class EventSigner(Protocol):
    """The mock provider signing the events its checkout page delivers to the store."""

    @property
    def name(self) -> str: ...

    def signed_event(
        self, provider_payment_id: str, status: PaymentStatus, amount: Money, *, fail_reason: str | None
    ) -> tuple[bytes, dict[str, str]]: ...


@dataclass(frozen=True, slots=True)
class MockProvider:
    """What the pages need from the payment provider, bound by the composition root:
    its signer when the configured provider is the mock one, else None (no pages)."""

    signer: EventSigner | None


def _html(text: str, status: int = 200) -> Response[str]:
    return Response(text, status_code=status, media_type=HTML, headers=PAGE_HEADERS)


class MockCheckoutController(Controller):
    path = CHECKOUT_PATH
    tags = ["mock provider"]
    include_in_schema = False

    @get("/{provider_payment_id:str}", summary="The mock provider's checkout page")
    async def page(
        self,
        provider_payment_id: ProviderPaymentId,
        mock: FromDishka[MockProvider],
        checkout: FromDishka[GetCheckout],
    ) -> Response[str]:
        found = await _find(mock, checkout, provider_payment_id)
        if found is None:
            return _html(not_found_page(provider_payment_id), 404)
        return _html(checkout_page(found))

    # Deliberate twins: pay and decline are two buttons, two routes; `_press` holds all they share.
    @post("/{provider_payment_id:str}/pay", status_code=200, summary="The customer pays")
    async def pay(
        self,
        request: Request[Any, Any, Any],
        provider_payment_id: ProviderPaymentId,
        mock: FromDishka[MockProvider],
        checkout: FromDishka[GetCheckout],
        settle: FromDishka[SettleWebhook],
    ) -> Response[str]:
        return await _press(request, mock, checkout, settle, provider_payment_id, PaymentStatus.SUCCEEDED)

    @post("/{provider_payment_id:str}/decline", status_code=200, summary="The customer declines")
    async def decline(
        self,
        request: Request[Any, Any, Any],
        provider_payment_id: ProviderPaymentId,
        mock: FromDishka[MockProvider],
        checkout: FromDishka[GetCheckout],
        settle: FromDishka[SettleWebhook],
    ) -> Response[str]:
        return await _press(request, mock, checkout, settle, provider_payment_id, PaymentStatus.FAILED)


async def _find(mock: MockProvider, checkout: GetCheckout, provider_payment_id: str) -> Checkout | None:
    if mock.signer is None:
        return None
    try:
        return await checkout(mock.signer.name, provider_payment_id)
    except NotFound:
        return None


async def _press(
    request: Request[Any, Any, Any],
    mock: MockProvider,
    checkout: GetCheckout,
    settle: SettleWebhook,
    provider_payment_id: str,
    status: PaymentStatus,
) -> Response[str]:
    found = await _find(mock, checkout, provider_payment_id)
    if found is None or mock.signer is None:
        return _html(not_found_page(provider_payment_id), 404)
    if not found.can_pay:
        return _html(refused_page(found), 409)
    payment = found.payment
    reason = "declined by the customer" if status is PaymentStatus.FAILED else None
    body, headers = mock.signer.signed_event(provider_payment_id, status, payment.amount, fail_reason=reason)
    try:
        delivery = WebhookDelivery(body, headers, client_ip(request))
        receipt = await deliver_webhook(settle, mock.signer.name, delivery)
        answer, detail = 200, f"{receipt.result}: {receipt.detail}"
    except DomainError as error:
        answer, detail = domain_error_handler(request, error).status_code or 500, error.message
    current = await _find(mock, checkout, provider_payment_id)
    return _html(result_page(current or found, answer, detail))
