from __future__ import annotations

from dataclasses import dataclass

from application.catalog.products import find_product
from application.common import is_storable_id
from application.ports import ProductFilter, UnitOfWork
from domain.catalog import Category, Product
from domain.errors import InvalidInput
from domain.money import parse_amount


class ListProducts:
    """Products matching the filter, in a stable order (ties broken by id).

    `only_active` also hides products whose category is deactivated; `q` matches
    the name case-insensitively; the price bounds are inclusive.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, criteria: ProductFilter) -> list[Product]:
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
            return []
        async with self._uow as uow:
            return await uow.products.list(criteria)


@dataclass(frozen=True, slots=True)
class ProductWithCategory:
    product: Product
    category: Category | None


class GetProduct:
    """One product with its category, shown even when inactive."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, product_id: int) -> ProductWithCategory:
        async with self._uow as uow:
            product = await find_product(uow, product_id)
            category = await uow.categories.get(product.category_id)
        return ProductWithCategory(product, category)
