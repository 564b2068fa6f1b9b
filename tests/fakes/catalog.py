"""The fake category and product repositories, with the SQL ones' uniqueness, filters and order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.sql.errors import UNIQUE_VIOLATIONS
from application.ports import (
    CategoryRepository,
    NewCategory,
    NewProduct,
    ProductFilter,
    ProductRepository,
    ProductSort,
)
from domain.catalog import Category, Product
from domain.errors import AlreadyExists
from domain.money import Money
from tests.fakes.state import MemoryState


class MemoryCategoryRepository(CategoryRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_unique(self, name: str, slug: str, own_id: int | None) -> None:
        others = [c for c in self._s.categories.values() if c.id != own_id]
        if any(c.name == name for c in others):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_categories_name"])
        if any(c.slug == slug for c in others):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_categories_slug"])

    async def add(self, new: NewCategory, now: datetime) -> Category:
        self._check_unique(new.name, new.slug, None)
        category = Category(self._s.next_id("categories"), new.name, new.slug, True, now, now)
        self._s.categories[category.id] = category
        return category

    async def get(self, category_id: int) -> Category | None:
        return self._s.categories.get(category_id)

    async def get_by_slug(self, slug: str) -> Category | None:
        return next((c for c in self._s.categories.values() if c.slug == slug), None)

    async def save(self, category: Category) -> None:
        stored = self._s.categories.get(category.id)
        if stored is None:
            return
        self._check_unique(category.name, category.slug, category.id)
        self._s.categories[category.id] = replace(category, created_at=stored.created_at)

    async def list(self, only_active: bool, limit: int, offset: int) -> list[Category]:
        found = sorted(self._s.categories.values(), key=lambda c: c.id)
        if only_active:
            found = [c for c in found if c.is_active]
        return found[offset : offset + limit]


def _minor(amount: Decimal) -> int:
    """A price bound in minor units, as the SQL query compares it."""
    return int(amount * 100)


_SORT_KEYS: dict[ProductSort, tuple[Callable[[Product], Any], bool]] = {
    ProductSort.ID: (lambda p: p.id, False),
    ProductSort.PRICE: (lambda p: (p.price.minor, p.id), False),
    ProductSort.PRICE_DESC: (lambda p: (-p.price.minor, p.id), False),
    ProductSort.NAME: (lambda p: (p.name, p.id), False),
    ProductSort.NEWEST: (lambda p: (p.created_at, p.id), True),
}


class MemoryProductRepository(ProductRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_unique(self, name: str, own_id: int | None) -> None:
        if any(p.name == name and p.id != own_id for p in self._s.products.values()):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_products_name"])

    async def add(self, new: NewProduct, now: datetime) -> Product:
        self._check_unique(new.name, None)
        product = Product(
            id=self._s.next_id("products"),
            name=new.name,
            description=new.description,
            price=Money(new.price_minor, new.currency),
            category_id=new.category_id,
            stock=new.stock,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        self._s.products[product.id] = product
        return product

    async def get(self, product_id: int) -> Product | None:
        return self._s.products.get(product_id)

    async def save(self, product: Product) -> None:
        stored = self._s.products.get(product.id)
        if stored is None:
            return
        self._check_unique(product.name, product.id)
        self._s.products[product.id] = replace(product, created_at=stored.created_at)

    async def list(self, criteria: ProductFilter) -> list[Product]:
        found = list(self._s.products.values())
        if criteria.category_id is not None:
            found = [p for p in found if p.category_id == criteria.category_id]
        if criteria.only_active:
            active = {c.id for c in self._s.categories.values() if c.is_active}
            found = [p for p in found if p.is_active and p.category_id in active]
        if criteria.query:
            needle = criteria.query.lower()
            found = [p for p in found if needle in p.name.lower()]
        if criteria.min_price is not None:
            low = _minor(criteria.min_price)
            found = [p for p in found if p.price.minor >= low]
        if criteria.max_price is not None:
            high = _minor(criteria.max_price)
            found = [p for p in found if p.price.minor <= high]
        key, newest_first = _SORT_KEYS[criteria.sort]
        found.sort(key=key, reverse=newest_first)
        return found[criteria.offset : criteria.offset + criteria.limit]
