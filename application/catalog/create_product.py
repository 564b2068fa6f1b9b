from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from application.ids import is_storable_id
from application.ports import Clock, NewProduct, UnitOfWork
from domain.catalog import (
    PRODUCT_NAME_MAX,
    Product,
    check_description,
    check_name,
    check_stock,
)
from domain.errors import InvalidInput
from domain.money import price_of
from domain.users import Actor


@dataclass(frozen=True, slots=True)
class ProductDraft:
    name: str
    price: Decimal | str | int | float
    category_id: int
    description: str = ""
    stock: int | None = None


class CreateProduct:
    """Admins add a product to an active category.

    - name 1–100 and unique (AlreadyExists), description up to 500;
    - price > 0, two decimals, at most 99 999 999.99, in the store currency; whole in a
      currency with no minor unit (`domain.money.price_of`);
    - stock `None` (untracked, the default) or an integer >= 0;
    - an unknown or inactive category is invalid input, not a missing resource.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock, currency: str) -> None:
        self._uow = uow
        self._clock = clock
        self._currency = currency

    async def __call__(self, actor: Actor, draft: ProductDraft) -> Product:
        actor.ensure_admin()
        new = NewProduct(
            name=check_name(draft.name, PRODUCT_NAME_MAX),
            description=check_description(draft.description),
            price_minor=price_of(draft.price, self._currency).minor,
            currency=self._currency,
            category_id=draft.category_id,
            stock=check_stock(draft.stock),
        )
        async with self._uow as uow:
            await ensure_active_category(uow, draft.category_id)
            product = await uow.products.add(new, self._clock.now())
            await uow.commit()
        return product


async def ensure_active_category(uow: UnitOfWork, category_id: int) -> None:
    category = await uow.categories.get(category_id) if is_storable_id(category_id) else None
    if category is None:
        raise InvalidInput.for_field("category_id", f"category {category_id} does not exist")
    if not category.is_active:
        raise InvalidInput.for_field("category_id", f"category {category_id} is not active")
