"""The catalog read model over the fakes: the use-case tests' twin of the SQL one.

Its versions are made as the SQL reader makes them, from the rows' own versions, which the
fake tables bump on every write as the database's triggers do (`VersionedTable`).
"""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import (
    CatalogReadModel,
    CategoryOut,
    ProductFilter,
    ProductOut,
    Versioned,
    category_out,
    category_tag,
    product_out,
    product_tag,
    rows_tag,
)
from tests.fakes.catalog import MemoryCategoryRepository, MemoryProductRepository
from tests.fakes.state import MemoryDatabase


class MemoryCatalogReadModel(CatalogReadModel):
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def products(self, criteria: ProductFilter) -> Versioned[Sequence[ProductOut]]:
        found = await MemoryProductRepository(self._db.state).list(criteria)
        versions = self._db.state.products.versions
        tag = rows_tag("P", [value for p in found for value in (p.id, versions[p.id])])
        return Versioned(tag, [product_out(p) for p in found])

    async def product(self, product_id: int) -> Versioned[ProductOut | None]:
        state = self._db.state
        product = state.products.get(product_id)
        category = state.categories.get(product.category_id) if product else None
        if product is None or category is None:
            return Versioned("", None)
        tag = product_tag(
            product.id,
            state.products.versions[product.id],
            category.id,
            state.categories.versions[category.id],
        )
        return Versioned(tag, product_out(product, category))

    async def categories(
        self, only_active: bool, limit: int, offset: int
    ) -> Versioned[Sequence[CategoryOut]]:
        found = await MemoryCategoryRepository(self._db.state).list(only_active, limit, offset)
        versions = self._db.state.categories.versions
        tag = rows_tag("C", [value for c in found for value in (c.id, versions[c.id])])
        return Versioned(tag, [category_out(c) for c in found])

    async def category(self, category_id: int | None, slug: str | None) -> Versioned[CategoryOut | None]:
        categories = MemoryCategoryRepository(self._db.state)
        if category_id is not None:
            found = await categories.get(category_id)
        else:
            found = await categories.get_by_slug(slug or "")
        if found is None:
            return Versioned("", None)
        return Versioned(
            category_tag(found.id, self._db.state.categories.versions[found.id]), category_out(found)
        )
