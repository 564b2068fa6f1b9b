"""The fake refund repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.ports import NewRefund, RefundRepository
from domain.refunds import Refund
from tests.fakes.state import MemoryState


class MemoryRefundRepository(RefundRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, new: NewRefund, now: datetime) -> Refund:
        refund = new.created(self._s.next_id("refunds"), now)
        self._s.refunds[refund.id] = refund
        return refund

    async def get(self, refund_id: int) -> Refund | None:
        return self._s.refunds.get(refund_id)

    async def lock(self, refund_id: int) -> Refund | None:
        return self._s.refunds.get(refund_id)

    async def find_by_provider_id(self, provider: str, provider_refund_id: str) -> Refund | None:
        for refund in sorted(self._s.refunds.values(), key=lambda r: r.id):
            payment = self._s.payments.get(refund.payment_id)
            if refund.provider_refund_id == provider_refund_id and payment and payment.provider == provider:
                return refund
        return None

    async def of_payment(self, payment_id: int) -> list[Refund]:
        return sorted((r for r in self._s.refunds.values() if r.payment_id == payment_id), key=lambda r: r.id)

    async def list_for_payment(self, payment_id: int, limit: int, offset: int) -> list[Refund]:
        return (await self.of_payment(payment_id))[offset : offset + limit]

    async def save(self, refund: Refund) -> None:
        stored = self._s.refunds.get(refund.id)
        if stored is not None:
            self._s.refunds[refund.id] = replace(
                stored,
                status=refund.status,
                provider_refund_id=refund.provider_refund_id,
                failure_reason=refund.failure_reason,
                updated_at=refund.updated_at,
            )
