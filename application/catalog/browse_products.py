from __future__ import annotations

from collections.abc import Collection, Sequence

from application.ids import is_storable_id
from application.ports import (
    CatalogReadModel,
    ProductDetailView,
    ProductFilter,
    ProductView,
    Unchanged,
    Versioned,
)
from domain.errors import InvalidInput, NotFound
from domain.money import parse_amount


async def unchanged(reads: CatalogReadModel, known_versions: Collection[str]) -> Unchanged | None:
    """`Unchanged` when the caller already holds the current catalog version; reads no rows."""
    if not known_versions:
        return None
    version = await reads.version()
    return Unchanged(version) if version in known_versions else None


class ListProducts:
    """Products matching the filter, in a stable order (ties broken by id).

    `only_active` also hides products whose category is deactivated; `q` matches
    the name case-insensitively; the price bounds are inclusive. A caller that
    names the catalog version it holds gets `Unchanged` while it is current.
    """

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, criteria: ProductFilter, known_versions: Collection[str] = ()
    ) -> Versioned[Sequence[ProductView]] | Unchanged:
        for field in ("min_price", "max_price"):
            bound = getattr(criteria, field)
            if bound is not None:
                parse_amount(bound, field)
        if (
            criteria.min_price is not None
            and criteria.max_price is not None
            and criteria.min_price > criteria.max_price
        ):
            raise InvalidInput.for_field("min_price", "must not exceed max_price")
        if same := await unchanged(self._reads, known_versions):
            return same
        if criteria.category_id is not None and not is_storable_id(criteria.category_id):
            return Versioned(await self._reads.version(), [])
        return await self._reads.products(criteria)


class GetProduct:
    """One product with its category, shown even when inactive."""

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, product_id: int, known_versions: Collection[str] = ()
    ) -> Versioned[ProductDetailView] | Unchanged:
        if not is_storable_id(product_id):
            raise NotFound(f"product {product_id} not found")
        if same := await unchanged(self._reads, known_versions):
            return same
        found = await self._reads.product(product_id)
        if found.value is None:
            raise NotFound(f"product {product_id} not found")
        return Versioned(found.version, found.value)
