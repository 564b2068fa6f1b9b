"""Ports of the payments use cases: the provider's gateway and the payment storage."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.orders import OrderToPay
from domain.errors import DependencyUnavailable, FieldError
from domain.money import Money
from domain.order_events import EventActor
from domain.payments import Outcome, Payment, PaymentEvent, PaymentStatus, ProviderEvent
from domain.provider_values import describe, reason_errors, reference_errors, url_errors
from domain.refunds import RefundStatus


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What a provider needs to open a payment.

    `reference` is this app's idempotency key at the provider
    (`application.payments.references.payment_reference`: `storefront-<installation>-payment-<id>`):
    the same reference always yields the same provider payment, so a retried call never opens
    two. `amount` carries minor units (Money).
    """

    reference: str
    payment_id: int
    order_id: int
    amount: Money
    description: str


class ProviderFault(DependencyUnavailable):
    """The provider cannot serve this store until the shop fixes something on its side: to the
    customer the provider is unavailable (503, a generic message); to the operator an error,
    logged at ERROR with the provider's own text. Nothing about the payment is decided by it."""


class ProviderAnswerInvalid(ProviderFault):
    """A provider answered with a value the store cannot keep (`domain.provider_values`)."""


class ProviderCredentialsRefused(ProviderFault):
    """The provider refused the shop's credentials (Stripe 401 "Invalid API Key", 403; YooKassa
    401/403): a misconfiguration, never the customer's doing."""


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """The provider's answer to opening a payment: its id (1–255 characters of plain text) and
    its checkout page (an http(s) URL of at most 1000); anything else is ProviderAnswerInvalid."""

    provider_payment_id: str
    checkout_url: str

    def __post_init__(self) -> None:
        _answer_fits(
            reference_errors("provider_payment_id", self.provider_payment_id)
            + url_errors("checkout_url", self.checkout_url)
        )


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One delivery to POST /payments/webhook/{provider}, as it arrived."""

    body: bytes  # raw bytes: signatures cover them
    headers: Mapping[str, str]  # names lower-cased
    client_ip: str | None  # as the app's proxy rules resolve it


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """What a provider needs to return money.

    `reference` is this app's idempotency key at the provider
    (`application.payments.references.refund_reference`: `storefront-<installation>-refund-<id>`);
    `capture_reference` is the payment's `capture_reference` (Stripe's `pi_…`), None where the
    provider refunds by its payment id; `amount` carries minor units (Money).
    """

    reference: str
    refund_id: int
    provider_payment_id: str
    capture_reference: str | None
    amount: Money
    reason: str | None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """The provider's answer to a refund: its id (1–255 characters of plain text) and `pending`,
    `succeeded` or `failed`; anything else is ProviderAnswerInvalid."""

    provider_refund_id: str
    status: RefundStatus
    failure_reason: str | None = None

    def __post_init__(self) -> None:
        _answer_fits(
            reference_errors("provider_refund_id", self.provider_refund_id)
            + reason_errors("failure_reason", self.failure_reason)
        )


def _answer_fits(errors: list[FieldError]) -> None:
    if errors:
        raise ProviderAnswerInvalid(
            f"the payment provider answered values the store cannot keep: {describe(errors)}"
        )


class PaymentGateway(Protocol):
    """One payment provider. Adapters live in `adapters/payments/<name>/`, registered by one line
    in `adapters/payments/registry.py`.

    Errors, in the domain's words: NotAuthenticated (a bad, missing or stale signature, a sender
    outside the trusted networks); InvalidInput / MalformedInput (a verified body that is not a
    valid event); DependencyUnavailable (the provider unreachable, timed out after 10 s, or
    answered 5xx); ProviderCredentialsRefused (the provider refused the shop's credentials,
    401/403); ProviderAnswerInvalid (an answer the store cannot keep); Conflict (the provider
    refused the request, any other 4xx, with its message).
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """The provider's name: `PAYMENT_PROVIDERS` and the webhook path use it."""

    @abstractmethod
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        """Open a payment at the provider; idempotent per `request.reference`."""

    @abstractmethod
    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        """Verify a delivery (signature over the raw body, or the sender and the provider's own
        API), then normalise it: a payment's event, a refund's event, or an ignored one."""

    @abstractmethod
    async def refund(self, request: RefundRequest) -> ProviderRefund:
        """Ask the provider to return `request.amount`; idempotent per `request.reference`."""


class PaymentGateways(Protocol):
    """Every enabled provider's gateway by name, in `PAYMENT_PROVIDERS` order."""

    @property
    @abstractmethod
    def names(self) -> Sequence[str]:
        """The enabled providers, in `PAYMENT_PROVIDERS` order."""

    @property
    @abstractmethod
    def default(self) -> str:
        """`PAYMENT_PROVIDER`, else the first enabled provider."""

    @abstractmethod
    def get(self, name: str) -> PaymentGateway | None:
        """The enabled provider named `name`, else None."""


@dataclass(frozen=True, slots=True)
class NewPayment:
    order_id: int
    user_id: int
    amount: Money
    provider: str

    def created(self, payment_id: int, now: datetime) -> Payment:
        """The payment as it is once stored under `payment_id`: `created`, not opened anywhere."""
        return Payment(
            id=payment_id,
            order_id=self.order_id,
            user_id=self.user_id,
            amount=self.amount,
            provider=self.provider,
            provider_payment_id=None,
            checkout_url=None,
            status=PaymentStatus.CREATED,
            fail_reason=None,
            refund_required=False,
            created_at=now,
            updated_at=now,
        )


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """Which payments the back office lists; `None` matches any."""

    status: PaymentStatus | None = None
    provider: str | None = None
    refund_required: bool | None = None


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """What `PaymentRepository.start_for_order` found and did."""

    order: OrderToPay | None
    payment: Payment | None


# Repository ports are alike by shape (add, get, find, save, list): one Protocol per
# resource, each method with its own contract.
class PaymentRepository(Protocol):
    @abstractmethod
    async def add(self, new: NewPayment, now: datetime) -> Payment:
        """Insert as `created`; Conflict if the order already has an active payment."""

    @abstractmethod
    async def get(self, payment_id: int) -> Payment | None: ...

    @abstractmethod
    async def find_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None: ...

    @abstractmethod
    async def lock(self, payment_id: int) -> Payment | None:
        """Read and hold the payment until the transaction ends (lock orders before payments)."""

    @abstractmethod
    async def save(self, payment: Payment) -> None: ...

    @abstractmethod
    async def active_for_order(self, order_id: int) -> Payment | None: ...

    async def add_unless_active(self, new: NewPayment, now: datetime) -> Payment | None:
        """Insert as `created` unless the order already has an active payment: then None, and
        nothing inserted (the caller reads it with `active_for_order`). An implementation may
        leave the check to the one-active-payment constraint (PostgreSQL: one `INSERT … ON
        CONFLICT DO NOTHING`)."""
        if await self.active_for_order(new.order_id) is not None:
            return None
        return await self.add(new, now)

    async def start_for_order(
        self, order_id: int, payer_id: int, provider: str, now: datetime, actor: EventActor
    ) -> PaymentStart | None:
        """Start a payment in one step, where the storage can: lock order `order_id`; when it is
        `payer_id`'s, payable (`OrderToPay.is_payable`) and has no active payment, insert a
        `created` payment of its stored total through `provider` and append its
        `OrderEvent.payment_started` by `actor` at `now`, atomically. Answers the order as locked
        (None: no such order) and the payment inserted (None: nothing was, for whatever reason;
        the caller then takes the steps itself, from `OrderRepository.lock_to_pay`).

        None (the default): there is no such one step here, and nothing was read or written.
        PostgreSQL's is one statement, and as the unit of work's first it is committed at once
        unless an idempotency key is held (`key_held`: the key's row must share its transaction)."""
        return None

    async def save_opened(self, opened: Payment) -> Payment | None:
        """Store what `Payment.opened` gave `opened` (the provider's id, the checkout page,
        `updated_at`) only if the stored payment is still `created` and never opened: the payment
        as stored then, or None (nothing written) when it was retired or opened meanwhile.

        One conditional statement is enough, and as the only statement of its unit of work it
        may be committed at once (PostgreSQL: an `UPDATE … RETURNING` outside any transaction,
        no `BEGIN`, lock or `COMMIT` round trips): a unit of work that runs it does nothing else
        before `commit()`."""
        provider_payment_id, checkout_url = opened.provider_payment_id, opened.checkout_url
        assert provider_payment_id is not None and checkout_url is not None, "not opened"
        current = await self.lock(opened.id)
        if current is None or not current.is_unopened:
            return None
        stored = current.opened(provider_payment_id, checkout_url, opened.updated_at)
        await self.save(stored)
        return stored

    @abstractmethod
    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[Payment]:
        """Oldest first."""

    @abstractmethod
    async def list_all(self, criteria: PaymentFilter, limit: int, offset: int) -> list[Payment]:
        """Every payment that matches, newest first (ties broken by id, descending)."""


class PaymentEventRepository(Protocol):
    @abstractmethod
    async def record(
        self, provider: str, event: PaymentEvent, payment_id: int, outcome: Outcome, now: datetime
    ) -> bool:
        """Record the event once per (provider, event id); False if it was already recorded."""
