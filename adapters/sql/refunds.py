"""Refunds over SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.repositories import execute_write
from adapters.sql.tables import payments, refunds
from application.ports import NewRefund, RefundRepository
from domain.money import Money
from domain.refunds import Refund, RefundStatus


def _refund(row: Row[Any]) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        order_id=row.order_id,
        amount=Money(row.amount_minor, row.currency),
        status=RefundStatus(row.status),
        reason=row.reason,
        provider_refund_id=row.provider_refund_id,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlRefundRepository(RefundRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewRefund, now: datetime) -> Refund:
        values = {
            "payment_id": new.payment_id,
            "order_id": new.order_id,
            "amount_minor": new.amount.minor,
            "currency": new.amount.currency,
            "status": RefundStatus.PENDING.value,
            "reason": new.reason,
            "provider_refund_id": None,
            "failure_reason": None,
            "created_at": now,
            "updated_at": now,
        }
        result = await execute_write(self._conn, insert(refunds).values(**values).returning(refunds.c.id))
        return Refund(
            id=int(result.scalar_one()),
            payment_id=new.payment_id,
            order_id=new.order_id,
            amount=new.amount,
            status=RefundStatus.PENDING,
            reason=new.reason,
            provider_refund_id=None,
            failure_reason=None,
            created_at=now,
            updated_at=now,
        )

    async def get(self, refund_id: int) -> Refund | None:
        row = (await self._conn.execute(select(refunds).where(refunds.c.id == refund_id))).first()
        return _refund(row) if row else None

    async def lock(self, refund_id: int) -> Refund | None:
        query = select(refunds).where(refunds.c.id == refund_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return _refund(row) if row else None

    async def find_by_provider_id(self, provider: str, provider_refund_id: str) -> Refund | None:
        query = (
            select(refunds)
            .join(payments, payments.c.id == refunds.c.payment_id)
            .where(refunds.c.provider_refund_id == provider_refund_id, payments.c.provider == provider)
            .order_by(refunds.c.id)
        )
        row = (await self._conn.execute(query)).first()
        return _refund(row) if row else None

    async def of_payment(self, payment_id: int) -> list[Refund]:
        query = select(refunds).where(refunds.c.payment_id == payment_id).order_by(refunds.c.id)
        return [_refund(row) for row in await self._conn.execute(query)]

    async def list_for_payment(self, payment_id: int, limit: int, offset: int) -> list[Refund]:
        query = (
            select(refunds)
            .where(refunds.c.payment_id == payment_id)
            .order_by(refunds.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_refund(row) for row in await self._conn.execute(query)]

    async def save(self, refund: Refund) -> None:
        await execute_write(
            self._conn,
            update(refunds)
            .where(refunds.c.id == refund.id)
            .values(
                status=refund.status.value,
                provider_refund_id=refund.provider_refund_id,
                failure_reason=refund.failure_reason,
                updated_at=refund.updated_at,
            ),
        )
