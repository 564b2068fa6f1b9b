from __future__ import annotations

from application.catalog.products import find_product
from application.ports import Clock, UnitOfWork
from domain.catalog import Product
from domain.users import Actor


# Deliberate twin of DeactivateCategory and of auth's ActivateUser/DeactivateUser: one use case
# per action on its own entity; the entity's `deactivated` holds the rule.
class DeactivateProduct:
    """Soft delete: hidden from active listings, cannot be ordered; idempotent."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, product_id: int) -> Product:
        actor.ensure_admin()
        async with self._uow as uow:
            product = await find_product(uow, product_id)
            if not product.is_active:
                return product
            product = product.deactivated(self._clock.now())
            await uow.products.save(product)
            await uow.commit()
        return product
