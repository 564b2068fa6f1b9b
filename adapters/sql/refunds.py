"""Refunds over SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.entity_rows import EntityRows
from adapters.sql.repositories import insert_new, page_of, save_row
from adapters.sql.tables import payments, refunds
from application.ports import NewRefund, RefundRepository
from domain.refunds import Refund

REFUNDS = EntityRows(Refund, refunds)


# Alike by shape with SqlPaymentRepository: each is its port's few queries over its
# `EntityRows`; the storing and saving are shared (`insert_new`, `save_row`).
class SqlRefundRepository(RefundRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewRefund, now: datetime) -> Refund:
        return await insert_new(self._conn, REFUNDS, new.created(0, now))

    async def get(self, refund_id: int) -> Refund | None:
        row = (await self._conn.execute(select(refunds).where(refunds.c.id == refund_id))).first()
        return REFUNDS.from_sql(row) if row else None

    async def lock(self, refund_id: int) -> Refund | None:
        query = select(refunds).where(refunds.c.id == refund_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return REFUNDS.from_sql(row) if row else None

    async def find_by_provider_id(self, provider: str, provider_refund_id: str) -> Refund | None:
        query = (
            select(refunds)
            .join(payments, payments.c.id == refunds.c.payment_id)
            .where(refunds.c.provider_refund_id == provider_refund_id, payments.c.provider == provider)
            .order_by(refunds.c.id)
        )
        row = (await self._conn.execute(query)).first()
        return REFUNDS.from_sql(row) if row else None

    async def of_payment(self, payment_id: int) -> list[Refund]:
        query = select(refunds).where(refunds.c.payment_id == payment_id).order_by(refunds.c.id)
        return [REFUNDS.from_sql(row) for row in await self._conn.execute(query)]

    async def list_for_payment(self, payment_id: int, limit: int, offset: int) -> list[Refund]:
        query = page_of(refunds, "payment_id", payment_id, limit, offset)
        return [REFUNDS.from_sql(row) for row in await self._conn.execute(query)]

    async def save(self, refund: Refund) -> None:
        await save_row(self._conn, REFUNDS, refund)
