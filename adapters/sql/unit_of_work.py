from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import Database
from adapters.sql.hot_path import HotRepositories, end_transaction
from adapters.sql.idempotency import SqlIdempotencyRecords
from adapters.sql.jobs import SqlJobRepository
from adapters.sql.order_events import SqlOrderEventRepository
from adapters.sql.orders import SqlOrderRepository, SqlStockRepository
from adapters.sql.payments import SqlPaymentEventRepository, SqlPaymentRepository
from adapters.sql.refunds import SqlRefundRepository
from adapters.sql.repositories import SqlCategoryRepository, SqlProductRepository, SqlUserRepository
from application.ports import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """One transaction on one connection; rolled back on exit unless committed.

    On SQLite the transaction begins at once (`BEGIN IMMEDIATE`, `Database.transaction`); on
    PostgreSQL the connection is checked out and the transaction begins with the first statement
    that needs one (adapters/sql/hot_path.py, `end_transaction`); an order being placed is
    written behind and sent by `commit` (`_Placement`): alone, with no transaction around it,
    when nothing else was written.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tx: AbstractAsyncContextManager[AsyncConnection] | None = None
        self._conn: AsyncConnection | None = None
        self._hot: HotRepositories | None = None

    async def __aenter__(self) -> Self:
        if self._db.is_sqlite:
            self._tx = self._db.transaction()
            conn = self._conn = await self._tx.__aenter__()
        else:
            conn = self._conn = await self._db.engine.connect().start()
        self.users = SqlUserRepository(conn)
        self.categories = SqlCategoryRepository(conn)
        self.products = SqlProductRepository(conn)
        if self._db.is_sqlite:
            self.orders = SqlOrderRepository(conn)
            self.stock = SqlStockRepository(conn)
            self.order_events = SqlOrderEventRepository(conn)
            self.payments = SqlPaymentRepository(conn)
            self.payment_events = SqlPaymentEventRepository(conn)
            self.refunds = SqlRefundRepository(conn)
            self.jobs = SqlJobRepository(conn)
        else:  # the hot write paths' prepared statements (adapters/sql/hot_path.py)
            hot = self._hot = HotRepositories(conn)
            # Their statements come after what the hot repositories wrote behind, as made.
            self.users = hot.sending_first(self.users)
            self.categories = hot.sending_first(self.categories)
            self.products = hot.sending_first(self.products)
            self.orders, self.stock, self.order_events = hot.orders, hot.stock, hot.order_events
            self.payments, self.payment_events = hot.payments, hot.payment_events
            self.refunds, self.jobs = hot.refunds, hot.jobs
        self.idempotency = SqlIdempotencyRecords(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        if self._tx is None:  # PostgreSQL
            conn, self._conn, self._hot = self._conn, None, None
            try:
                await end_transaction(conn, commit=False)
            finally:
                await asyncio.shield(conn.close())
            return
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            tx, self._tx, self._conn = self._tx, None, None
            await tx.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        assert self._conn is not None
        if self._tx is None:
            assert self._hot is not None
            await self._hot.flush()  # what is written behind (an order being placed), then COMMIT
            await end_transaction(self._conn, commit=True)
        else:
            await self._conn.commit()
