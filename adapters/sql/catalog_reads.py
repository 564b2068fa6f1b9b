"""The catalog read model: the views straight from SQL, each answer with its rows' versions.

One reader (`SqlCatalogReadModel`) and one set of statements for every database: the
SELECT lists are derived from the views' fields (`ProductOut`, `CategoryOut`: a field is
the column of the same name unless `COMPUTED` says otherwise), the product filter is the
shared `product_filter`, and the SQL is what PostgreSQL and SQLite both read. What
differs per database family is only how a statement runs, behind `catalog_reads`:
- `AsyncpgRows` (PostgreSQL, what production runs): a small asyncpg pool of its own, no
  ORM, no transaction, one round trip per answer;
- `SqlAlchemyRows` (any SQLAlchemy database, the embedded SQLite default): a transaction
  of the engine, the columns' types converting the values as the repositories' do.
Each answer's rows come with their `version` columns (bumped by the database on every
UPDATE, migration 0011) in the same statement, so a version never disagrees with its rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import asyncpg  # type: ignore[import-untyped]
import msgspec
from sqlalchemy import Table, Text, column, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeEngine

from adapters.sql.database import CONNECT_TIMEOUT_SECONDS, READ_STATEMENT_TIMEOUT_SECONDS, Database
from adapters.sql.product_filter import product_filter
from adapters.sql.tables import categories, products
from application.ports import (
    NESTED_FIELDS,
    CatalogReadModel,
    CategoryOut,
    ProductFilter,
    ProductOut,
    Versioned,
    category_tag,
    product_tag,
    rows_tag,
)

V = TypeVar("V", bound=msgspec.Struct)

PRICE_TEXT = (
    "CAST({t}.price_minor / 100 AS TEXT) || '.' || substr(CAST({t}.price_minor % 100 + 100 AS TEXT), 2)"
)
"""Minor units as the two-decimal text the API shows ("149.90"), in SQL both databases read."""

COMPUTED: dict[type[msgspec.Struct], dict[str, str]] = {ProductOut: {"price": PRICE_TEXT}}
"""View fields that are not a column of the same name: the SQL that makes them ({t}: the alias)."""


@dataclass(frozen=True, slots=True)
class Columns:
    """A view's part of a SELECT list: its SQL, the types of its values, how a row becomes the view."""

    sql: str
    types: tuple[TypeEngine[Any], ...]
    build: Callable[[Sequence[Any]], Any]


def view_columns(view: type[V], table: Table, alias: str, start: int) -> Columns:
    """The view's own fields (nested views aside) then `version`, as columns of `table AS alias`.

    The row's values from `start` on become the view through one keyword call, generated
    once from the fields (a view keeps its JSON order with keyword-only fields).
    """
    computed = COMPUTED.get(view, {})
    fields = [name for name in view.__struct_fields__ if name not in NESTED_FIELDS]
    sql = [computed[name].format(t=alias) if name in computed else f"{alias}.{name}" for name in fields]
    types = [Text() if name in computed else table.c[name].type for name in fields]
    keywords = ", ".join(f"{name}=row[{start + i}]" for i, name in enumerate(fields))
    build = eval(f"lambda row: view({keywords})", {"view": view})  # noqa: S307 - from the struct's own field names
    return Columns(", ".join([*sql, f"{alias}.version"]), (*types, table.c.version.type), build)


_P = view_columns(ProductOut, products, "p", 0)
_P_VERSION = len(_P.types) - 1
_C = view_columns(CategoryOut, categories, "c", 0)
_C_VERSION = len(_C.types) - 1
_C_AFTER_P = view_columns(CategoryOut, categories, "c", len(_P.types))
_C_AFTER_P_VERSION = len(_P.types) + len(_C.types) - 1


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    types: tuple[TypeEngine[Any], ...]


class Rows(Protocol):
    """How one database family runs a read-only statement."""

    def placeholder(self, position: int) -> str:
        """The SQL that names the `position`-th argument (from 1)."""

    async def fetch(self, statement: Statement, args: Sequence[Any]) -> Sequence[Sequence[Any]]: ...


class Statements:
    """The read model's statements in one family's parameter style, built once (the product
    list: once per request, from the shared filter)."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        one = rows.placeholder(1)
        two = rows.placeholder(2)
        categories_page = f"ORDER BY c.id LIMIT {one} OFFSET {two}"
        self.product = Statement(
            f"SELECT {_P.sql}, {_C.sql} FROM products p "  # noqa: S608 - fixed fragments only
            f"JOIN categories c ON c.id = p.category_id WHERE p.id = {one}",
            _P.types + _C.types,
        )
        self.categories = Statement(f"SELECT {_C.sql} FROM categories c {categories_page}", _C.types)  # noqa: S608
        self.active_categories = Statement(
            f"SELECT {_C.sql} FROM categories c WHERE c.is_active {categories_page}",  # noqa: S608
            _C.types,
        )
        self.category_by_id = Statement(f"SELECT {_C.sql} FROM categories c WHERE c.id = {one}", _C.types)  # noqa: S608
        self.category_by_slug = Statement(f"SELECT {_C.sql} FROM categories c WHERE c.slug = {one}", _C.types)  # noqa: S608

    def products(self, criteria: ProductFilter) -> tuple[Statement, list[Any]]:
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return self._rows.placeholder(len(args))

        found = product_filter(criteria, arg)
        where = f"WHERE {found.where} " if found.where else ""
        sql = (
            f"SELECT {_P.sql} FROM products p {where}ORDER BY {found.order_by} "  # noqa: S608 - fixed fragments only
            f"LIMIT {arg(criteria.limit)} OFFSET {arg(criteria.offset)}"
        )
        return Statement(sql, _P.types), args


class SqlCatalogReadModel(CatalogReadModel):
    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self._sql = Statements(rows)

    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductOut]]:
        statement, args = self._sql.products(criteria)
        rows = await self._rows.fetch(statement, args)
        build = _P.build
        tag = rows_tag("P", [value for r in rows for value in (r[0], r[_P_VERSION])])
        return Versioned(tag, [build(r) for r in rows])

    async def product(self, product_id: int) -> Versioned[ProductOut | None]:
        rows = await self._rows.fetch(self._sql.product, (product_id,))
        if not rows:
            return Versioned("", None)
        r = rows[0]
        view: ProductOut = _P.build(r)
        view.category = _C_AFTER_P.build(r)
        return Versioned(product_tag(view.id, r[_P_VERSION], view.category_id, r[_C_AFTER_P_VERSION]), view)

    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryOut]]:
        statement = self._sql.active_categories if only_active else self._sql.categories
        rows = await self._rows.fetch(statement, (limit, offset))
        build = _C.build
        tag = rows_tag("C", [value for r in rows for value in (r[0], r[_C_VERSION])])
        return Versioned(tag, [build(r) for r in rows])

    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryOut | None]:
        if category_id is not None:
            rows = await self._rows.fetch(self._sql.category_by_id, (category_id,))
        else:
            rows = await self._rows.fetch(self._sql.category_by_slug, (slug,))
        if not rows:
            return Versioned("", None)
        return Versioned(category_tag(rows[0][0], rows[0][_C_VERSION]), _C.build(rows[0]))


# ---- PostgreSQL through asyncpg -----------------------------------------------------------


def amount_text(column: str) -> str:
    """SQL for minor units as the two-decimal text the API shows: "149.90" (the order reads' own)."""
    return f"({column} / 100)::text || '.' || lpad(({column} % 100)::text, 2, '0')"


async def _no_reset(_: Any) -> None:
    """Read-only SELECTs leave no session state behind: skip the reset round trip."""


class ReadPool:
    """A small asyncpg pool for the read models, opened on first use in the serving loop."""

    def __init__(
        self,
        database_url: str,
        size: int,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        statement_timeout: float = READ_STATEMENT_TIMEOUT_SECONDS,
    ) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._connect_timeout = connect_timeout
        self._statement_timeout = statement_timeout
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
                        timeout=self._connect_timeout,
                        command_timeout=self._statement_timeout,
                        server_settings={"application_name": "storefront-catalog-reads"},
                    )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


# `AsyncpgRows` and `SqlAlchemyRows` below are deliberate twins: one `Rows` per database
# family, the same two methods over a different driver.
class AsyncpgRows(Rows):
    """One statement on the read pool: no transaction, one round trip."""

    def __init__(self, pool: ReadPool) -> None:
        self._pool = pool

    def placeholder(self, position: int) -> str:
        return f"${position}"

    async def fetch(self, statement: Statement, args: Sequence[Any]) -> Sequence[Sequence[Any]]:
        pool = await self._pool.get()
        rows: Sequence[Sequence[Any]] = await pool.fetch(statement.sql, *args)
        return rows


# ---- any SQLAlchemy database --------------------------------------------------------------


@lru_cache(maxsize=256)
def _text(statement: Statement) -> TextClause:
    """The statement for SQLAlchemy, its result columns typed by position."""
    typed = [column(f"c{i}", type_) for i, type_ in enumerate(statement.types)]
    return text(statement.sql).columns(*typed)  # type: ignore[return-value]


class SqlAlchemyRows(Rows):
    """One statement in a transaction of the engine (SQLite's: behind its one-writer lock)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def placeholder(self, position: int) -> str:
        return f":a{position}"

    async def fetch(self, statement: Statement, args: Sequence[Any]) -> Sequence[Sequence[Any]]:
        params = {f"a{i}": value for i, value in enumerate(args, start=1)}
        async with self._db.transaction() as conn:
            return list(await conn.execute(_text(statement), params))


def catalog_reads(db: Database, pool: ReadPool | None) -> CatalogReadModel:
    """The catalog reader: through asyncpg on the read pool (PostgreSQL: `pool` exists), else
    through SQLAlchemy on `db`."""
    if pool is not None:
        return SqlCatalogReadModel(AsyncpgRows(pool))
    return SqlCatalogReadModel(SqlAlchemyRows(db))
