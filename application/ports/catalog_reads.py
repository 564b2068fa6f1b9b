"""The catalog's read side: views for display, each with the catalog version it was read at.

Every catalog write (and every change of tracked stock, which products show) changes
the catalog version in the same transaction, so a client that already holds the
version it was shown can be told "unchanged" after a check that reads no rows.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from application.ports.catalog import ProductFilter

T = TypeVar("T")


# What the views hold, as protocols: each read model builds its own kind of object (the
# SQL one, the cheapest its rows can become) and the HTTP layer encodes them as they are.
class CategoryView(Protocol):
    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductView(Protocol):
    id: int
    name: str
    description: str
    price: str  # two decimals, as shown: "149.90"
    currency: str
    category_id: int
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductDetailView(ProductView, Protocol):
    """A product with its category, for the product page."""

    @property
    def category(self) -> CategoryView | None: ...


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    """What was read, and the catalog version it was read at."""

    version: str
    value: T


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The caller's copy is current: `version` is still the catalog's version."""

    version: str


def price_text(minor: int) -> str:
    """Minor units as the two-decimal amount the API shows (prices are never negative)."""
    return f"{minor // 100}.{minor % 100:02d}"


class CatalogReadModel(Protocol):
    """Queries for display. Each answer is consistent with the version it carries."""

    @abstractmethod
    async def version(self) -> str:
        """The current catalog version: an opaque token that changes with every catalog write."""

    @abstractmethod
    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductView]]: ...

    @abstractmethod
    async def product(self, product_id: int) -> Versioned[ProductDetailView | None]: ...

    @abstractmethod
    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryView]]: ...

    @abstractmethod
    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryView | None]:
        """By id, or else by slug."""
