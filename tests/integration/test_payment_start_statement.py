"""Starting a payment on PostgreSQL. In one statement (`PgPaymentRepository.start_for_order`,
adapters/sql/hot_path.py): sent alone, with no transaction around it, unless an idempotency key
is held; it inserts the payment and its timeline event only for the payer's payable order with no
active payment, and answers the order as it found it otherwise, having written nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Self

import pytest

from adapters.clock import SystemUtcClock
from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from adapters.sql.database import Database, create_engine
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.place_order import PlaceOrder
from application.payments.start_payment import StartPayment
from application.ports import (
    IdempotencyScope,
    Lease,
    NewCategory,
    NewPayment,
    NewProduct,
    OrderToPay,
    holding,
)
from domain.errors import InvalidTransition
from domain.money import Money
from domain.order_events import EventActor, OrderEventType
from domain.orders import ItemRequest, Order, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.users import Actor, Role
from tests.fakes import INSTALLATION
from tests.integration.test_hot_path import _listening

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


async def _order(db: Database) -> tuple[Actor, Actor, Order]:
    """Ann's pending order (2 × 1.00 RUB), and Bob."""
    async with SqlUnitOfWork(db) as uow:
        ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        bob = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        product = await uow.products.add(NewProduct("Green", "", 100, "RUB", category.id, None), NOW)
        await uow.commit()
    actor = Actor(ann.id, Role.CUSTOMER)
    order = await PlaceOrder(SqlUnitOfWork(db), SystemUtcClock(), "RUB")(actor, [ItemRequest(product.id, 2)])
    return actor, Actor(bob.id, Role.CUSTOMER), order


async def _stored(db: Database, order_id: int) -> tuple[list[PaymentStatus], list[OrderEventType]]:
    async with SqlUnitOfWork(db) as uow:
        payments = await uow.payments.list_for_order(order_id, 10, 0)
        events = await uow.order_events.list_for_order(order_id, 10, 0)
    return [p.status for p in payments], [e.type for e in events]


@pytest.mark.postgres
async def test_the_payers_pending_order_is_started_in_one_statement_with_its_event(
    postgres_database: str,
) -> None:
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        ann, _, order = await _order(db)
        statements: list[str] = []
        stop = _listening(db, statements)
        async with SqlUnitOfWork(db) as uow:
            start = await uow.payments.start_for_order(
                order.id, ann.user_id, "stripe", NOW, EventActor.CUSTOMER
            )
            await uow.commit()
        stop()
        assert len(statements) == 1, statements  # no BEGIN, no COMMIT
        assert start is not None and start.payment is not None
        assert start.order == OrderToPay(order.id, ann.user_id, OrderStatus.PENDING, Money(200, "RUB"))
        payment = start.payment
        assert (payment.order_id, payment.user_id, payment.amount, payment.provider, payment.status) == (
            order.id,
            ann.user_id,
            Money(200, "RUB"),
            "stripe",
            PaymentStatus.CREATED,
        )
        async with SqlUnitOfWork(db) as uow:
            assert await uow.payments.get(payment.id) == payment
            events = await uow.order_events.list_for_order(order.id, 10, 0)
        started = events[-1]
        assert (started.type, started.actor, started.detail, started.created_at) == (
            OrderEventType.PAYMENT_STARTED,
            EventActor.CUSTOMER,
            "via stripe",
            NOW,
        )
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_refused_start_writes_nothing_and_answers_the_order_as_found(postgres_database: str) -> None:
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        ann, bob, order = await _order(db)
        before = await _stored(db, order.id)
        async with SqlUnitOfWork(db) as uow:
            # Another customer's order, and an order that does not exist.
            theirs = await uow.payments.start_for_order(
                order.id, bob.user_id, "mock", NOW, EventActor.CUSTOMER
            )
            missing = await uow.payments.start_for_order(
                order.id + 1000, ann.user_id, "mock", NOW, EventActor.CUSTOMER
            )
        assert theirs is not None and theirs.payment is None and theirs.order is not None
        assert theirs.order.user_id == ann.user_id
        assert missing is not None and missing.order is None and missing.payment is None
        assert await _stored(db, order.id) == before
        # An active payment already: the second start inserts nothing.
        async with SqlUnitOfWork(db) as uow:
            first = await uow.payments.start_for_order(
                order.id, ann.user_id, "mock", NOW, EventActor.CUSTOMER
            )
            second = await uow.payments.start_for_order(
                order.id, ann.user_id, "stripe", NOW, EventActor.CUSTOMER
            )
            await uow.commit()
        assert first is not None and first.payment is not None
        assert second is not None and second.payment is None
        assert await _stored(db, order.id) == (
            [PaymentStatus.CREATED],
            [*before[1], OrderEventType.PAYMENT_STARTED],
        )
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("status", list(OrderStatus))
async def test_only_the_statuses_the_domain_calls_payable_are_started(
    postgres_database: str, status: OrderStatus
) -> None:
    """The statement's status condition and `OrderToPay.is_payable` say the same, status by status."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        ann, _, order = await _order(db)
        async with SqlUnitOfWork(db) as uow:
            await uow.orders.save_status(replace(order, status=status), OrderStatus.PENDING)
            await uow.commit()
        async with SqlUnitOfWork(db) as uow:
            start = await uow.payments.start_for_order(
                order.id, ann.user_id, "mock", NOW, EventActor.CUSTOMER
            )
            await uow.commit()
        assert start is not None and start.order is not None
        assert start.order.status is status
        assert (start.payment is not None) is start.order.is_payable
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_under_a_held_idempotency_key_the_start_waits_for_the_units_commit(
    postgres_database: str,
) -> None:
    """The key's row is written in the same transaction (`record_created`): so the statement is
    sent inside one, and a unit of work that ends without committing leaves nothing."""
    db = Database(create_engine(postgres_database, pool_size=2))
    try:
        ann, _, order = await _order(db)
        before = await _stored(db, order.id)
        statements: list[str] = []
        stop = _listening(db, statements)
        lease = Lease(IdempotencyScope(ann.user_id, "/api/v1/payments/orders/1", "key"), "token")
        with holding(lease):
            async with SqlUnitOfWork(db) as uow:
                start = await uow.payments.start_for_order(
                    order.id, ann.user_id, "mock", NOW, EventActor.CUSTOMER
                )
                assert start is not None and start.payment is not None
                # No commit: the unit of work rolls back.
        stop()
        assert statements[0].startswith("begin") and statements[1].startswith("with o as ("), statements
        assert await _stored(db, order.id) == before
    finally:
        await db.dispose()


class _OpenedWhileRead(SqlUnitOfWork):
    """A unit of work in which the order's active payment is opened, by another connection (a
    concurrent start saving what its provider opened), right after this one read it."""

    async def __aenter__(self) -> Self:
        uow = await super().__aenter__()
        read = uow.payments.active_for_order
        db = self._db

        async def active_for_order(order_id: int) -> Payment | None:
            found = await read(order_id)
            if found is not None and found.is_unopened:
                async with SqlUnitOfWork(db) as other:
                    opened = found.opened("cs_opened", "https://pay.example/cs_opened", NOW)
                    assert await other.payments.save_opened(opened) is not None
                    await other.commit()
            return found

        uow.payments.active_for_order = active_for_order  # type: ignore[method-assign]
        return uow


@pytest.mark.postgres
async def test_a_payment_opened_while_another_provider_replaces_it_is_kept_and_the_start_refused(
    postgres_database: str,
) -> None:
    """The race a review found: a start for another provider read the unopened payment, a
    concurrent start then opened it (and showed its checkout page), and the replacement wrote its
    stale copy back as `canceled`, wiping the provider's id: a paid checkout found no payment.
    Read again under the payment's lock, the opened payment stands and the replacement is refused."""
    db = Database(create_engine(postgres_database, pool_size=3))
    try:
        ann, _, order = await _order(db)
        async with SqlUnitOfWork(db) as uow:
            unopened = await uow.payments.add(NewPayment(order.id, ann.user_id, order.total, "stripe"), NOW)
            await uow.commit()
        clock = SystemUtcClock()
        start = StartPayment(
            _OpenedWhileRead(db),
            Gateways([MockGateway("whsec", "https://shop.example", clock)]),
            clock,
            INSTALLATION,
        )
        with pytest.raises(InvalidTransition, match="already has an active payment"):
            await start(ann, order.id, "mock")
        async with SqlUnitOfWork(db) as uow:
            payments = await uow.payments.list_for_order(order.id, 10, 0)
        assert [(p.id, p.status, p.provider_payment_id) for p in payments] == [
            (unopened.id, PaymentStatus.CREATED, "cs_opened")
        ]
    finally:
        await db.dispose()
