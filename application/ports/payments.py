"""Ports of the payments use cases: the provider's gateway and the payment storage."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.money import Money
from domain.payments import Outcome, Payment, PaymentEvent, PaymentStatus


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What a provider needs to open a payment.

    `reference` is this app's idempotency key for the provider: the same reference
    always yields the same provider payment, so a retried call never charges twice.
    """

    reference: str
    order_id: int
    amount: Money
    description: str


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    checkout_url: str


class PaymentGateway(Protocol):
    """One payment provider. Adapters live in `adapters/payments/`, one registration line each.

    Errors, in the domain's words: a webhook whose signature is missing, wrong or
    stale raises `NotAuthenticated`; a verified body that is not a valid event raises
    `InvalidInput`; a provider that cannot be reached raises `DependencyUnavailable`.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """The provider's name: `PAYMENT_PROVIDER` and the webhook path use it."""

    @abstractmethod
    async def create_payment(self, request: CheckoutRequest) -> ProviderPayment:
        """Open a payment at the provider; idempotent per `request.reference`."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify the signature over the raw body, then parse it.

        `headers` has lower-cased names.
        """

    @abstractmethod
    async def refund(self, provider_payment_id: str, amount: Money) -> str:
        """Ask the provider to return the money; the provider's refund id."""


@dataclass(frozen=True, slots=True)
class NewPayment:
    order_id: int
    user_id: int
    amount: Money
    provider: str


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """Which payments the back office lists; `None` matches any."""

    status: PaymentStatus | None = None
    provider: str | None = None
    refund_required: bool | None = None


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
