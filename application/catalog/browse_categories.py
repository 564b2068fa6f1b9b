from __future__ import annotations

from application.catalog.categories import find_category
from application.common import Page
from application.ports import UnitOfWork
from domain.catalog import Category


class ListCategories:
    """Categories ordered by id; `only_active` hides deactivated ones."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, only_active: bool, page: Page) -> list[Category]:
        async with self._uow as uow:
            return await uow.categories.list(only_active, page.limit, page.offset)


class GetCategory:
    """One category by id or slug, active or not."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, ref: str) -> Category:
        async with self._uow as uow:
            return await find_category(uow.categories, ref)
