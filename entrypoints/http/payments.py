"""Payments over HTTP: start (idempotent), read, and the providers' webhooks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from msgspec import Meta, Struct

from application.paging import Page
from application.payments.providers import ListProviders
from application.payments.read_payments import GetPayment, ListOrderPayments, ListPayments
from application.payments.refunds import ListRefunds, RequestRefund
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import PaymentFilter, PaymentOut, RefundOut, WebhookDelivery
from domain.errors import InvalidInput
from domain.payments import PaymentStatus
from domain.refunds import REASON_MAX
from domain.text import PLAIN_TEXT_PATTERN
from domain.users import Actor
from entrypoints.http.bodies import decode_value
from entrypoints.http.guards import ADMIN, USER
from entrypoints.http.idempotency import idempotent
from entrypoints.http.money import PositiveAmount
from entrypoints.http.openapi import BEARER
from entrypoints.http.paging import Limit, Offset

ProviderName = Annotated[
    str | None,
    Parameter(
        min_length=1,
        max_length=32,
        pattern=r"^[\x21-\x7e]+$",
        description="A provider's name (`mock`): 1–32 visible ASCII characters",
    ),
]

ProviderChoice = (
    Annotated[
        str,
        Meta(
            min_length=1,
            max_length=32,
            description="An enabled provider's name (GET /payments/providers); absent: the default one",
            examples=["mock"],
        ),
    ]
    | None
)


RefundReason = Annotated[
    str,
    Meta(
        max_length=REASON_MAX,
        pattern=PLAIN_TEXT_PATTERN,
        description="Why the money goes back: plain text, at most 500 characters, not blank "
        "(not only spaces or other characters that draw nothing); leave it out to give none",
        examples=["damaged in transit"],
    ),
]


class RefundIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """A refund request: `amount` in the payment's currency (default: all that is left)."""

    amount: PositiveAmount | None = None
    reason: RefundReason | None = None


class StartPaymentIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The optional body of a payment's start: the provider (default: `PAYMENT_PROVIDER`)."""

    provider: ProviderChoice = None

    @classmethod
    def required(cls, value: Any) -> StartPaymentIn:
        """A body that was sent, as JSON parsed: converted strictly (`decode_value`); JSON
        `null` is no object, InvalidInput (an absent body is fine: the route takes None)."""
        if value is None:
            raise InvalidInput.for_field("body", "must be an object")
        return decode_value(value, cls)


class ProviderOut(Struct, kw_only=True):
    name: str
    default: bool


class WebhookOut(Struct, kw_only=True):
    """`payment_id` and `payment_status` are null for a delivery about no payment."""

    result: Literal["applied", "ignored", "duplicate"]
    payment_id: int | None
    payment_status: str | None
    detail: str


def lowercase_headers(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    """The peer address as the ASGI server reports it (uvicorn applies the trusted proxy
    headers, `FORWARDED_ALLOW_IPS`): the same address the rate limits count by."""
    return request.client.host if request.client else None


async def deliver_webhook(settle: SettleWebhook, provider: str, delivery: WebhookDelivery) -> WebhookOut:
    """The one path every provider delivery takes: verify, parse, settle."""
    receipt = await settle(provider, delivery)
    payment = receipt.payment
    return WebhookOut(
        result=receipt.result,  # type: ignore[arg-type]
        payment_id=payment.id if payment is not None else None,
        payment_status=payment.status.value if payment is not None else None,
        detail=receipt.note,
    )


class PaymentController(Controller):
    path = "/payments"
    tags = ["payments"]

    @post(
        "/orders/{order_id:int}",
        status_code=201,
        summary="Start paying a pending order (its owner only)",
        description=StartPayment.__doc__,
        security=BEARER,
        guards=USER,
        responses={201: ResponseSpec(PaymentOut, description="The payment, with its checkout page")},
    )
    @idempotent
    async def start_payment(
        self,
        request: Request[Any, Any, Any],
        order_id: int,
        actor: FromDishka[Actor],
        start: FromDishka[StartPayment],
        data: StartPaymentIn | None = None,
    ) -> PaymentOut:
        if data is None and await request.body():
            StartPaymentIn.required(None)  # a JSON `null`: refused (an absent body is fine)
        return PaymentOut.of(await start(actor, order_id, data.provider if data is not None else None))

    @get(
        "/providers",
        summary="The enabled payment providers (anyone)",
        description=ListProviders.__doc__,
    )
    async def providers(self, list_providers: FromDishka[ListProviders]) -> list[ProviderOut]:
        return [ProviderOut(name=p.name, default=p.default) for p in await list_providers()]

    @get(
        "/",
        summary="Every payment, newest first (admin)",
        description=ListPayments.__doc__,
        security=BEARER,
        guards=ADMIN,
    )
    async def all_payments(
        self,
        actor: FromDishka[Actor],
        list_payments: FromDishka[ListPayments],
        status: PaymentStatus | None = None,
        provider: ProviderName = None,
        refund_required: Annotated[
            bool | None,
            Parameter(
                description="`true`: only the payments owed a refund not yet made (a payment that "
                "succeeded for an order already cancelled or expired, until its refunds succeed)"
            ),
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[PaymentOut]:
        criteria = PaymentFilter(status, provider, refund_required)
        return [PaymentOut.of(p) for p in await list_payments(actor, criteria, Page(limit, offset))]

    @post(
        "/{payment_id:int}/refunds",
        status_code=201,
        summary="Refund a succeeded payment, in part or in full (admin)",
        description=RequestRefund.__doc__,
        security=BEARER,
        guards=ADMIN,
        responses={
            201: ResponseSpec(RefundOut, description="The refund, pending until the provider answers")
        },
    )
    @idempotent
    async def request_refund(
        self,
        payment_id: int,
        data: RefundIn,
        actor: FromDishka[Actor],
        request_refund: FromDishka[RequestRefund],
    ) -> RefundOut:
        return RefundOut.of(await request_refund(actor, payment_id, data.amount, data.reason))

    # Deliberate twins: one declared route per action, each a single call to its use case
    # answered with the view; what differs lives in the use case. Alike: a payment's refunds here
    # and an order's payments below (pages of a parent's children), the single payment and
    # orders.py's single-order routes.
    @get(
        "/{payment_id:int}/refunds",
        summary="A payment's refunds, oldest first (owner or admin)",
        description=ListRefunds.__doc__,
        security=BEARER,
        guards=USER,
    )
    async def payment_refunds(
        self,
        payment_id: int,
        actor: FromDishka[Actor],
        list_refunds: FromDishka[ListRefunds],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[RefundOut]:
        return [RefundOut.of(r) for r in await list_refunds(actor, payment_id, Page(limit, offset))]

    @get("/{payment_id:int}", summary="One payment (owner or admin)", security=BEARER, guards=USER)
    async def get_payment(
        self, payment_id: int, actor: FromDishka[Actor], get_payment: FromDishka[GetPayment]
    ) -> PaymentOut:
        return PaymentOut.of(await get_payment(actor, payment_id))

    @post(
        "/webhook/{provider:str}",
        status_code=200,
        summary="A payment provider's signed event",
        description=SettleWebhook.__doc__,
    )
    async def webhook(
        self,
        request: Request[Any, Any, Any],
        provider: Annotated[str, Parameter(max_length=32)],
        settle: FromDishka[SettleWebhook],
    ) -> WebhookOut:
        # The signature covers the raw bytes: never re-serialise before verifying.
        delivery = WebhookDelivery(await request.body(), lowercase_headers(request), client_ip(request))
        return await deliver_webhook(settle, provider, delivery)


class OrderPaymentsController(Controller):
    path = "/orders"
    tags = ["payments"]

    # Deliberate twins: one declared route per action, each a single call to its use case
    # answered with the view; what differs lives in the use case. Alike: a payment's refunds above.
    @get(
        "/{order_id:int}/payments",
        summary="An order's payments, oldest first (owner or admin)",
        security=BEARER,
        guards=USER,
    )
    async def order_payments(
        self,
        order_id: int,
        actor: FromDishka[Actor],
        list_payments: FromDishka[ListOrderPayments],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[PaymentOut]:
        return [PaymentOut.of(p) for p in await list_payments(actor, order_id, Page(limit, offset))]
