"""Payments and their provider events over SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.entity_rows import EntityRows
from adapters.sql.repositories import insert_new, page_of, save_row
from adapters.sql.tables import payment_events, payments
from application.ports import NewPayment, PaymentEventRepository, PaymentFilter, PaymentRepository
from domain.payments import ACTIVE_STATUSES, Outcome, Payment, PaymentEvent

PAYMENTS = EntityRows(Payment, payments)


def payment_list(criteria: PaymentFilter, limit: int, offset: int) -> Select[Any]:
    """The back office's page of payments, newest first, with only the filters given, so that
    each combination is served by an index on (status | provider, created_at, id), the partial
    (created_at, id) WHERE refund_required, or (created_at, id)."""
    query = select(payments)
    if criteria.status is not None:
        query = query.where(payments.c.status == criteria.status.value)
    if criteria.provider is not None:
        query = query.where(payments.c.provider == criteria.provider)
    if criteria.refund_required is not None:
        # The bare column (not `= true`), so that it matches the partial index's predicate.
        wanted = payments.c.refund_required
        query = query.where(wanted if criteria.refund_required else ~wanted)
    return query.order_by(payments.c.created_at.desc(), payments.c.id.desc()).limit(limit).offset(offset)


# Alike by shape with SqlRefundRepository (see there).
class SqlPaymentRepository(PaymentRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewPayment, now: datetime) -> Payment:
        return await insert_new(self._conn, PAYMENTS, new.created(0, now))

    async def get(self, payment_id: int) -> Payment | None:
        row = (await self._conn.execute(select(payments).where(payments.c.id == payment_id))).first()
        return PAYMENTS.from_sql(row) if row else None

    async def find_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        query = select(payments).where(
            payments.c.provider == provider, payments.c.provider_payment_id == provider_payment_id
        )
        row = (await self._conn.execute(query)).first()
        return PAYMENTS.from_sql(row) if row else None

    async def lock(self, payment_id: int) -> Payment | None:
        query = select(payments).where(payments.c.id == payment_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return PAYMENTS.from_sql(row) if row else None

    async def save(self, payment: Payment) -> None:
        await save_row(self._conn, PAYMENTS, payment)

    async def active_for_order(self, order_id: int) -> Payment | None:
        query = select(payments).where(
            payments.c.order_id == order_id,
            payments.c.status.in_([status.value for status in ACTIVE_STATUSES]),
        )
        row = (await self._conn.execute(query)).first()
        return PAYMENTS.from_sql(row) if row else None

    async def list_for_order(self, order_id: int, limit: int, offset: int) -> list[Payment]:
        query = page_of(payments, "order_id", order_id, limit, offset)
        return [PAYMENTS.from_sql(row) for row in await self._conn.execute(query)]

    async def list_all(self, criteria: PaymentFilter, limit: int, offset: int) -> list[Payment]:
        return [
            PAYMENTS.from_sql(row) for row in await self._conn.execute(payment_list(criteria, limit, offset))
        ]


class SqlPaymentEventRepository(PaymentEventRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self, provider: str, event: PaymentEvent, payment_id: int, outcome: Outcome, now: datetime
    ) -> bool:
        values = {
            "provider": provider,
            "event_id": event.event_id,
            "payment_id": payment_id,
            "status": event.status.value,
            "amount_minor": event.amount.minor,
            "currency": event.amount.currency,
            "fail_reason": event.fail_reason,
            "outcome": outcome.value,
            "received_at": now,
        }
        dialect = self._conn.dialect.name
        insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert_of(payment_events)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(payment_events.c.id)
        )
        # A concurrent delivery of the same event waits here for the first one's
        # transaction, then inserts nothing.
        inserted = (await self._conn.execute(statement)).first()
        return inserted is not None
