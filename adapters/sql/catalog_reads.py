"""The catalog read model: display views straight from SQL, each with its catalog version.

Two implementations of one port:
- `AsyncpgCatalogReadModel` (PostgreSQL, what production runs): hand-written SQL on a
  small asyncpg pool of its own: no ORM, no transaction, one round trip per answer
  (the version comes back in the same statement as the rows, so they always agree);
- `SqlCatalogReadModel` (any SQLAlchemy database, the embedded SQLite default): the
  shared `product_query` in one transaction, version first.
The filters mean the same in both; the read-model tests run both against each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from sqlalchemy import select
from sqlalchemy.engine import make_url

from adapters.sql.catalog_version import VERSION_SQL, read_catalog_version
from adapters.sql.database import Database
from adapters.sql.repositories import _price_bound, escape_like, product_query
from adapters.sql.tables import categories, products
from application.ports import (
    CatalogReadModel,
    CategoryView,
    ProductDetailView,
    ProductFilter,
    ProductSort,
    ProductView,
    Versioned,
    price_text,
)

# The views as msgspec structs: built from a row in one call, encoded without a detour.
# gc=False: they never take part in reference cycles, so the collector can skip them.


class CategoryRow(msgspec.Struct, gc=False):
    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductRow(msgspec.Struct, gc=False):
    id: int
    name: str
    description: str
    price: str
    currency: str
    category_id: int
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductDetailRow(msgspec.Struct, gc=False):
    id: int
    name: str
    description: str
    price: str
    currency: str
    category_id: int
    category: CategoryRow | None
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


# ---- any SQLAlchemy database -------------------------------------------------------------


def _category_view(row: Any) -> CategoryRow:
    return CategoryRow(row.id, row.name, row.slug, row.is_active, row.created_at, row.updated_at)


def _product_view(row: Any) -> ProductRow:
    return ProductRow(
        row.id,
        row.name,
        row.description,
        price_text(row.price_minor),
        row.currency,
        row.category_id,
        row.stock,
        row.is_active,
        row.created_at,
        row.updated_at,
    )


class SqlCatalogReadModel(CatalogReadModel):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def version(self) -> str:
        async with self._db.transaction() as conn:
            return await read_catalog_version(conn)

    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductView]]:
        async with self._db.transaction() as conn:
            version = await read_catalog_version(conn)
            rows = await conn.execute(product_query(criteria))
            return Versioned(version, [_product_view(row) for row in rows])

    async def product(self, product_id: int) -> Versioned[ProductDetailView | None]:
        async with self._db.transaction() as conn:
            version = await read_catalog_version(conn)
            row = (await conn.execute(select(products).where(products.c.id == product_id))).first()
            if row is None:
                return Versioned(version, None)
            category = (
                await conn.execute(select(categories).where(categories.c.id == row.category_id))
            ).first()
        view = _product_view(row)
        return Versioned(version, _detail(view, _category_view(category) if category else None))

    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryView]]:
        query = select(categories).order_by(categories.c.id).limit(limit).offset(offset)
        if only_active:
            query = query.where(categories.c.is_active.is_(True))
        async with self._db.transaction() as conn:
            version = await read_catalog_version(conn)
            return Versioned(version, [_category_view(row) for row in await conn.execute(query)])

    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryView | None]:
        if category_id is not None:
            query = select(categories).where(categories.c.id == category_id)
        else:
            query = select(categories).where(categories.c.slug == slug)
        async with self._db.transaction() as conn:
            version = await read_catalog_version(conn)
            row = (await conn.execute(query)).first()
        return Versioned(version, _category_view(row) if row else None)


def _detail(view: ProductRow, category: CategoryRow | None) -> ProductDetailRow:
    return ProductDetailRow(
        view.id,
        view.name,
        view.description,
        view.price,
        view.currency,
        view.category_id,
        category,
        view.stock,
        view.is_active,
        view.created_at,
        view.updated_at,
    )


# ---- PostgreSQL through asyncpg -----------------------------------------------------------

_VERSION = f"({VERSION_SQL})"


def amount_text(column: str) -> str:
    """SQL for minor units as the two-decimal text the API shows, formatted by PostgreSQL: "149.90"."""
    return f"({column} / 100)::text || '.' || lpad(({column} % 100)::text, 2, '0')"


_PRICE = amount_text("p.price_minor")
_PRODUCT = (
    f"p.id, p.name, p.description, {_PRICE}, p.currency, p.category_id, p.stock, "
    "p.is_active, p.created_at, p.updated_at"
)
_CATEGORY = "c.id, c.name, c.slug, c.is_active, c.created_at, c.updated_at"
_ORDER = {
    ProductSort.ID: "p.id",
    ProductSort.PRICE: "p.price_minor, p.id",
    ProductSort.PRICE_DESC: "p.price_minor DESC, p.id",
    ProductSort.NAME: "p.name, p.id",
    ProductSort.NEWEST: "p.created_at DESC, p.id DESC",
}
_GET_PRODUCT = (
    f"SELECT {_VERSION}, {_PRODUCT}, {_CATEGORY} "  # noqa: S608 - constant SQL, values are parameters
    "FROM products p LEFT JOIN categories c ON c.id = p.category_id WHERE p.id = $1"
)
_LIST_CATEGORIES = f"SELECT {_VERSION}, {_CATEGORY} FROM categories c ORDER BY c.id LIMIT $1 OFFSET $2"  # noqa: S608
_LIST_ACTIVE_CATEGORIES = (
    f"SELECT {_VERSION}, {_CATEGORY} FROM categories c "  # noqa: S608
    "WHERE c.is_active ORDER BY c.id LIMIT $1 OFFSET $2"
)
_CATEGORY_BY_ID = f"SELECT {_VERSION}, {_CATEGORY} FROM categories c WHERE c.id = $1"  # noqa: S608
_CATEGORY_BY_SLUG = f"SELECT {_VERSION}, {_CATEGORY} FROM categories c WHERE c.slug = $1"  # noqa: S608


def _products_sql(criteria: ProductFilter) -> tuple[str, list[Any]]:
    """The same filter as `product_query`, as one PostgreSQL statement with its arguments."""
    conditions: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if criteria.category_id is not None:
        conditions.append(f"p.category_id = {arg(criteria.category_id)}")
    if criteria.only_active:
        conditions.append(
            "p.is_active AND EXISTS (SELECT 1 FROM categories c WHERE c.id = p.category_id AND c.is_active)"
        )
    if criteria.query:
        conditions.append(f"p.search_name LIKE {arg(f'%{escape_like(criteria.query.lower())}%')} ESCAPE '\\'")
    if criteria.min_price is not None:
        conditions.append(f"p.price_minor >= {arg(_price_bound(criteria.min_price))}")
    if criteria.max_price is not None:
        conditions.append(f"p.price_minor <= {arg(_price_bound(criteria.max_price))}")
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    sql = (
        f"SELECT {_VERSION}, {_PRODUCT} FROM products p {where}"  # noqa: S608 - fixed fragments only
        f"ORDER BY {_ORDER[criteria.sort]} LIMIT {arg(criteria.limit)} OFFSET {arg(criteria.offset)}"
    )
    return sql, args


def _record_category(r: Any, at: int = 1) -> CategoryRow:
    return CategoryRow(r[at], r[at + 1], r[at + 2], r[at + 3], r[at + 4], r[at + 5])


async def _no_reset(_: Any) -> None:
    """Read-only SELECTs leave no session state behind: skip the reset round trip."""


class ReadPool:
    """A small asyncpg pool for the read model, opened on first use in the serving loop."""

    def __init__(self, database_url: str, size: int) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=self._size,
                        reset=_no_reset,
                        server_settings={"application_name": "storefront-catalog-reads"},
                    )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class AsyncpgCatalogReadModel(CatalogReadModel):
    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    async def version(self) -> str:
        pool = await self._pool.get()
        return str(await pool.fetchval(VERSION_SQL))

    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductView]]:
        if criteria.query and "\x00" in criteria.query:
            return Versioned(await self.version(), [])  # no name holds a NUL
        sql, args = _products_sql(criteria)
        pool = await self._pool.get()
        rows = await pool.fetch(sql, *args)
        if not rows:
            return Versioned(await self.version(), [])
        # The first column is the version; the rest are the view's fields in order.
        return Versioned(str(rows[0][0]), [ProductRow(*r[1:]) for r in rows])

    async def product(self, product_id: int) -> Versioned[ProductDetailView | None]:
        pool = await self._pool.get()
        r = await pool.fetchrow(_GET_PRODUCT, product_id)
        if r is None:
            return Versioned(await self.version(), None)
        category = _record_category(r, 11) if r[11] is not None else None
        view = ProductDetailRow(r[1], r[2], r[3], r[4], r[5], r[6], category, r[7], r[8], r[9], r[10])
        return Versioned(str(r[0]), view)

    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryView]]:
        pool = await self._pool.get()
        rows = await pool.fetch(_LIST_ACTIVE_CATEGORIES if only_active else _LIST_CATEGORIES, limit, offset)
        if not rows:
            return Versioned(await self.version(), [])
        return Versioned(str(rows[0][0]), [_record_category(r) for r in rows])

    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryView | None]:
        pool = await self._pool.get()
        if category_id is not None:
            r = await pool.fetchrow(_CATEGORY_BY_ID, category_id)
        else:
            r = await pool.fetchrow(_CATEGORY_BY_SLUG, slug)
        if r is None:
            return Versioned(await self.version(), None)
        return Versioned(str(r[0]), _record_category(r))
