from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from application.catalog.create_product import ensure_active_category
from application.catalog.products import find_product
from application.patch import UNCHANGED, Patch
from application.ports import Clock, UnitOfWork
from domain.catalog import PRODUCT_NAME_MAX, Product, check_description, check_name, check_stock
from domain.money import parse_price, price_of
from domain.users import Actor


@dataclass(frozen=True, slots=True)
class ProductChanges:
    name: Patch[str] = UNCHANGED
    description: Patch[str] = UNCHANGED
    price: Patch[Decimal | str | int | float] = UNCHANGED
    category_id: Patch[int] = UNCHANGED
    stock: Patch[int | None] = UNCHANGED
    is_active: Patch[bool] = UNCHANGED


class UpdateProduct:
    """Admins change a product; the same rules as creation hold for every given field.

    Moving it to another category requires that category to exist and be active.
    Orders already placed keep the price they were placed at.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, product_id: int, changes: ProductChanges) -> Product:
        actor.ensure_admin()
        fields: dict[str, object] = {}
        if changes.name is not UNCHANGED:
            fields["name"] = check_name(changes.name, PRODUCT_NAME_MAX)
        if changes.description is not UNCHANGED:
            fields["description"] = check_description(changes.description)
        if changes.stock is not UNCHANGED:
            fields["stock"] = check_stock(changes.stock)
        if changes.is_active is not UNCHANGED:
            fields["is_active"] = changes.is_active
        price = None if changes.price is UNCHANGED else parse_price(changes.price)
        async with self._uow as uow:
            product = await find_product(uow, product_id)
            if price is not None:
                fields["price"] = price_of(price, product.price.currency)
            if changes.category_id is not UNCHANGED and changes.category_id != product.category_id:
                await ensure_active_category(uow, changes.category_id)
                fields["category_id"] = changes.category_id
            updated = replace(product, **fields)  # type: ignore[arg-type]
            if updated == product:
                return product
            updated = replace(updated, updated_at=self._clock.now())
            await uow.products.save(updated)
            await uow.commit()
        return updated
