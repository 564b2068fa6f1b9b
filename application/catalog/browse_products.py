from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

from application.ids import is_storable_id
from application.ports import CatalogReadModel, ProductFilter, ProductOut, Unchanged, Versioned, rows_tag
from domain.errors import InvalidInput, NotFound
from domain.money import parse_amount

T = TypeVar("T")


def unless_known(answer: Versioned[T], known_versions: Collection[str]) -> Versioned[T] | Unchanged:
    """`Unchanged` when the caller already holds the version of this very answer.

    The version is made of the versions of the rows the answer shows (see
    `application.ports.catalog_reads`), so it is read with them, in the same statement.
    """
    if answer.version in known_versions:
        return Unchanged(answer.version)
    return answer


class ListProducts:
    """Products matching the filter, in a stable order (ties broken by id).

    `only_active` also hides products whose category is deactivated; `q` matches
    the name case-insensitively; the price bounds are inclusive. A caller that
    names the version it holds gets `Unchanged` while the same rows show the same.
    """

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, criteria: ProductFilter, known_versions: Collection[str] = ()
    ) -> Versioned[Sequence[ProductOut]] | Unchanged:
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
        if criteria.category_id is not None and not is_storable_id(criteria.category_id):
            return unless_known(Versioned(rows_tag("P", ()), []), known_versions)  # no row has it
        return unless_known(await self._reads.products(criteria), known_versions)


class GetProduct:
    """One product with its category, shown even when inactive."""

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, product_id: int, known_versions: Collection[str] = ()
    ) -> Versioned[ProductOut] | Unchanged:
        if not is_storable_id(product_id):
            raise NotFound(f"product {product_id} not found")
        found = await self._reads.product(product_id)
        if found.value is None:
            raise NotFound(f"product {product_id} not found")
        return unless_known(Versioned(found.version, found.value), known_versions)
