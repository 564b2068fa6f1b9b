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
  `IN ($1, $2, …)` list is a new statement per length), each read through a sub-select
  (`array_parameter`) so that PostgreSQL plans the statement once, not on every execution;
- whole rows (`SELECT *`) are read by the generic repositories' own row mappings (the entity's
  `EntityRows`), and the column lists written out here are
  the same mappings' (`columns`, `written`), made once at import: a column added later is read
  and written the same way on both paths, and the text is still constant at runtime;
- stock is checked, locked and taken for every line in one statement instead of one `UPDATE`
  per line, and the order and its lines are inserted in one statement;
- an order being placed is written behind (`_Placement`): the products read takes its ids, and
  the reservation, the order, its lines and its event go in one statement at commit, sent
  without `BEGIN`/`COMMIT` when nothing else needs the transaction (two round trips, were six).

Each trick's measurement is in `docs/performance.md`, "Write path".
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import BigInteger, Boolean, DateTime, Integer, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeDecorator

from adapters.sql.errors import domain_error_for
from adapters.sql.jobs import SqlJobRepository
from adapters.sql.order_events import SqlOrderEventRepository
from adapters.sql.orders import ORDER_LINES, ORDERS, SqlOrderRepository, SqlStockRepository
from adapters.sql.payments import PAYMENTS, SqlPaymentEventRepository, SqlPaymentRepository
from adapters.sql.refunds import REFUNDS, SqlRefundRepository
from adapters.sql.repositories import PRODUCTS
from adapters.sql.tables import order_events, order_lines, orders
from application.ports import (
    NewJob,
    NewPayment,
    NewRefund,
    OrderableProduct,
    OrderToPay,
    PaymentStart,
    key_held,
)
from domain.jobs import Job, JobStatus
from domain.money import Money
from domain.order_events import EventActor, OrderEvent, OrderEventType
from domain.orders import Order, OrderStatus, OutOfStock, Shortage
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


def array_parameter(number: int, element_type: str) -> str:
    """Parameter `$number`, an array of `element_type`, written so that PostgreSQL keeps one plan
    for the statement: `(SELECT $n::t[])::t[]`.

    A prepared statement runs its first five executions on custom plans (made for the values
    given), then keeps the generic plan unless the custom ones were cheaper
    (`choose_custom_plan`, PostgreSQL's src/backend/utils/cache/plancache.c). A bare array
    parameter (`= ANY($1::bigint[])`, `unnest($1::bigint[])`) shows each custom plan the array's
    length, while the generic plan assumes ten elements; for the few lines of an order the
    custom plan always looks cheaper, so the statement is planned anew on every execution. Read
    through an uncorrelated sub-select (an InitPlan, evaluated once per execution), the array is
    hidden from both plans alike, and the generic plan is kept. The plan itself is unchanged
    (an index scan on `id = ANY(...)`); what it saves is in docs/performance.md, "Plans kept and
    start-up frozen". `tests/e2e/test_generic_plans.py` checks that every statement the app
    repeats keeps a generic plan.
    """
    return f"(SELECT ${number}::{element_type}[])::{element_type}[]"


class _Driver:
    """Lazily fetched asyncpg connection of one unit of work, and its placement written behind.

    `placement` holds what placing an order has read and taken but not yet sent (see
    `_Placement`); any other statement of the unit of work (`get`) sends it first, and the unit
    of work's commit sends it last (`flush(final=True)`).
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.placement: _Placement | None = None

    async def get(self) -> Any:
        """The asyncpg connection inside the unit of work's transaction (begun if need be, also
        after a commit), with what is written behind sent first."""
        if self.placement is not None and self.placement.pending:
            await self.flush(final=False)
        return await driver_connection(self._conn)

    async def as_is(self) -> Any:
        """The asyncpg connection without beginning a transaction: a statement sent before the
        unit of work began one runs on its own (autocommit), inside the transaction otherwise."""
        return adapted_connection(self._conn)._connection

    async def flush(self, *, final: bool) -> None:
        """Send the placement's writes (`_PLACE`), if any are pending.

        `final` (the unit of work commits next): when no transaction was begun, the one
        statement runs on its own and is atomic by itself, so no `BEGIN` and `COMMIT` are
        sent. Otherwise it runs inside the unit of work's transaction, begun if need be.
        Raises OutOfStock when a line's stock, locked, no longer covers it: nothing is written.
        """
        placement = self.placement
        if placement is None or not placement.pending:
            return
        self.placement = None
        adapted = adapted_connection(self._conn)
        if final and adapted._transaction is None:
            driver = adapted._connection
        else:
            driver = await driver_connection(self._conn)
        rows = await _write(driver, _PLACE, *placement.arguments(), rows=True)
        if short := [(int(r[0]), int(r[1])) for r in rows if r[2]]:
            raise placement.out_of_stock(dict(short))


# The columns below are the entities' own (`EntityRows`), listed once at import: the text is
# constant at runtime, as asyncpg's statement cache needs.
# The products of an order, and the ids its order and lines will have (one sequence value for
# the order, one per product asked for, ascending; taken once per statement: uncorrelated
# sub-selects are evaluated once). The ids let the order be written behind (`_PLACE`): a value
# taken for an order that is then refused is a gap in the sequence, as a rolled-back insert is.
_ORDERABLE = _one_line(f"""
SELECT {", ".join(f"p.{column}" for column in PRODUCTS.columns)}, c.is_active,
    (SELECT nextval('orders_id_seq')) AS new_order_id,
    (SELECT ARRAY(SELECT nextval('order_lines_id_seq')
        FROM generate_series(1, cardinality({array_parameter(1, "bigint")})))) AS new_line_ids
FROM products p JOIN categories c ON c.id = p.category_id
WHERE p.id = ANY({array_parameter(1, "bigint")})
""")  # noqa: S608 - column names of the table only

# Every tracked line locked in product-id order (ORDER BY is applied before FOR NO KEY UPDATE,
# so two orders over the same products queue instead of deadlocking), checked against its
# quantity on the locked (newest) row, and taken only when none is short: all or nothing, which
# the port allows (the caller rolls back on a shortage). One row per tracked line: its id, the
# units it had, and whether it was short.
_NO_SHORTAGE = "NOT EXISTS (SELECT 1 FROM checked WHERE short)"
_RESERVATION = f"""
WITH wanted AS (
    SELECT w.id, w.quantity
    FROM unnest({array_parameter(1, "bigint")}, {array_parameter(2, "int")}) AS w(id, quantity)
), locked AS (
    SELECT p.id, p.stock FROM products p
    WHERE p.id = ANY({array_parameter(1, "bigint")}) AND p.stock IS NOT NULL
    ORDER BY p.id
    FOR NO KEY UPDATE
), checked AS (
    SELECT l.id, l.stock, l.stock < w.quantity AS short FROM locked l JOIN wanted w ON w.id = l.id
), taken AS (
    UPDATE products p SET stock = p.stock - w.quantity
    FROM wanted w
    WHERE p.id = w.id
      AND p.id IN (SELECT id FROM locked)
      AND {_NO_SHORTAGE}
    RETURNING p.id
)"""  # noqa: S608 - constant text only
_RESERVE = _one_line(f"{_RESERVATION}\nSELECT id, stock, short FROM checked")

_PG_TYPES = ((BigInteger, "bigint"), (Integer, "int"), (String, "text"), (Boolean, "boolean"))
"""PostgreSQL's type for a column type (BigInteger before Integer: a subclass)."""


def _type_of(table: Table, column: str) -> str:
    """The PostgreSQL type of a column's values, for casting a parameter (`unnest`'s arrays are
    of it). Raises TypeError at import for a column type not listed here."""
    kind = table.c[column].type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return "timestamptz"
    for sql_type, name in _PG_TYPES:
        if isinstance(kind, sql_type):
            return name
    raise TypeError(f"{table.name}.{column}: no PostgreSQL type for {kind!r} in hot_path._PG_TYPES")


_LINE_COLUMNS = [column for column in ORDER_LINES.written if column != "order_id"]
_LINE_AT = [ORDER_LINES.written.index(column) for column in _LINE_COLUMNS]
_LINE_TYPES = {column: _type_of(order_lines, column) for column in _LINE_COLUMNS}
_ORDER_VALUES = ", ".join(f"${n}" for n in range(1, len(ORDERS.written) + 1))
_LINE_ARRAYS = ", ".join(
    array_parameter(len(ORDERS.written) + n, _LINE_TYPES[column]) for n, column in enumerate(_LINE_COLUMNS, 1)
)
_LINES_AS = ", ".join(_LINE_COLUMNS)
# The order and its lines in one statement; the line ids come back ascending, which is the
# lines' order (one sequence, rows inserted in ordinality order).
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


_EVENT_COLUMNS = ("type", "from_status", "to_status", "actor", "detail", "created_at")
_P_ORDER = 3  # $1, $2: the reservation's product ids and quantities
_P_LINES = _P_ORDER + 1 + len(ORDERS.written)
_P_EVENT = _P_LINES + 1 + len(_LINE_COLUMNS)
# Placing an order written behind, in one statement: the reservation as `_RESERVE` makes it, then
# (only when no line is short) the order with the ids `_ORDERABLE` took, its lines, and its
# `placed` event. Each part may be absent: no tracked line (empty arrays), no order yet (a NULL
# id), no event yet (a NULL type). Sent alone when the unit of work began no transaction (one
# statement is atomic by itself), inside the transaction otherwise. One row per tracked line,
# as `_RESERVE`.
_PLACE = _one_line(f"""
{_RESERVATION.strip()}, o AS (
    INSERT INTO orders (id, {", ".join(ORDERS.written)})
    SELECT ${_P_ORDER}::bigint, {
    ", ".join(f"${_P_ORDER + n}::{_type_of(orders, column)}" for n, column in enumerate(ORDERS.written, 1))
}
    WHERE ${_P_ORDER}::bigint IS NOT NULL AND {_NO_SHORTAGE}
    RETURNING id
), l AS (
    INSERT INTO order_lines (id, order_id, {_LINES_AS})
    SELECT w.id, o.id, {", ".join(f"w.{column}" for column in _LINE_COLUMNS)}
    FROM o, unnest({array_parameter(_P_LINES, "bigint")}, {
    ", ".join(array_parameter(_P_LINES + n, _LINE_TYPES[column]) for n, column in enumerate(_LINE_COLUMNS, 1))
}) AS w(id, {_LINES_AS})
    RETURNING id
), e AS (
    INSERT INTO order_events (order_id, {", ".join(_EVENT_COLUMNS)})
    SELECT o.id, {
    ", ".join(f"${_P_EVENT + n}::{_type_of(order_events, column)}" for n, column in enumerate(_EVENT_COLUMNS))
}
    FROM o WHERE ${_P_EVENT}::text IS NOT NULL
    RETURNING id
)
SELECT id, stock, short FROM checked
""")  # noqa: S608 - column names of the tables only


def _event_values(event: OrderEvent) -> list[Any]:
    """An event's values for `_EVENT_COLUMNS`, in that order."""
    return [
        event.type.value,
        None if event.from_status is None else event.from_status.value,
        None if event.to_status is None else event.to_status.value,
        event.actor.value,
        event.detail,
        event.created_at,
    ]


@dataclass
class _Placement:
    """An order being placed, written behind: what `_PLACE` will send.

    Filled by the hot repositories in the order `PlaceOrder` calls them: the products read
    (their names and stock as read, the ids taken), the tracked lines to reserve (checked
    against the stock as read: a line short there is answered at once, nothing taken), the order
    with those ids, its `placed` event.
    """

    products: dict[int, tuple[str, int | None]]
    order_id: int
    line_ids: list[int]
    reserve: dict[int, int] = field(default_factory=dict)
    order: Order | None = None
    event: OrderEvent | None = None

    @property
    def pending(self) -> bool:
        return bool(self.reserve) or self.order is not None

    def arguments(self) -> list[Any]:
        ids = sorted(self.reserve)
        order, event = self.order, self.event
        arguments: list[Any] = [ids, [self.reserve[i] for i in ids]]
        if order is None:
            arguments += [None] * (1 + len(ORDERS.written))
            arguments += [[]] * (1 + len(_LINE_COLUMNS))
        else:
            arguments += [order.id, *ORDERS.row(order)]
            by_column = list(zip(*[ORDER_LINES.row(line, None) for line in order.lines], strict=True))
            arguments += [[line.id for line in order.lines], *(list(by_column[at]) for at in _LINE_AT)]
        if event is None:
            arguments += [None] * len(_EVENT_COLUMNS)
        else:
            arguments += _event_values(event)
        return arguments

    def out_of_stock(self, short: Mapping[int, int]) -> OutOfStock:
        """As `PlaceOrder` names a shortage: each short product in id order, with what is left."""
        return OutOfStock(
            [Shortage(pid, self.products[pid][0], self.reserve[pid], short[pid]) for pid in sorted(short)]
        )


_LOCK_USER = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE"
# The status is written in, and the limit read through a sub-select, for the reason
# `array_parameter` gives: with either as a bare parameter every count was planned anew.
_PENDING = (
    "SELECT count(*) FROM (SELECT 1 FROM orders"  # noqa: S608 - constant SQL
    f" WHERE user_id = $1 AND status = '{OrderStatus.PENDING.value}' LIMIT (SELECT $2::bigint)) AS p"
)

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
# Starting a payment in one statement (`PaymentRepository.start_for_order`): the order locked as
# `_ORDER_TO_PAY` locks it; the payment inserted only when the order is the payer's ($2) and in
# the one payable status ($3, `OrderToPay.is_payable`), the partial unique index deciding as in
# `_ADD_PAYMENT_UNLESS_ACTIVE`; its `payment_started` event with it. One row: the order as
# locked and the new payment's id (NULL: nothing inserted); no row: no such order.
_START_EVENT_VALUES = ", ".join(
    f"${7 + n}::{_type_of(order_events, column)}" for n, column in enumerate(_EVENT_COLUMNS)
)
_START_PAYMENT = _one_line(f"""
WITH o AS (
    SELECT id, user_id, status, total_minor, currency FROM orders WHERE id = $1 FOR UPDATE
), p AS (
    INSERT INTO payments (order_id, user_id, amount_minor, currency, provider, status,
        refund_required, created_at, updated_at)
    SELECT o.id, o.user_id, o.total_minor, o.currency, $4::text, $5::text, false,
        $6::timestamptz, $6::timestamptz
    FROM o WHERE o.user_id = $2::bigint AND o.status = $3::text
    ON CONFLICT (order_id) WHERE status IN ('created', 'pending') DO NOTHING
    RETURNING id, order_id
), e AS (
    INSERT INTO order_events (order_id, {", ".join(_EVENT_COLUMNS)})
    SELECT p.order_id, {_START_EVENT_VALUES}
    FROM p
)
SELECT o.id, o.user_id, o.status, o.total_minor, o.currency, (SELECT id FROM p) AS payment_id FROM o
""")  # noqa: S608 - column names of the tables only
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


async def _write(driver: Any, query: str, *args: Any, rows: bool = False) -> Any:
    """`fetchrow` (`fetch` with `rows`); a named constraint violation becomes its domain error
    (as `execute_write`)."""
    try:
        return await (driver.fetch if rows else driver.fetchrow)(query, *args)
    except asyncpg.exceptions.IntegrityConstraintViolationError as error:
        domain_error = domain_error_for(getattr(error, "constraint_name", None))
        if domain_error is None:
            raise
        raise domain_error from None


class PgStockRepository(SqlStockRepository):
    """`orderable` and `reserve` as one prepared statement each; after `orderable`, `reserve` is
    written behind (`_Placement`)."""

    def __init__(self, conn: AsyncConnection, driver: _Driver) -> None:
        super().__init__(conn)
        self._driver = driver

    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        if not product_ids:
            return {}
        # Outside the transaction when none is begun yet: a read sees the same committed rows
        # either way (read committed), and the writes that follow are sent as one statement.
        # Anything still written behind is sent first, as before any other statement.
        earlier = self._driver.placement
        pending = earlier is not None and earlier.pending
        driver = await (self._driver.get() if pending else self._driver.as_is())
        found = {}
        placement = None
        width = len(PRODUCTS.columns)
        for r in await driver.fetch(_ORDERABLE, list(product_ids)):
            product = PRODUCTS.from_values(r)
            found[r[0]] = OrderableProduct(product, bool(r[width]))
            if placement is None:
                placement = _Placement({}, int(r[width + 1]), [int(i) for i in r[width + 2]])
            placement.products[product.id] = (product.name, product.stock)
        if placement is not None:
            self._driver.placement = placement
        return found

    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        if not quantities:
            return {}
        placement = self._driver.placement
        if (
            placement is not None
            and not placement.pending
            and all(placement.products.get(pid, ("", None))[1] is not None for pid in quantities)
        ):
            # Checked against the stock as read; taken, on the locked rows, when the order is sent.
            short = {
                pid: stock
                for pid, wanted in quantities.items()
                if (stock := placement.products[pid][1]) is not None and stock < wanted
            }
            if not short:
                placement.reserve = dict(quantities)
            return short
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
        placement = self._driver.placement
        if (
            placement is not None
            and placement.order is None
            and len(placement.line_ids) == len(order.lines)
            and all(line.product_id in placement.products for line in order.lines)
        ):
            # Written behind with the ids `orderable` took; the lines' ids ascend in their order.
            ids = iter(placement.line_ids)
            lines = tuple(replace(line, id=next(ids)) for line in order.lines)
            placed = replace(order, id=placement.order_id, lines=lines)
            placement.order = placed
            return placed
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
        return int(await driver.fetchval(_PENDING, user_id, up_to))

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

    async def start_for_order(
        self, order_id: int, payer_id: int, provider: str, now: datetime, actor: EventActor
    ) -> PaymentStart:
        # As the unit of work's first statement, on its own (no BEGIN/COMMIT round trips) unless
        # an idempotency key's row is to be written in the same transaction.
        driver = await (self._driver.get() if key_held() else self._driver.as_is())
        event = OrderEvent.payment_started(order_id, provider, actor, now)
        row = await _write(
            driver,
            _START_PAYMENT,
            order_id,
            payer_id,
            OrderStatus.PENDING.value,
            provider,
            PaymentStatus.CREATED.value,
            now,
            *_event_values(event),
        )
        if row is None:
            return PaymentStart(None, None)
        order = OrderToPay(row[0], row[1], OrderStatus(row[2]), Money(row[3], row[4]))
        if row[5] is None:
            return PaymentStart(order, None)
        new = NewPayment(order.id, payer_id, order.total, provider)
        return PaymentStart(order, new.created(int(row[5]), now))

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
        placement = self._driver.placement
        if (
            placement is not None
            and placement.order is not None
            and placement.event is None
            and event.order_id == placement.order.id
            and event.type is OrderEventType.PLACED
        ):
            placement.event = event  # sent with its order (`_PLACE`)
            return
        driver = await self._driver.get()
        await _write(driver, _APPEND_EVENT, event.order_id, *_event_values(event))


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
        driver = self._driver = _Driver(conn)
        self.stock = PgStockRepository(conn, driver)
        self.orders = PgOrderRepository(conn, driver)
        self.order_events = PgOrderEventRepository(conn, driver)
        self.payments = PgPaymentRepository(conn, driver)
        self.payment_events = PgPaymentEventRepository(conn, driver)
        self.refunds = PgRefundRepository(conn, driver)
        self.jobs = PgJobRepository(conn, driver)

    async def flush(self) -> None:
        """Send what is written behind; the unit of work commits next (`_Driver.flush`)."""
        await self._driver.flush(final=True)

    def sending_first(self, repository: _R) -> _R:
        """`repository` (one of SQLAlchemy's on the same connection) with each of its calls
        sending what is written behind first, as the hot repositories' own statements do: the
        unit of work's statements then run in the order its use case made them."""
        return cast(_R, _SendingFirst(repository, self._driver))


_R = TypeVar("_R")


class _SendingFirst:
    """A repository proxy: every coroutine method first sends the placement written behind."""

    def __init__(self, repository: Any, driver: _Driver) -> None:
        self._repository = repository
        self._driver = driver

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        driver = self._driver

        async def call(*args: Any, **kwargs: Any) -> Any:
            if driver.placement is not None and driver.placement.pending:
                await driver.flush(final=False)
            return await attribute(*args, **kwargs)

        return call
