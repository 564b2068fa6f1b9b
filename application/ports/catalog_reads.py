"""The catalog's read side: one view per resource, and the version each answer was read at.

The views are the API's JSON as it is (`CategoryOut`, `ProductOut`, the names the API
document has always given them): every reader builds them, the HTTP layer encodes them
untouched, and the write routes answer with the same ones. They are msgspec structs, the
one library this module leans on (import-linter allows it here and nowhere else in
`application`): built from a row in one C call and encoded without a detour, which the
catalog's fast path measures (docs/performance.md). Adding a field to a product is the
domain, the migration with its column, and a field here; readers select what the views
declare.

Versions: every product and category row carries one that the database bumps on each
UPDATE of the row (migration 0011), so no write can forget it. An answer's version is
made of the versions of the rows it shows (`category_tag`, `product_tag`, `rows_tag`): it
changes when, and only when, something the answer shows may have changed. An order of
product Y changes Y's row only, so product X's page keeps its tag (and its 304s).
"""

from __future__ import annotations

from abc import abstractmethod
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b
from typing import Generic, Protocol, TypeVar

import msgspec
from msgspec import UnsetType

from application.ports.catalog import ProductFilter
from domain.catalog import Category, Product

T = TypeVar("T")


# kw_only keeps the fields in the order written (and shown), `category` in the middle;
# gc=False: views never take part in reference cycles, so the collector skips them.
# The view is a deliberate twin of `domain.catalog.Category`: the domain entity stays
# separate from what the API shows (issue 13, "one read view per resource").
class CategoryOut(msgspec.Struct, kw_only=True, gc=False):
    """A category as shown."""

    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ProductOut(msgspec.Struct, kw_only=True, gc=False):
    """A product as shown; `category` only on the product's own page."""

    id: int
    name: str
    description: str
    price: str  # two decimals, as shown: "149.90"
    currency: str
    category_id: int
    category: CategoryOut | UnsetType = msgspec.UNSET
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


NESTED_FIELDS = frozenset({"category"})
"""View fields that are other views, not columns of the resource's own table."""


def price_text(minor: int) -> str:
    """Minor units as the two-decimal amount the API shows (prices are never negative)."""
    return f"{minor // 100}.{minor % 100:02d}"


# Views are deliberate twins of their entities and of each other: one view per resource,
# its `of` copying the entity field by field (test_view_shapes.py holds each view to its table).
def category_out(category: Category) -> CategoryOut:
    return CategoryOut(
        id=category.id,
        name=category.name,
        slug=category.slug,
        is_active=category.is_active,
        created_at=category.created_at,
        updated_at=category.updated_at,
    )


def product_out(product: Product, category: Category | None = None) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        description=product.description,
        price=price_text(product.price.minor),
        currency=product.price.currency,
        category_id=product.category_id,
        category=category_out(category) if category else msgspec.UNSET,
        stock=product.stock,
        is_active=product.is_active,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


# ---- versions --------------------------------------------------------------------------


def category_tag(category_id: int, version: int) -> str:
    """One category's answer: its row's version."""
    return f"c{category_id}.{version}"


def product_tag(product_id: int, version: int, category_id: int, category_version: int) -> str:
    """A product's page: its row's version and its category's (the page shows both)."""
    return f"p{product_id}.{version}.{category_id}.{category_version}"


def rows_tag(kind: str, id_versions: Iterable[int]) -> str:
    """A list's answer from the (id, version) of each row it shows, flattened in order.

    The URL fixes the filter and the sort, the rows' versions fix their content: the same
    pairs mean the same JSON. A 128-bit digest keeps the tag short whatever the page size.
    """
    pairs = array("q", id_versions)
    return f"{kind}{len(pairs) // 2}.{blake2b(pairs.tobytes(), digest_size=16).hexdigest()}"


@dataclass(frozen=True, slots=True)
class Versioned(Generic[T]):
    """What was read, and the version of exactly that."""

    version: str
    value: T


@dataclass(frozen=True, slots=True)
class Unchanged:
    """The caller's copy is current: `version` is still the answer's version."""

    version: str


class CatalogReadModel(Protocol):
    """Queries for display, each answer with the version of the rows it shows (see above)."""

    @abstractmethod
    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductOut]]:
        """The filter's page, without `category`; version `rows_tag("P", …)`."""

    @abstractmethod
    async def product(self, product_id: int) -> Versioned[ProductOut | None]:
        """One product with its category; version `product_tag` (an absent one: "")."""

    @abstractmethod
    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryOut]]:
        """Ordered by id; version `rows_tag("C", …)`."""

    @abstractmethod
    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryOut | None]:
        """By id, or else by slug; version `category_tag` (an absent one: "")."""
