"""The schema, as SQLAlchemy Core tables. Every constraint is named: the names
map database errors back to domain errors (see `errors.py`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from adapters.sql.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
Id = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("email"),
    CheckConstraint("role IN ('customer', 'admin')", name="role"),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("slug", String(50), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name"),
    UniqueConstraint("slug"),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # Lower-cased by Python (Unicode-aware) for `q`: SQLite's lower() is ASCII-only.
    Column("search_name", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=False),
    Column("stock", Integer, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name"),
    CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    CheckConstraint("price_minor > 0", name="price_positive"),
    Index(None, "category_id", "id"),
    Index(None, "price_minor", "id"),
    Index(None, "created_at", "id"),
)
