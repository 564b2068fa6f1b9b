"""Ports of the refunds use cases: the refund storage."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.money import Money
from domain.refunds import Refund, RefundStatus


@dataclass(frozen=True, slots=True)
class NewRefund:
    payment_id: int
    order_id: int
    amount: Money
    reason: str | None

    def created(self, refund_id: int, now: datetime) -> Refund:
        """The refund as it is once stored under `refund_id`: `pending`, not asked yet."""
        return Refund(
            id=refund_id,
            payment_id=self.payment_id,
            order_id=self.order_id,
            amount=self.amount,
            status=RefundStatus.PENDING,
            reason=self.reason,
            provider_refund_id=None,
            failure_reason=None,
            created_at=now,
            updated_at=now,
        )


class RefundRepository(Protocol):
    """Refunds of payments. Callers lock the payment (`PaymentRepository.lock`) before they
    sum its refunds and add one, so concurrent requests never refund more than it."""

    @abstractmethod
    async def add(self, new: NewRefund, now: datetime) -> Refund:
        """Insert as `pending`."""

    @abstractmethod
    async def get(self, refund_id: int) -> Refund | None: ...

    @abstractmethod
    async def lock(self, refund_id: int) -> Refund | None:
        """Read and hold the refund until the transaction ends (lock its payment first)."""

    @abstractmethod
    async def find_by_provider_id(self, provider: str, provider_refund_id: str) -> Refund | None:
        """The refund the provider `provider` knows as `provider_refund_id`."""

    @abstractmethod
    async def of_payment(self, payment_id: int) -> list[Refund]:
        """Every refund of the payment, oldest first (for the sums)."""

    @abstractmethod
    async def list_for_payment(self, payment_id: int, limit: int, offset: int) -> list[Refund]:
        """A page of the payment's refunds, oldest first."""

    @abstractmethod
    async def save(self, refund: Refund) -> None:
        """Store status, provider refund id, failure reason and `updated_at`."""
