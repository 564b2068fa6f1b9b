"""The write path's speed tricks on PostgreSQL, all in this one module.

Placing an order is the store's hottest write. Through SQLAlchemy Core each of its statements is
built, compiled (or looked up in the compiled cache) and its result wrapped, on every call; a
profile of one order put about a third of the app's CPU there and another quarter in asyncpg's
protocol for ten round trips. The repositories below keep the ports (and the generic
`Sql*Repository` classes keep serving SQLite and every other use) but send the hot statements
as constant SQL text straight to the asyncpg connection underneath the unit of work's
SQLAlchemy connection, inside the same transaction:

- asyncpg prepares each text once per connection and keeps it in its statement cache, so a
  statement is parsed and planned once per pooled connection, not once per order, and no
  Python-side compilation happens at all;
- arrays (`= ANY($1::bigint[])`, `unnest`) keep one statement whatever the number of lines (an
  `IN ($1, $2, …)` list is a new statement per length);
- whole rows (`SELECT *`) are read by the generic repositories' own row mappings (the entity's
  `EntityRows`), and the column lists written out here are
  the same mappings' (`columns`, `written`), made once at import: a column added later is read
  and written the same way on both paths, and the text is still constant at runtime;
- stock is checked, locked and taken for every line in one statement instead of one `UPDATE`
  per line, and the order and its lines are inserted in one statement.

Each trick's measurement is in `docs/performance.md`, "Write path".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.errors import domain_error_for
from adapters.sql.jobs import SqlJobRepository
from adapters.sql.order_events import SqlOrderEventRepository
from adapters.sql.orders import ORDER_LINES, ORDERS, SqlOrderRepository, SqlStockRepository
from adapters.sql.payments import PAYMENTS, SqlPaymentEventRepository, SqlPaymentRepository
from adapters.sql.refunds import REFUNDS, SqlRefundRepository
from adapters.sql.repositories import PRODUCTS
from adapters.sql.tables import order_lines
from application.ports import NewJob, NewPayment, NewRefund, OrderableProduct, OrderToPay
from domain.jobs import Job, JobStatus
from domain.money import Money
from domain.order_events import OrderEvent
from domain.orders import Order, OrderStatus
from domain.payments import Outcome, Payment, PaymentEvent, PaymentStatus
from domain.refunds import Refund, RefundStatus


def adapted_connection(conn: AsyncConnection) -> Any:
    """SQLAlchemy's asyncpg adapter under the checked-out `conn`, without a greenlet hop.

    `AsyncConnection.get_raw_connection()` runs the same attribute lookup through
    `greenlet_spawn`; on a connection already checked out the lookup does no I/O.
    """
    sync = conn.sync_connection
    assert sync is not None  # checked out: the unit of work holds it
    return sync.connection.dbapi_connection


async def driver_connection(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn`, its transaction begun.

    SQLAlchemy's asyncpg adapter sends `BEGIN` lazily, before the first statement it runs
    itself; a statement sent to the driver directly must start it the same way, or it would run
    outside the unit of work's transaction. The unit of work then commits or rolls back through
    `end_transaction`.
    """
    adapted = adapted_connection(conn)
    if adapted._transaction is None:
        await adapted._start_transaction()
    return adapted._connection


async def end_transaction(conn: AsyncConnection, *, commit: bool) -> None:
    """Commit or roll back the unit of work's transaction on PostgreSQL.

    The unit of work on PostgreSQL opens no SQLAlchemy transaction of its own (`begin()` is a
    greenlet hop that sends nothing: the adapter begins lazily anyway). When SQLAlchemy ran a
    statement, it autobegan, and its own commit or rollback ends everything; when only the
    prepared statements above ran, the adapter's asyncpg transaction is ended directly, which
    skips a greenlet hop and SQLAlchemy's transaction bookkeeping. Measured with the unit of work's
    other hops (docs/performance.md, "Write path", "This round").
    """
    if conn.in_transaction():
        await (conn.commit() if commit else conn.rollback())
        return
    adapted = adapted_connection(conn)
    transaction = adapted._transaction
    if transaction is not None:
        await adapted._call_and_discard(transaction.commit if commit else transaction.rollback)


def _one_line(sql: str) -> str:
    """The statement on one line (as PostgreSQL's log and the bench's floors show it)."""
    return " ".join(sql.split())


class _Driver:
    """Lazily fetched asyncpg connection of one unit of work."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._driver: Any = None

    async def get(self) -> Any:
        if self._driver is None:
            self._driver = await driver_connection(self._conn)
        return self._driver

    async def as_is(self) -> Any:
        """The asyncpg connection without beginning a transaction: a statement sent before the
        unit of work began one runs on its own (autocommit), inside the transaction otherwise."""
        if self._driver is not None:
            return self._driver
        return adapted_connection(self._conn)._connection


# The columns below are the entities' own (`EntityRows`), listed once at import: the text is
# constant at runtime, as asyncpg's statement cache needs.
_ORDERABLE = _one_line(f"""
SELECT {", ".join(f"p.{column}" for column in PRODUCTS.columns)}, c.is_active
FROM products p JOIN categories c ON c.id = p.category_id
WHERE p.id = ANY($1::bigint[])
""")  # noqa: S608 - column names of the table only

# Every tracked line locked in product-id order (ORDER BY is applied before FOR NO KEY UPDATE,
# so two orders over the same products queue instead of deadlocking), checked against its
# quantity on the locked (newest) row, and taken only when none is short: all or nothing, which
# the port allows (the caller rolls back on a shortage). One row per tracked line: its id, the
# units it had, and whether it was short.
_RESERVE = _one_line("""
WITH wanted AS (
    SELECT w.id, w.quantity FROM unnest($1::bigint[], $2::int[]) AS w(id, quantity)
), locked AS (
    SELECT p.id, p.stock FROM products p
    WHERE p.id = ANY($1::bigint[]) AND p.stock IS NOT NULL
    ORDER BY p.id
    FOR NO KEY UPDATE
), checked AS (
    SELECT l.id, l.stock, l.stock < w.quantity AS short FROM locked l JOIN wanted w ON w.id = l.id
), taken AS (
    UPDATE products p SET stock = p.stock - w.quantity
    FROM wanted w
    WHERE p.id = w.id
      AND p.id IN (SELECT id FROM locked)
      AND NOT EXISTS (SELECT 1 FROM checked WHERE short)
    RETURNING p.id
)
SELECT id, stock, short FROM checked
""")

# The order and its lines in one statement; the line ids come back ascending, which is the
# lines' order (one sequence, rows inserted in ordinality order).
_PG_ARRAY = ((BigInteger, "bigint"), (Integer, "int"), (String, "text"), (Boolean, "boolean"))
"""The array type of a column's values, for `unnest` (BigInteger before Integer: a subclass)."""


def _array_of(column: str) -> str:
    kind = order_lines.c[column].type
    return next(name for sql_type, name in _PG_ARRAY if isinstance(kind, sql_type))


_LINE_COLUMNS = [column for column in ORDER_LINES.written if column != "order_id"]
_LINE_AT = [ORDER_LINES.written.index(column) for column in _LINE_COLUMNS]
_ORDER_VALUES = ", ".join(f"${n}" for n in range(1, len(ORDERS.written) + 1))
_LINE_ARRAYS = ", ".join(
    f"${len(ORDERS.written) + n}::{_array_of(column)}[]" for n, column in enumerate(_LINE_COLUMNS, 1)
)
_LINES_AS = ", ".join(_LINE_COLUMNS)
_ADD_ORDER = _one_line(f"""
WITH o AS (
    INSERT INTO orders ({", ".join(ORDERS.written)})
    VALUES ({_ORDER_VALUES})
    RETURNING id
), l AS (
    INSERT INTO order_lines (order_id, {_LINES_AS})
    SELECT o.id, {", ".join(f"w.{column}" for column in _LINE_COLUMNS)}
    FROM o, unnest({_LINE_ARRAYS})
        WITH ORDINALITY AS w({_LINES_AS}, n)
    ORDER BY w.n
    RETURNING id
)
SELECT (SELECT id FROM o) AS id, ARRAY(SELECT id FROM l ORDER BY id) AS line_ids
""")  # noqa: S608 - column names of the tables only

_LOCK_USER = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE"
_PENDING = "SELECT count(*) FROM (SELECT 1 FROM orders WHERE user_id = $1 AND status = $2 LIMIT $3) AS p"

_APPEND_EVENT = _one_line("""
INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
""")


_ORDER = "SELECT * FROM orders WHERE id = $1"
_ORDER_FOR_UPDATE = "SELECT * FROM orders WHERE id = $1 FOR UPDATE"
_LINES = "SELECT * FROM order_lines WHERE order_id = $1 ORDER BY id"
_SAVE_STATUS = "UPDATE orders SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4"

# Starting a payment: the order without its lines (its stored total), the payment inserted
# unless the order has an active one (the partial unique index `uq_payments_order_id` decides,
# its predicate repeated so that PostgreSQL infers it), and the opened payment saved in one
# conditional statement.
_ORDER_TO_PAY = "SELECT id, user_id, status, total_minor, currency FROM orders WHERE id = $1 FOR UPDATE"
_ADD_PAYMENT_UNLESS_ACTIVE = _one_line("""
INSERT INTO payments (order_id, user_id, amount_minor, currency, provider, status, refund_required,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, false, $7, $7)
ON CONFLICT (order_id) WHERE status IN ('created', 'pending') DO NOTHING
RETURNING id
""")
_ACTIVE_PAYMENT = "SELECT * FROM payments WHERE order_id = $1 AND status IN ('created', 'pending')"
_SAVE_OPENED = _one_line("""
UPDATE payments SET provider_payment_id = $2, checkout_url = $3, updated_at = $4
WHERE id = $1 AND status = $5 AND provider_payment_id IS NULL
RETURNING *
""")

_PAYMENT = "SELECT * FROM payments WHERE id = $1"
_PAYMENT_BY_PROVIDER_ID = "SELECT * FROM payments WHERE provider = $1 AND provider_payment_id = $2"
_PAYMENT_FOR_UPDATE = "SELECT * FROM payments WHERE id = $1 FOR UPDATE"
_SAVE_PAYMENT = _one_line("""
UPDATE payments SET provider_payment_id = $2, checkout_url = $3, status = $4, fail_reason = $5,
    refund_required = $6, capture_reference = $7, updated_at = $8, refunded_minor = $9
WHERE id = $1
""")
# A concurrent delivery of the same event waits here for the first one's transaction, then
# inserts nothing.
_RECORD_PAYMENT_EVENT = _one_line("""
INSERT INTO payment_events (provider, event_id, payment_id, status, amount_minor, currency,
    fail_reason, outcome, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (provider, event_id) DO NOTHING
RETURNING id
""")


_REFUNDS_OF_PAYMENT = "SELECT * FROM refunds WHERE payment_id = $1 ORDER BY id"
_ADD_REFUND = _one_line("""
INSERT INTO refunds (payment_id, order_id, amount_minor, currency, status, reason, provider_refund_id,
    failure_reason, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $7)
RETURNING id
""")
_ADD_JOB = _one_line("""
INSERT INTO jobs (kind, payload, key, status, attempts, run_after, last_error, locked_until, locked_by,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, 0, $5, NULL, NULL, NULL, $5, $5)
RETURNING id
""")


async def _write(driver: Any, query: str, *args: Any) -> Any:
    """`fetchrow`; a named constraint violation becomes its domain error (as `execute_write`)."""
    try:
        return await driver.fetchrow(query, *args)
    except asyncpg.exceptions.IntegrityConstraintViolationError as error:
        domain_error = domain_error_for(getattr(error, "constraint_name", None))
        if domain_error is None:
            raise
        raise domain_error from None


class PgStockRepository(SqlStockRepository):
    """`orderable` and `reserve` as one prepared statement each."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        if not product_ids:
            return {}
        driver = await self._driver.get()
        found = {}
        for r in await driver.fetch(_ORDERABLE, list(product_ids)):
            found[r[0]] = OrderableProduct(PRODUCTS.from_values(r), bool(r[-1]))
        return found

    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        if not quantities:
            return {}
        driver = await self._driver.get()
        ids = sorted(quantities)
        rows = await driver.fetch(_RESERVE, ids, [quantities[i] for i in ids])
        return {int(r[0]): int(r[1]) for r in rows if r[2]}


class PgOrderRepository(SqlOrderRepository):
    """`add` (the order and its lines) and the pending count as prepared statements."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def add(self, order: Order) -> Order:
        driver = await self._driver.get()
        lines = order.lines
        by_column = list(zip(*[ORDER_LINES.row(line, None) for line in lines], strict=True))
        row = await _write(driver, _ADD_ORDER, *ORDERS.row(order), *(list(by_column[at]) for at in _LINE_AT))
        stored = tuple(replace(line, id=int(line_id)) for line, line_id in zip(lines, row[1], strict=True))
        return replace(order, id=int(row[0]), lines=stored)

    async def pending_of_placing_user(self, user_id: int, up_to: int) -> int:
        # Two statements on purpose: the count must see the orders of a placement this one
        # waited for on the user's row, which needs a snapshot taken after the lock.
        driver = await self._driver.get()
        await driver.fetchrow(_LOCK_USER, user_id)
        return int(await driver.fetchval(_PENDING, user_id, OrderStatus.PENDING.value, up_to))

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_ORDER_FOR_UPDATE if for_update else _ORDER, order_id)
        if row is None:
            return None
        currency = row["currency"]
        lines = tuple(
            ORDER_LINES.from_row(line, currency=currency) for line in await driver.fetch(_LINES, order_id)
        )
        return ORDERS.from_row(row, lines=lines)

    async def lock_to_pay(self, order_id: int) -> OrderToPay | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_ORDER_TO_PAY, order_id)
        if row is None:
            return None
        return OrderToPay(row[0], row[1], OrderStatus(row[2]), Money(row[3], row[4]))

    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        driver = await self._driver.get()
        done = await driver.execute(
            _SAVE_STATUS, order.id, order.status.value, order.updated_at, expected.value
        )
        return bool(done == "UPDATE 1")


class PgPaymentRepository(SqlPaymentRepository):
    """What settling a webhook and starting a payment read and write, as prepared statements."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def add_unless_active(self, new: NewPayment, now: datetime) -> Payment | None:
        driver = await self._driver.get()
        row = await _write(
            driver,
            _ADD_PAYMENT_UNLESS_ACTIVE,
            new.order_id,
            new.user_id,
            new.amount.minor,
            new.amount.currency,
            new.provider,
            PaymentStatus.CREATED.value,
            now,
        )
        if row is None:
            return None
        return new.created(int(row[0]), now)

    async def active_for_order(self, order_id: int) -> Payment | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_ACTIVE_PAYMENT, order_id)
        return None if row is None else PAYMENTS.from_row(row)

    async def save_opened(self, opened: Payment) -> Payment | None:
        # As the unit of work's first statement: on its own, no BEGIN/COMMIT round trips.
        driver = await self._driver.as_is()
        row = await _write(
            driver,
            _SAVE_OPENED,
            opened.id,
            opened.provider_payment_id,
            opened.checkout_url,
            opened.updated_at,
            PaymentStatus.CREATED.value,
        )
        return None if row is None else PAYMENTS.from_row(row)

    async def get(self, payment_id: int) -> Payment | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_PAYMENT, payment_id)
        return None if row is None else PAYMENTS.from_row(row)

    async def find_by_provider_id(self, provider: str, provider_payment_id: str) -> Payment | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_PAYMENT_BY_PROVIDER_ID, provider, provider_payment_id)
        return None if row is None else PAYMENTS.from_row(row)

    async def lock(self, payment_id: int) -> Payment | None:
        driver = await self._driver.get()
        row = await driver.fetchrow(_PAYMENT_FOR_UPDATE, payment_id)
        return None if row is None else PAYMENTS.from_row(row)

    async def save(self, payment: Payment) -> None:
        driver = await self._driver.get()
        await _write(
            driver,
            _SAVE_PAYMENT,
            payment.id,
            payment.provider_payment_id,
            payment.checkout_url,
            payment.status.value,
            payment.fail_reason,
            payment.refund_required,
            payment.capture_reference,
            payment.updated_at,
            payment.refunded_minor,
        )


class PgPaymentEventRepository(SqlPaymentEventRepository):
    """`record` as one prepared statement."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def record(
        self, provider: str, event: PaymentEvent, payment_id: int, outcome: Outcome, now: datetime
    ) -> bool:
        driver = await self._driver.get()
        inserted = await _write(
            driver,
            _RECORD_PAYMENT_EVENT,
            provider,
            event.event_id,
            payment_id,
            event.status.value,
            event.amount.minor,
            event.amount.currency,
            event.fail_reason,
            outcome.value,
            now,
        )
        return inserted is not None


class PgOrderEventRepository(SqlOrderEventRepository):
    """`append` as one prepared statement."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def append(self, event: OrderEvent) -> None:
        driver = await self._driver.get()
        await _write(
            driver,
            _APPEND_EVENT,
            event.order_id,
            event.type.value,
            None if event.from_status is None else event.from_status.value,
            None if event.to_status is None else event.to_status.value,
            event.actor.value,
            event.detail,
            event.created_at,
        )


class PgRefundRepository(SqlRefundRepository):
    """What requesting a refund reads and writes (the payment's refunds, the new one)."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def of_payment(self, payment_id: int) -> list[Refund]:
        driver = await self._driver.get()
        return [REFUNDS.from_row(row) for row in await driver.fetch(_REFUNDS_OF_PAYMENT, payment_id)]

    async def add(self, new: NewRefund, now: datetime) -> Refund:
        driver = await self._driver.get()
        row = await _write(
            driver,
            _ADD_REFUND,
            new.payment_id,
            new.order_id,
            new.amount.minor,
            new.amount.currency,
            RefundStatus.PENDING.value,
            new.reason,
            now,
        )
        return new.created(int(row[0]), now)


class PgJobRepository(SqlJobRepository):
    """`add` (a refund request's job) as one prepared statement."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def add(self, new: NewJob, now: datetime) -> Job:
        driver = await self._driver.get()
        payload = dict(new.payload)
        row = await _write(
            driver,
            _ADD_JOB,
            new.kind.value,
            json.dumps(payload, sort_keys=True),
            new.key,
            JobStatus.DUE.value,
            now,
        )
        return new.created(int(row[0]), now)


class HotRepositories:
    """The hot repositories of one unit of work, sharing its connection's driver."""

    def __init__(self, conn: AsyncConnection) -> None:
        driver = _Driver(conn)
        self.stock = PgStockRepository(conn, driver)
        self.orders = PgOrderRepository(conn, driver)
        self.order_events = PgOrderEventRepository(conn, driver)
        self.payments = PgPaymentRepository(conn, driver)
        self.payment_events = PgPaymentEventRepository(conn, driver)
        self.refunds = PgRefundRepository(conn, driver)
        self.jobs = PgJobRepository(conn, driver)
