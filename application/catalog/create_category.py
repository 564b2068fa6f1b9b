from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, NewCategory, UnitOfWork
from domain.catalog import CATEGORY_NAME_MAX, Category, check_name, check_slug
from domain.users import Actor


@dataclass(frozen=True, slots=True)
class CategoryDraft:
    name: str
    slug: str


class CreateCategory:
    """Admins add a category; its name and its slug are each unique (AlreadyExists)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, actor: Actor, draft: CategoryDraft) -> Category:
        actor.ensure_admin()
        new = NewCategory(name=check_name(draft.name, CATEGORY_NAME_MAX), slug=check_slug(draft.slug))
        async with self._uow as uow:
            category = await uow.categories.add(new, self._clock.now())
            await uow.commit()
        return category
