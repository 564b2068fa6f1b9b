"""The fake payment repositories: one active payment per order, one record per (provider, event id)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.sql.errors import UNIQUE_VIOLATIONS
from application.ports import NewPayment, PaymentEventRepository, PaymentFilter, PaymentRepository
from domain.errors import AlreadyExists
from domain.payments import Outcome, Payment, PaymentEvent
from tests.fakes.state import MemoryState, PaymentEventRecord


class MemoryPaymentRepository(PaymentRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_one_active(self, order_id: int, own_id: int | None) -> None:
        if any(
            p.order_id == order_id and p.status.is_active and p.id != own_id
            for p in self._s.payments.values()
        ):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_payments_order_id"])

    async def add(self, new: NewPayment, now: datetime) -> Payment:
        self._check_one_active(new.order_id, None)
        payment = new.created(self._s.next_id("payments"), now)
        self._s.payments[payment.id] = payment
        return payment

    async def get(self, payment_id: int) -> Payment | None:
        return self._s.payments.get(payment_id)

    async def find_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        return next(
            (
                p
                for p in sorted(self._s.payments.values(), key=lambda p: p.id)
                if p.provider == provider and p.provider_payment_id == provider_payment_id
            ),
            None,
        )

    async def lock(self, payment_id: int) -> Payment | None:
        return await self.get(payment_id)

    async def save(self, payment: Payment) -> None:
        stored = self._s.payments.get(payment.id)
        if stored is None:
            return
        if payment.status.is_active:
            self._check_one_active(stored.order_id, stored.id)
        self._s.payments[payment.id] = replace(
            stored,
            provider_payment_id=payment.provider_payment_id,
            checkout_url=payment.checkout_url,
            status=payment.status,
            fail_reason=payment.fail_reason,
            refund_required=payment.refund_required,
            refunded_minor=payment.refunded_minor,
            capture_reference=payment.capture_reference,
            updated_at=payment.updated_at,
        )

    async def active_for_order(self, order_id: int) -> Payment | None:
        return next(
            (p for p in self._s.payments.values() if p.order_id == order_id and p.status.is_active),
            None,
        )

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[Payment]:
        found = sorted((p for p in self._s.payments.values() if p.order_id == order_id), key=lambda p: p.id)
        return found[offset : offset + limit]

    async def list_all(self, criteria: PaymentFilter, limit: int, offset: int) -> list[Payment]:
        found = [
            p
            for p in self._s.payments.values()
            if (criteria.status is None or p.status is criteria.status)
            and (criteria.provider is None or p.provider == criteria.provider)
            and (criteria.refund_required is None or p.refund_required is criteria.refund_required)
        ]
        found.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        return found[offset : offset + limit]


class MemoryPaymentEventRepository(PaymentEventRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def record(
        self, provider: str, event: PaymentEvent, payment_id: int, outcome: Outcome, now: datetime
    ) -> bool:
        key = (provider, event.event_id)
        if key in self._s.payment_events:
            return False
        self._s.payment_events[key] = PaymentEventRecord(
            self._s.next_id("payment_events"), provider, event.event_id, payment_id, outcome
        )
        return True
