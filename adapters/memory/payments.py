"""In-memory twins of the payment repositories (state lives in `MemoryState.extra`).

They keep the SQL rules: one active payment per order (Conflict), one record per
(provider, event id).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports import NewPayment, PaymentEventRepository, PaymentFilter, PaymentRepository
from domain.errors import AlreadyExists
from domain.payments import Outcome, Payment, PaymentEvent, PaymentStatus

if TYPE_CHECKING:
    from adapters.memory.store import MemoryState


def _payments(state: MemoryState) -> dict[int, Payment]:
    found: dict[int, Payment] = state.extra.setdefault("payments", {})
    return found


def _events(state: MemoryState) -> dict[tuple[str, str], tuple[int, Outcome]]:
    found: dict[tuple[str, str], tuple[int, Outcome]] = state.extra.setdefault("payment_events", {})
    return found


class MemoryPaymentRepository(PaymentRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, new: NewPayment, now: datetime) -> Payment:
        if await self.active_for_order(new.order_id) is not None:
            raise AlreadyExists("the order already has an active payment")
        payment = Payment(
            id=self._s.next_id("payments"),
            order_id=new.order_id,
            user_id=new.user_id,
            amount=new.amount,
            provider=new.provider,
            provider_payment_id=None,
            checkout_url=None,
            status=PaymentStatus.CREATED,
            fail_reason=None,
            refund_required=False,
            created_at=now,
            updated_at=now,
        )
        _payments(self._s)[payment.id] = payment
        return payment

    async def get(self, payment_id: int) -> Payment | None:
        return _payments(self._s).get(payment_id)

    async def find_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        return next(
            (
                p
                for p in _payments(self._s).values()
                if p.provider == provider and p.provider_payment_id == provider_payment_id
            ),
            None,
        )

    async def lock(self, payment_id: int) -> Payment | None:
        return await self.get(payment_id)

    async def save(self, payment: Payment) -> None:
        _payments(self._s)[payment.id] = replace(payment)

    async def active_for_order(self, order_id: int) -> Payment | None:
        return next(
            (p for p in _payments(self._s).values() if p.order_id == order_id and p.status.is_active),
            None,
        )

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[Payment]:
        found = sorted((p for p in _payments(self._s).values() if p.order_id == order_id), key=lambda p: p.id)
        return found[offset : offset + limit]

    async def list_all(self, criteria: PaymentFilter, limit: int, offset: int) -> list[Payment]:
        found = [
            p
            for p in _payments(self._s).values()
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
        events = _events(self._s)
        if (provider, event.event_id) in events:
            return False
        events[provider, event.event_id] = (payment_id, outcome)
        return True
