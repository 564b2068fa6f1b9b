from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import Database
from adapters.sql.hot_path import HotRepositories
from adapters.sql.idempotency import SqlIdempotencyRecords
from adapters.sql.jobs import SqlJobRepository
from adapters.sql.order_events import SqlOrderEventRepository
from adapters.sql.orders import SqlOrderRepository, SqlStockRepository
from adapters.sql.payments import SqlPaymentEventRepository, SqlPaymentRepository
from adapters.sql.refunds import SqlRefundRepository
from adapters.sql.repositories import SqlCategoryRepository, SqlProductRepository, SqlUserRepository
from application.ports import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """One transaction on one connection; rolled back on exit unless committed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tx: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        self._tx = self._db.transaction()
        conn = self._conn = await self._tx.__aenter__()
        self.users = SqlUserRepository(conn)
        self.categories = SqlCategoryRepository(conn)
        self.products = SqlProductRepository(conn)
        if self._db.is_sqlite:
            self.orders = SqlOrderRepository(conn)
            self.stock = SqlStockRepository(conn)
            self.order_events = SqlOrderEventRepository(conn)
            self.payments = SqlPaymentRepository(conn)
            self.payment_events = SqlPaymentEventRepository(conn)
        else:  # the hot write paths' prepared statements (adapters/sql/hot_path.py)
            hot = HotRepositories(conn)
            self.orders, self.stock, self.order_events = hot.orders, hot.stock, hot.order_events
            self.payments, self.payment_events = hot.payments, hot.payment_events
        self.idempotency = SqlIdempotencyRecords(conn)
        self.refunds = SqlRefundRepository(conn)
        self.jobs = SqlJobRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tx is not None and self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            tx, self._tx, self._conn = self._tx, None, None
            await tx.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        assert self._conn is not None
        await self._conn.commit()
