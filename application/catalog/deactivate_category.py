from __future__ import annotations

from application.catalog.categories import find_category
from application.ports import Clock, UnitOfWork
from domain.catalog import Category
from domain.users import Actor


# Deliberate twin of DeactivateProduct (see there).
class DeactivateCategory:
    """Soft delete: the category and its products leave active listings and cannot be ordered.

    Idempotent: deactivating an inactive category changes nothing.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, ref: str) -> Category:
        actor.ensure_admin()
        async with self._uow as uow:
            category = await find_category(uow.categories, ref)
            if not category.is_active:
                return category
            category = category.deactivated(self._clock.now())
            await uow.categories.save(category)
            await uow.commit()
        return category
