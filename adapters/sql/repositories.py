"""Repositories over SQLAlchemy Core: rows in, domain objects out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, insert, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.entity_rows import EntityRows
from adapters.sql.errors import to_domain_error
from adapters.sql.product_filter import product_filter
from adapters.sql.tables import categories, products, users
from application.ports import (
    CategoryRepository,
    NewCategory,
    NewProduct,
    ProductFilter,
    ProductRepository,
    UserRepository,
)
from domain.catalog import Category, Product
from domain.users import Role, User

E = TypeVar("E")


async def execute_write(conn: AsyncConnection, statement: Any) -> Any:
    """Run a write; a named constraint violation becomes its domain error.

    On PostgreSQL the failed statement aborts the transaction, so the unit of
    work can only roll back after this raises, which is what every use case does.
    """
    try:
        return await conn.execute(statement)
    except IntegrityError as error:
        domain_error = to_domain_error(error)
        if domain_error is None:
            raise
        raise domain_error from None


async def insert_new(conn: AsyncConnection, rows: EntityRows[E], fresh: E) -> E:
    """Store a new entity (its id 0); the entity with the id the database gave it."""
    table = rows.table
    result = await execute_write(conn, insert(table).values(rows.values(fresh)).returning(table.c.id))
    stored: E = replace(cast(Any, fresh), id=int(result.scalar_one()))
    return stored


async def save_row(conn: AsyncConnection, rows: EntityRows[E], entity: E) -> None:
    """Write an entity over its row (found by id): every column but the creation time."""
    table = rows.table
    await execute_write(
        conn, update(table).where(table.c.id == cast(Any, entity).id).values(rows.changes(entity))
    )


def page_of(table: Table, parent: str, parent_id: int, limit: int, offset: int) -> Select[Any]:
    """A page of the rows of `table` under one parent (`parent`: the column naming it), by id:
    an order's events and payments, a payment's refunds."""
    return select(table).where(table.c[parent] == parent_id).order_by(table.c.id).limit(limit).offset(offset)


USERS = EntityRows(User, users)


def user_of(row: Mapping[Any, Any]) -> User:
    """A user from a row of `users`, by column name: a SQLAlchemy row's mapping or an asyncpg record."""
    return USERS.from_row(row)


def _user(row: Row[Any]) -> User:
    return user_of(row._mapping)


class SqlUserRepository(UserRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, email: str, password_hash: str, role: Role, now: datetime) -> User:
        fresh = User(0, email, password_hash, role, True, now)
        return await insert_new(self._conn, USERS, fresh)

    async def get(self, user_id: int) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.id == user_id))).first()
        return USERS.from_sql(row) if row else None

    async def get_by_email(self, email: str) -> User | None:
        if "\x00" in email:
            return None
        row = (await self._conn.execute(select(users).where(users.c.email == email))).first()
        return USERS.from_sql(row) if row else None

    async def save(self, user: User) -> None:
        await save_row(self._conn, USERS, user)

    async def list(self, email: str | None, limit: int, offset: int) -> list[User]:
        query = select(users).order_by(users.c.id).limit(limit).offset(offset)
        if email is not None:
            query = query.where(users.c.email == email)
        return [USERS.from_sql(row) for row in await self._conn.execute(query)]


def _created(new: Any, now: datetime) -> dict[str, Any]:
    """A new category's or product's row (`NewCategory`, `NewProduct`: named as its columns),
    active, its id 0 until stored."""
    return {**asdict(new), "id": 0, "is_active": True, "created_at": now, "updated_at": now}


CATEGORIES = EntityRows(Category, categories)


# Alike by shape with SqlUserRepository above and SqlProductRepository below: each is its
# port's few queries over its `EntityRows`; the storing and saving are shared (`insert_new`, `save_row`).
class SqlCategoryRepository(CategoryRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewCategory, now: datetime) -> Category:
        fresh = CATEGORIES.from_row(_created(new, now))
        return await insert_new(self._conn, CATEGORIES, fresh)

    async def get(self, category_id: int) -> Category | None:
        row = (await self._conn.execute(select(categories).where(categories.c.id == category_id))).first()
        return CATEGORIES.from_sql(row) if row else None

    async def get_by_slug(self, slug: str) -> Category | None:
        if "\x00" in slug:
            return None
        row = (await self._conn.execute(select(categories).where(categories.c.slug == slug))).first()
        return CATEGORIES.from_sql(row) if row else None

    async def save(self, category: Category) -> None:
        await save_row(self._conn, CATEGORIES, category)

    async def list(self, only_active: bool, limit: int, offset: int) -> list[Category]:
        query = select(categories).order_by(categories.c.id).limit(limit).offset(offset)
        if only_active:
            query = query.where(categories.c.is_active.is_(True))
        return [CATEGORIES.from_sql(row) for row in await self._conn.execute(query)]


# `search_name`: the name lower-cased by Python for `q` (see the table).
PRODUCTS = EntityRows(Product, products, computed={"search_name": lambda product: product.name.lower()})


def product_query(criteria: ProductFilter) -> Select[Any]:
    """The repository's list query: the shared `product_filter` over the whole rows."""
    params: dict[str, Any] = {}

    def arg(value: Any) -> str:
        name = f"f{len(params)}"
        params[name] = value
        return f":{name}"

    found = product_filter(criteria, arg)
    query = select(_p)
    if found.where:
        query = query.where(text(found.where).bindparams(**params))
    return query.order_by(text(found.order_by)).limit(criteria.limit).offset(criteria.offset)


_p = products.alias("p")


class SqlProductRepository(ProductRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, new: NewProduct, now: datetime) -> Product:
        fresh = PRODUCTS.from_row(_created(new, now))
        return await insert_new(self._conn, PRODUCTS, fresh)

    async def get(self, product_id: int) -> Product | None:
        row = (await self._conn.execute(select(products).where(products.c.id == product_id))).first()
        return PRODUCTS.from_sql(row) if row else None

    async def save(self, product: Product) -> None:
        await save_row(self._conn, PRODUCTS, product)

    async def list(self, criteria: ProductFilter) -> list[Product]:
        return [PRODUCTS.from_sql(row) for row in await self._conn.execute(product_query(criteria))]
