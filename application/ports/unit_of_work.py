"""One database transaction, and the repositories that write inside it."""

from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Protocol, Self

from application.ports.catalog import CategoryRepository, ProductRepository
from application.ports.idempotency import IdempotencyRecords
from application.ports.jobs import JobRepository
from application.ports.order_events import OrderEventRepository
from application.ports.orders import OrderRepository, StockRepository
from application.ports.payments import PaymentEventRepository, PaymentRepository
from application.ports.refunds import RefundRepository
from application.ports.users import UserRepository


class UnitOfWork(Protocol):
    """One database transaction. Leaving without `commit()` rolls everything back."""

    users: UserRepository
    categories: CategoryRepository
    products: ProductRepository
    orders: OrderRepository
    stock: StockRepository
    order_events: OrderEventRepository
    payments: PaymentRepository
    payment_events: PaymentEventRepository
    idempotency: IdempotencyRecords
    refunds: RefundRepository
    jobs: JobRepository

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...
