"""The fake unit of work: one at a time, and without `commit()` it leaves no trace."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from application.ports import UnitOfWork
from tests.fakes.accounts import MemoryUserRepository
from tests.fakes.catalog import MemoryCategoryRepository, MemoryProductRepository
from tests.fakes.idempotency import MemoryIdempotencyRecords
from tests.fakes.jobs import MemoryJobRepository
from tests.fakes.order_events import MemoryOrderEventRepository
from tests.fakes.orders import MemoryOrderRepository, MemoryStockRepository
from tests.fakes.payments import MemoryPaymentEventRepository, MemoryPaymentRepository
from tests.fakes.refunds import MemoryRefundRepository
from tests.fakes.state import MemoryDatabase, MemoryState


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._snapshot: MemoryState | None = None

    async def __aenter__(self) -> Self:
        await self._db.lock.acquire()
        state = self._db.state
        self._snapshot = state.snapshot()
        self.users = MemoryUserRepository(state)
        self.categories = MemoryCategoryRepository(state)
        self.products = MemoryProductRepository(state)
        self.orders = MemoryOrderRepository(state)
        self.stock = MemoryStockRepository(state)
        self.order_events = MemoryOrderEventRepository(state)
        self.payments = MemoryPaymentRepository(state)
        self.payment_events = MemoryPaymentEventRepository(state)
        self.idempotency = MemoryIdempotencyRecords(state)
        self.refunds = MemoryRefundRepository(state)
        self.jobs = MemoryJobRepository(state)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._snapshot is not None:
                self._db.state.restore(self._snapshot)
        finally:
            self._snapshot = None
            self._db.lock.release()

    async def commit(self) -> None:
        self._snapshot = self._db.state.snapshot()
