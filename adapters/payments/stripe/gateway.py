"""The Stripe gateway: Checkout Sessions and refunds through the official SDK (async, over the
SDK's own aiohttp client: `stripe.AIOHTTPClient`), webhooks verified by the SDK's
`WebhookSignature` and read into the domain's events.

The SDK's HTTP client is its aiohttp one rather than its httpx one because a payment start spent
about 60 % of its CPU in the SDK and, of that, most in httpx and httpcore: with aiohttp the CPU per
start fell from 3.5 to 2.3 ms (docs/performance.md, "Starting a payment through Stripe").

A Checkout Session is created with the SDK's own untyped call (`StripeClient.raw_request_async`,
"custom requests" in its README): the same form, headers, idempotency key and error handling as
`checkout.sessions.create_async`, but its answer is read by msgspec into the two fields the store
keeps (`_OpenedSession`) instead of being turned into `StripeObject`s, which cost a payment start
about 150 µs of CPU, a tenth of it (docs/performance.md, "Starting a payment at its floor").

Amounts: the store's `Money.minor` is hundredths; Stripe's amounts are the currency's smallest
unit, so a zero-decimal currency (JPY, KRW, … `ZERO_DECIMAL`) is sent as `minor // 100` and read
back as `amount * 100`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import aiohttp
import msgspec
import stripe

from adapters.payments.stripe.settings import StripeSettings
from application.ports import (
    CheckoutRequest,
    Clock,
    PaymentGateway,
    ProviderCredentialsRefused,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    WebhookDelivery,
)
from domain.errors import Conflict, DependencyUnavailable, InvalidInput, MalformedInput, NotAuthenticated
from domain.money import ZERO_DECIMAL_CURRENCIES, Money
from domain.orders import MAX_TOTAL_MINOR
from domain.payments import IgnoredEvent, PaymentEvent, PaymentStatus, ProviderEvent
from domain.provider_values import REFERENCE_MAX
from domain.refunds import RefundEvent, RefundStatus
from domain.text import PLAIN_TEXT_PATTERN

T = TypeVar("T")
SIGNATURE_HEADER = "stripe-signature"
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10.0
# No client telemetry: the SDK would otherwise write an id under ~/.config/stripe from inside the
# event loop on its first call, and report each call's duration to Stripe with the next one.
stripe.enable_telemetry = False
# Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal): the store's list,
# but ISK, which Stripe takes in two-decimal form (ending in 00: the store's prices in ISK are whole).
ZERO_DECIMAL = ZERO_DECIMAL_CURRENCIES - {"ISK"}
_SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
_REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed"}
_REFUND_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


# Stripe's ids as the store keeps them (`domain.provider_values`): 1–255 characters, no controls.
_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=REFERENCE_MAX, pattern=PLAIN_TEXT_PATTERN)]


class _Envelope(msgspec.Struct):
    id: _Id
    type: Annotated[str, msgspec.Meta(max_length=255)]
    data: _Data


class _Data(msgspec.Struct):
    object: dict[str, Any]


class _Session(msgspec.Struct):
    id: _Id
    amount_total: Annotated[int, msgspec.Meta(ge=0, le=MAX_TOTAL_MINOR)]
    # ASCII letters only (`str.isalpha` would take "αβγ"); upper-cased when read.
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")]
    payment_status: Literal["paid", "unpaid", "no_payment_required"]
    payment_intent: _Id | None = None


class _OpenedSession(msgspec.Struct):
    """What a created Checkout Session's answer must give: its id and its page."""

    id: str | None = None
    url: str | None = None


def _read_answer(answer: Any, shape: type[T]) -> T:
    """The raw answer's JSON object (`StripeResponse.data`) in `shape`; DependencyUnavailable
    when it is not an object of that shape (Stripe's API reference gives objects only)."""
    try:
        return msgspec.convert(getattr(answer, "data", None), type=shape, strict=True)
    except msgspec.ValidationError:
        raise DependencyUnavailable(f"Stripe is unavailable: {_UNDOCUMENTED_ANSWER}") from None


class _Refund(msgspec.Struct):
    id: _Id
    status: str
    failure_reason: Annotated[str, msgspec.Meta(max_length=500)] | None = None


def to_stripe_amount(amount: Money) -> int:
    """`amount` in the currency's smallest unit as Stripe counts it."""
    if amount.currency.upper() in ZERO_DECIMAL:
        if amount.minor % 100:
            raise InvalidInput.for_field("amount", f"{amount.currency} has no minor units at Stripe")
        return amount.minor // 100
    return amount.minor


def from_stripe_amount(value: int, currency: str) -> Money:
    code = currency.upper()
    return Money(value * 100 if code in ZERO_DECIMAL else value, code)


class StripeGateway(PaymentGateway):
    """Stripe Checkout. Requests time out after 10 s; the SDK does not retry by itself
    (`max_network_retries=0`): a failed start answers 503 and the client's retry, under the same
    idempotency key, repeats the request with the same Stripe `Idempotency-Key`."""

    def __init__(self, settings: StripeSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        # Built on the first call (start-up builds a gateway only to check its settings: no HTTP
        # client, no TLS context for it), then kept: one SDK client, whose aiohttp session keeps
        # its connections alive, per event loop (a session's connections belong to the loop that
        # opened them). `aclose` closes the current loop's session when the app stops.
        self._client: stripe.StripeClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def _stripe(self) -> stripe.StripeClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # The timeout is given to the SDK's client: it passes its own (80 s by default) with
            # every request, over the session's. The proxy is read from the environment once
            # (`HTTP(S)_PROXY`, `NO_PROXY`, as httpx did): aiohttp's `trust_env` would read it,
            # and ~/.netrc, on every request (~0.3 ms of CPU per payment start).
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._client = stripe.StripeClient(
                self._settings.secret_key,
                base_addresses={"api": self._settings.api_base},
                max_network_retries=0,
                http_client=stripe.AIOHTTPClient(
                    timeout=timeout, session=self._session, proxy=proxy_for(self._settings.api_base)
                ),
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP session of the running loop, if one was opened on it."""
        session, self._session, self._client = self._session, None, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    @property
    def name(self) -> str:
        return "stripe"

    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.lower(),
                        "unit_amount": to_stripe_amount(request.amount),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "client_reference_id": str(request.payment_id),
            "metadata": {"payment_id": str(request.payment_id), "order_id": str(request.order_id)},
            "success_url": self._settings.success_url,
            "cancel_url": self._settings.cancel_url,
        }
        try:
            answer = await self._stripe.raw_request_async(
                "post", "/v1/checkout/sessions", **params, idempotency_key=request.reference
            )
        except (stripe.StripeError, *_BODY_FAULTS) as error:
            _refused(error)
        session = _read_answer(answer, _OpenedSession)
        if not session.id or not session.url:
            raise Conflict("Stripe opened a Checkout Session without an id or a URL")
        return ProviderPayment(session.id, session.url)

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        if not request.capture_reference:
            raise Conflict("the payment has no PaymentIntent at Stripe to refund")
        params: dict[str, Any] = {
            "payment_intent": request.capture_reference,
            "amount": to_stripe_amount(request.amount),
            "metadata": {"refund_id": str(request.refund_id)},
        }
        try:
            refund = await self._stripe.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.reference},
            )
        except (stripe.StripeError, *_BODY_FAULTS) as error:
            _refused(error)
        refund_id, stripe_status, failure_reason = _fields(refund, "id", "status", "failure_reason")
        if not refund_id:
            raise DependencyUnavailable(f"Stripe is unavailable: {_UNDOCUMENTED_ANSWER}")
        status = _REFUND_STATUSES.get(str(stripe_status), RefundStatus.PENDING)
        reason = (failure_reason or str(stripe_status)) if status is RefundStatus.FAILED else None
        return ProviderRefund(str(refund_id), status, reason)

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        header = delivery.headers.get(SIGNATURE_HEADER)
        self._verify(delivery.body, header)
        return read_event(delivery.body)

    def _verify(self, body: bytes, header: str | None) -> None:
        """The SDK checks the signature; the time is checked here, both ways (the SDK checks only
        the past, by the wall clock), by the app's clock."""
        if not header or len(header) > 4096:
            raise NotAuthenticated("the Stripe-Signature header is missing or malformed")
        timestamps = [item.partition("=")[2] for item in header.split(",") if item.strip().startswith("t=")]
        if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit():
            raise NotAuthenticated("the Stripe-Signature header is malformed")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Not text: the SDK cannot read it. Signed correctly it is a malformed event, else a forgery.
            if not _signed_bytes(body, header, self._settings.webhook_secret):
                raise NotAuthenticated("the Stripe-Signature does not match") from None
            raise MalformedInput("the webhook body is not UTF-8") from None
        try:
            stripe.WebhookSignature.verify_header(text, header, self._settings.webhook_secret, tolerance=0)
        except stripe.SignatureVerificationError:
            raise NotAuthenticated("the Stripe-Signature does not match") from None
        if (
            len(timestamps[0]) > 12
            or abs(self._clock.now().timestamp() - int(timestamps[0])) > TOLERANCE_SECONDS
        ):
            raise NotAuthenticated("the webhook timestamp is outside the tolerance")


def _signed_bytes(body: bytes, header: str, secret: str) -> bool:
    items = [item.strip().partition("=") for item in header.split(",")]
    timestamp = next((value for key, _, value in items if key == "t"), "")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(key == "v1" and hmac.compare_digest(expected, value) for key, _, value in items)


def read_event(body: bytes) -> ProviderEvent:
    """A verified Stripe event as the domain's event (docs/payments.md, Stripe)."""
    try:
        json.loads(body)
    except ValueError:
        raise MalformedInput("the webhook body is not valid JSON") from None
    envelope = _convert(lambda: msgspec.json.decode(body, type=_Envelope), "")
    if envelope.type in _SESSION_EVENTS:
        session = _convert(lambda: msgspec.convert(envelope.data.object, type=_Session), "data.object")
        return _session_event(envelope, session)
    if envelope.type in _REFUND_EVENTS:
        refund = _convert(lambda: msgspec.convert(envelope.data.object, type=_Refund), "data.object")
        status = _REFUND_STATUSES.get(refund.status)
        if status is None:
            raise InvalidInput.for_field("data.object.status", f"unknown refund status {refund.status!r}")
        reason = (refund.failure_reason or refund.status) if status is RefundStatus.FAILED else None
        return RefundEvent(envelope.id, refund.id, status, reason)
    return IgnoredEvent(envelope.id, envelope.type)


def _convert(read: Callable[[], T], prefix: str) -> T:
    """`read()`, its validation error as InvalidInput naming the field by its path in the event
    (`data.object.amount_total`)."""
    try:
        return read()
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `$")
        path = ".".join(part for part in (prefix, where.rstrip("`").lstrip(".")) if part)
        raise InvalidInput.for_field(path or "body", message) from None


def _session_event(envelope: _Envelope, session: _Session) -> PaymentEvent:
    fail_reason: str | None = None
    if envelope.type == "checkout.session.completed":
        status = PaymentStatus.SUCCEEDED if session.payment_status == "paid" else PaymentStatus.PENDING
    elif envelope.type == "checkout.session.async_payment_succeeded":
        status = PaymentStatus.SUCCEEDED
    elif envelope.type == "checkout.session.async_payment_failed":
        status, fail_reason = PaymentStatus.FAILED, "the payment failed at Stripe (async_payment_failed)"
    else:
        status, fail_reason = PaymentStatus.CANCELED, "the Checkout Session expired"
    return PaymentEvent(
        event_id=envelope.id,
        provider_payment_id=session.id,
        status=status,
        amount=from_stripe_amount(session.amount_total, session.currency),
        fail_reason=fail_reason,
        capture_reference=session.payment_intent,
    )


# The SDK's aiohttp client turns a failed request into `APIConnectionError`, but reads the answer's
# body outside that guard: a connection dropped or timed out mid-body arrives as aiohttp's own.
_BODY_FAULTS = (aiohttp.ClientError, TimeoutError)


def proxy_for(url: str) -> str | None:
    """The egress proxy the environment names for `url` (`HTTPS_PROXY` or `HTTP_PROXY` by its
    scheme, any case), None when there is none or `NO_PROXY` exempts its host."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


_UNDOCUMENTED_ANSWER = "it answered in a shape its API reference does not give"
# Stripe's message is shown to the customer (a refusal) and logged: kept short.
_MESSAGE_MAX = 300
# 409: "the request conflicts with another request (perhaps due to using the same idempotent
# key)" (docs.stripe.com/api/errors): a request under a key another is still using
# (`idempotency_key_in_use`) gets it, and the first one's answer is coming, so retry (the SDK's
# own retries treat 409 so too). 429: too many requests.
_RETRY_LATER = (409, 429)


def _fields(answer: Any, *names: str) -> tuple[Any, ...]:
    """The named fields of an SDK object, None where missing; DependencyUnavailable when the
    answer is not an object at all (Stripe's API reference gives objects only)."""
    if not isinstance(answer, stripe.StripeObject):
        raise DependencyUnavailable(f"Stripe is unavailable: {_UNDOCUMENTED_ANSWER}")
    return tuple(getattr(answer, name, None) for name in names)


def _refused(error: Exception) -> NoReturn:
    """Stripe's error in the domain's words: unreachable, timed out, 409 (a key still in use by a
    concurrent request), 429, 5xx, or an answer that is not Stripe's JSON (a 2xx the SDK cannot
    read: a proxy's page) → unavailable; 401/403 (the secret key refused) →
    ProviderCredentialsRefused; any other 4xx → Conflict with Stripe's message (cut to 300
    characters)."""
    if not isinstance(error, stripe.StripeError):
        raise DependencyUnavailable(f"Stripe is unavailable: the answer broke off ({type(error).__name__})")
    status = error.http_status
    if (
        isinstance(error, stripe.APIConnectionError)
        or status is None
        or status < 400
        or status >= 500
        or status in _RETRY_LATER
    ):
        raise DependencyUnavailable(f"Stripe is unavailable: {_short(error)}") from None
    if status in (401, 403) or isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        raise ProviderCredentialsRefused(
            f"Stripe refused the shop's credentials ({status}): {_short(error)}"
        ) from None
    raise Conflict(f"Stripe refused: {_short(error)}") from None


def _short(error: stripe.StripeError) -> str:
    text = " ".join(str(error.user_message or error).split())
    return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 1] + "…"
