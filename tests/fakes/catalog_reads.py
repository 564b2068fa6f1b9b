"""The catalog read model over the fakes: the use-case tests' twin of the SQL one."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import (
    CatalogReadModel,
    CategoryView,
    ProductDetailView,
    ProductFilter,
    ProductView,
    Versioned,
    price_text,
)
from domain.catalog import Category, Product
from tests.fakes.catalog import MemoryCategoryRepository, MemoryProductRepository
from tests.fakes.state import MemoryDatabase


@dataclass(slots=True)
class CategoryRow:
    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class ProductRow:
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


@dataclass(slots=True)
class ProductDetailRow:
    id: int
    name: str
    description: str
    price: str
    currency: str
    category_id: int
    category: CategoryView | None
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


def category_view(category: Category) -> CategoryRow:
    return CategoryRow(
        category.id,
        category.name,
        category.slug,
        category.is_active,
        category.created_at,
        category.updated_at,
    )


def product_view(product: Product) -> ProductRow:
    return ProductRow(
        id=product.id,
        name=product.name,
        description=product.description,
        price=price_text(product.price.minor),
        currency=product.price.currency,
        category_id=product.category_id,
        stock=product.stock,
        is_active=product.is_active,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


class MemoryCatalogReadModel(CatalogReadModel):
    """The version is a digest of the catalog's content: any change to it is a new version."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def version(self) -> str:
        state = self._db.state
        content = (sorted(state.categories.items()), sorted(state.products.items()))
        return hashlib.sha256(pickle.dumps(content)).hexdigest()[:16]

    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductView]]:
        found = await MemoryProductRepository(self._db.state).list(criteria)
        return Versioned(await self.version(), [product_view(p) for p in found])

    async def product(self, product_id: int) -> Versioned[ProductDetailView | None]:
        version = await self.version()
        product = self._db.state.products.get(product_id)
        if product is None:
            return Versioned(version, None)
        category = self._db.state.categories.get(product.category_id)
        view = product_view(product)
        detail = ProductDetailRow(
            id=view.id,
            name=view.name,
            description=view.description,
            price=view.price,
            currency=view.currency,
            category_id=view.category_id,
            category=category_view(category) if category else None,
            stock=view.stock,
            is_active=view.is_active,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )
        return Versioned(version, detail)

    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryView]]:
        found = await MemoryCategoryRepository(self._db.state).list(only_active, limit, offset)
        return Versioned(await self.version(), [category_view(c) for c in found])

    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryView | None]:
        categories = MemoryCategoryRepository(self._db.state)
        if category_id is not None:
            found = await categories.get(category_id)
        else:
            found = await categories.get_by_slug(slug or "")
        return Versioned(await self.version(), category_view(found) if found else None)
