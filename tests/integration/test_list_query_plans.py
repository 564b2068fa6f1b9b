"""The back office's lists stay fast at scale: on PostgreSQL, over two hundred thousand orders
and payments, every filter combination's statement (the very SQL the adapters send) reads the
table through an index, never scans it whole, and sorts at most a handful of rows an index
picked; the common pages are read straight in the list's order from their own index.

The plans are checked twice: as planned for the given values (the first executions of a
prepared statement) and as the generic plan PostgreSQL may cache after that.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, DropIndex

from adapters.sql.order_reads import all_orders_statement
from adapters.sql.payments import payment_list
from adapters.sql.tables import orders, payments
from application.ports import OrderFilter, PaymentFilter
from domain.orders import OrderStatus
from domain.payments import PaymentStatus
from tests.conftest import _create_postgres_database, service_missing
from tests.support.isolation import drop_database

pytestmark = pytest.mark.postgres

ORDERS = 200_000
USERS = 3_000
NEWEST = datetime(2026, 6, 1, tzinfo=UTC)  # order i was placed i seconds before this

# Statuses as a store that has been running a while has them: 88 % delivered, 1 % pending. Foreign keys
# are not checked and the indexes are built after the rows are in (see `large_database`).
SEED = f"""
INSERT INTO users (id, email, password_hash, role, is_active, created_at)
SELECT i, 'user' || i || '@example.com', 'hash', 'customer', true, '2026-01-01'
FROM generate_series(1, {USERS}) AS i;

INSERT INTO orders (id, user_id, status, total_minor, currency, created_at, updated_at)
SELECT i, 1 + (i::bigint * 7919) % {USERS},
       CASE WHEN i % 100 = 0 THEN 'pending' WHEN i % 100 < 5 THEN 'paid'
            WHEN i % 100 < 8 THEN 'shipped' WHEN i % 100 < 12 THEN 'cancelled'
            ELSE 'delivered' END,
       100 + i % 5000, 'RUB',
       TIMESTAMPTZ '{NEWEST.isoformat()}' - i * INTERVAL '1 second',
       TIMESTAMPTZ '{NEWEST.isoformat()}' - i * INTERVAL '1 second'
FROM generate_series(1, {ORDERS}) AS i;

INSERT INTO payments (id, order_id, user_id, amount_minor, currency, provider, status,
                      refund_required, created_at, updated_at)
SELECT o.id, o.id, o.user_id, o.total_minor, 'RUB',
       CASE WHEN o.id % 10 = 0 THEN 'other' ELSE 'mock' END,
       (ARRAY['succeeded','succeeded','succeeded','succeeded','succeeded','succeeded',
              'failed','canceled','pending','created'])[1 + (o.id * 13) % 10],
       o.id % 1000 = 0, o.created_at, o.created_at
FROM orders AS o;
"""

SOME_USER = 42  # about 67 orders
SINCE = NEWEST - timedelta(days=1)  # about 43 % of the orders
UNTIL = NEWEST - timedelta(hours=12)  # about 78 %


DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]  # what the app's engine compiles with
SMALL_SORT = 1_000  # rows a plan may sort: one customer's orders, not a slice of the store


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def large_database() -> AsyncIterator[str]:
    """A database of its own (the shared one is emptied between tests), migrated, then loaded
    the fast way: the indexes of `tables.py` (the migrated schema, as `test_migrations` proves)
    dropped, the rows inserted with foreign keys unchecked, the indexes built again."""
    try:
        url = await asyncio.to_thread(_create_postgres_database)
    except Exception as error:
        service_missing("PostgreSQL", error)
        raise
    try:
        indexes = [index for table in (orders, payments) for index in table.indexes]
        connection = await asyncpg.connect(_dsn(url))
        try:
            await connection.execute("SET session_replication_role = replica")
            for index in indexes:
                await connection.execute(str(DropIndex(index).compile(dialect=DIALECT)))
            await connection.execute(SEED)
            for index in indexes:
                await connection.execute(str(CreateIndex(index).compile(dialect=DIALECT)))
            await connection.execute("ANALYZE users, orders, payments")
        finally:
            await connection.close()
        yield url
    finally:
        await asyncio.to_thread(drop_database, make_url(url).database or "")


@pytest.fixture
async def conn(large_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(_dsn(large_database))
    try:
        yield connection
    finally:
        await connection.close()


def order_filters() -> list[OrderFilter]:
    return [
        OrderFilter(*combination)
        for combination in itertools.product(
            (None, OrderStatus.PENDING, OrderStatus.DELIVERED),
            (None, SOME_USER),
            (None, SINCE),
            (None, UNTIL),
        )
    ]


def payment_filters() -> list[PaymentFilter]:
    return [
        PaymentFilter(*combination)
        for combination in itertools.product(
            (None, PaymentStatus.PENDING, PaymentStatus.SUCCEEDED),
            (None, "mock", "other"),
            (None, True, False),
        )
    ]


def payment_statement(criteria: PaymentFilter, limit: int, offset: int) -> tuple[str, list[Any]]:
    """The payment list's SQL as SQLAlchemy hands it to asyncpg, with its arguments."""
    compiled = payment_list(criteria, limit, offset).compile(dialect=DIALECT)
    names = compiled.positiontup or []
    return str(compiled), [compiled.params[name] for name in names]


async def plan(conn: asyncpg.Connection, sql: str, args: list[Any]) -> dict[str, Any]:
    raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    explained: list[dict[str, dict[str, Any]]] = msgspec.json.decode(raw)
    return explained[0]["Plan"]


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def assert_served_by_an_index(tree: dict[str, Any], table: str, context: object) -> None:
    """The table is read through an index, never scanned whole; a sort, if any, only orders the
    few rows an index picked (one customer's orders), never a large part of the table."""
    found = list(nodes(tree))
    summary = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name"), n["Plan Rows"]) for n in found]
    on_table = [n for n in found if n.get("Relation Name") == table or n.get("Index Name")]
    assert not [n for n in on_table if n["Node Type"] == "Seq Scan"], (context, summary)
    index_kinds = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
    assert [n for n in on_table if n["Node Type"] in index_kinds], (context, summary)
    for sort in (n for n in found if n["Node Type"] in ("Sort", "Incremental Sort")):
        assert sum(child["Plan Rows"] for child in sort["Plans"]) <= SMALL_SORT, (context, summary)


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_no_order_filter_scans_or_sorts_the_whole_table(
    conn: asyncpg.Connection, plan_cache_mode: str
) -> None:
    await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    for criteria in order_filters():
        for limit, offset in ((50, 0), (100, 1000)):
            sql, args = all_orders_statement(criteria, limit, offset)
            assert_served_by_an_index(await plan(conn, sql, args), "orders", (criteria, offset, sql))


@pytest.mark.parametrize(
    ("criteria", "index"),
    [
        (OrderFilter(), "ix_orders_created_at_id"),
        (OrderFilter(status=OrderStatus.PENDING), "ix_orders_status_created_at_id"),
        (OrderFilter(status=OrderStatus.DELIVERED), None),  # most orders: any index in order will do
        (OrderFilter(user_id=SOME_USER), "ix_orders_user_id_created_at_id"),
        (OrderFilter(created_from=SINCE, created_to=UNTIL), "ix_orders_created_at_id"),
    ],
)
async def test_a_page_of_each_filter_is_read_in_order_from_its_own_index(
    conn: asyncpg.Connection, criteria: OrderFilter, index: str | None
) -> None:
    sql, args = all_orders_statement(criteria, 50, 0)
    found = list(nodes(await plan(conn, sql, args)))
    assert not [n for n in found if n["Node Type"] in ("Sort", "Incremental Sort")], (criteria, found)
    if index is not None:
        assert index in {n.get("Index Name") for n in found}, (criteria, found)


@pytest.mark.parametrize("plan_cache_mode", ["force_custom_plan", "force_generic_plan"])
async def test_no_payment_filter_scans_or_sorts_the_whole_table(
    conn: asyncpg.Connection, plan_cache_mode: str
) -> None:
    await conn.execute(f"SET plan_cache_mode = {plan_cache_mode}")
    for criteria in payment_filters():
        sql, args = payment_statement(criteria, 50, 0)
        assert_served_by_an_index(await plan(conn, sql, args), "payments", (criteria, sql))


async def test_the_refund_list_reads_the_partial_index(conn: asyncpg.Connection) -> None:
    sql, args = payment_statement(PaymentFilter(refund_required=True), 50, 0)
    used = {n.get("Index Name") for n in nodes(await plan(conn, sql, args))}
    assert "ix_payments_refund_required_created_at_id" in used


async def test_a_status_page_reads_little_more_than_the_page(conn: asyncpg.Connection) -> None:
    """Executed, not only planned: the first page of pending orders touches a few dozen buffers."""
    sql, args = all_orders_statement(OrderFilter(status=OrderStatus.PENDING), 50, 0)
    raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", *args)
    tree = msgspec.json.decode(raw)[0]["Plan"]
    assert tree["Actual Rows"] == 50
    assert tree["Shared Hit Blocks"] + tree.get("Shared Read Blocks", 0) < 200, tree
