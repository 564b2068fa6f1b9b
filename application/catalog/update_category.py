from __future__ import annotations

from dataclasses import dataclass, replace

from application.catalog.categories import find_category
from application.patch import UNCHANGED, Patch
from application.ports import Clock, UnitOfWork
from domain.catalog import CATEGORY_NAME_MAX, Category, check_name, check_slug
from domain.users import Actor


@dataclass(frozen=True, slots=True)
class CategoryChanges:
    name: Patch[str] = UNCHANGED
    slug: Patch[str] = UNCHANGED
    is_active: Patch[bool] = UNCHANGED


class UpdateCategory:
    """Admins rename, re-slug, or (re)activate a category; uniqueness still holds."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, ref: str, changes: CategoryChanges) -> Category:
        actor.ensure_admin()
        name = changes.name
        slug = changes.slug
        if name is not UNCHANGED:
            name = check_name(name, CATEGORY_NAME_MAX)
        if slug is not UNCHANGED:
            slug = check_slug(slug)
        async with self._uow as uow:
            category = await find_category(uow.categories, ref)
            updated = replace(
                category,
                name=category.name if name is UNCHANGED else name,
                slug=category.slug if slug is UNCHANGED else slug,
                is_active=category.is_active if changes.is_active is UNCHANGED else changes.is_active,
            )
            if updated != category:
                updated = replace(updated, updated_at=self._clock.now())
                await uow.categories.save(updated)
                await uow.commit()
        return updated
