"""A fresh PostgreSQL database for the benchmark, seeded with bulk SQL (COPY), not the API."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from entrypoints.migrations import upgrade

CUSTOMER_EMAIL = "customer{}@bench.test"
CUSTOMER_PASSWORD = "bench-password-1"
ADMIN_EMAIL = "admin@bench.test"  # with the customers' password
CURRENCY = "RUB"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeedSize:
    categories: int
    products: int
    customers: int
    heavy_orders: int
    # Products with tracked stock (ids products + 1 … products + tracked_products), each with
    # TRACKED_STOCK units: the tracked-stock write scenarios never run out.
    tracked_products: int = 0

    @property
    def tracked_ids(self) -> tuple[int, int]:
        """First and last id of the tracked-stock products (an empty range when there are none)."""
        return self.products + 1, self.products + self.tracked_products


TRACKED_STOCK = 1_000_000_000
FULL = SeedSize(categories=50, products=10_000, customers=1_000, heavy_orders=10_000, tracked_products=1_000)
SMOKE = SeedSize(categories=5, products=200, customers=20, heavy_orders=200, tracked_products=50)
SMALL_CATALOG = SeedSize(categories=2, products=20, customers=2, heavy_orders=0)


def plain_dsn(url: str) -> str:
    """asyncpg's DSN for a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def recreate_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def create(
    admin_url: str, name: str, size: SeedSize, password_hash: str, migrate: Callable[[str], None] = upgrade
) -> str:
    """Create, migrate (by default with this checkout's migrations) and seed the database
    `name`; returns its SQLAlchemy URL."""
    asyncio.run(recreate_database(admin_url, name))
    url = database_url(admin_url, name)
    migrate(url)
    asyncio.run(_seed(url, size, password_hash))
    return url


async def _seed(url: str, size: SeedSize, password_hash: str) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "categories",
                columns=["name", "slug", "is_active", "created_at", "updated_at"],
                records=[
                    (f"Category {n}", f"category-{n}", True, EPOCH, EPOCH)
                    for n in range(1, size.categories + 1)
                ],
            )
            await conn.copy_records_to_table(
                "products",
                columns=[
                    "name",
                    "search_name",
                    "description",
                    "price_minor",
                    "currency",
                    "category_id",
                    "stock",
                    "is_active",
                    "created_at",
                    "updated_at",
                ],
                records=[
                    (
                        f"Product {n:05d}",
                        f"product {n:05d}",
                        f"A fine product number {n}, made to last and priced to sell. " * 2,
                        rng.randint(100, 1_000_000),
                        CURRENCY,
                        (n - 1) % size.categories + 1,
                        TRACKED_STOCK if n > size.products else None,
                        True,
                        EPOCH + timedelta(seconds=n),
                        EPOCH + timedelta(seconds=n),
                    )
                    for n in range(1, size.products + size.tracked_products + 1)
                ],
            )
            await conn.copy_records_to_table(
                "users",
                columns=["email", "password_hash", "role", "is_active", "created_at"],
                records=[
                    (CUSTOMER_EMAIL.format(n), password_hash, "customer", True, EPOCH)
                    for n in range(1, size.customers + 1)
                ],
            )
            await conn.execute(
                "INSERT INTO users (email, password_hash, role, is_active, created_at)"
                " VALUES ($1, $2, 'admin', true, $3)",
                ADMIN_EMAIL,
                password_hash,
                EPOCH,
            )
            if size.heavy_orders:
                await seed_orders(conn, user_id=1, count=size.heavy_orders, products=size.products)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def table_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    return {row["column_name"] for row in rows}


async def seed_orders(conn: asyncpg.Connection, user_id: int, count: int, products: int) -> None:
    """`count` past orders of two lines each, when the orders schema exists: one in ten paid
    (waiting to be shipped), one in ten shipped, one in ten cancelled, the rest delivered."""
    if not await table_columns(conn, "orders"):
        return
    await conn.execute(
        """
        WITH placed AS (
            INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at)
            SELECT $1,
                   (ARRAY['paid', 'shipped', 'cancelled', 'delivered', 'delivered', 'delivered',
                          'delivered', 'delivered', 'delivered', 'delivered'])[1 + g % 10],
                   2000, $3, at, at
            FROM generate_series(1, $2) AS g,
                 LATERAL (SELECT $4::timestamptz + g * interval '1 minute') AS t(at)
            RETURNING id
        )
        INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_minor)
        SELECT placed.id, p.id, p.name, 1, 1000
        FROM placed
        CROSS JOIN LATERAL (VALUES (placed.id % $5 + 1), ((placed.id + 1) % $5 + 1)) AS line(product_id)
        JOIN products AS p ON p.id = line.product_id
        """,
        user_id,
        count,
        CURRENCY,
        EPOCH,
        products,
    )
