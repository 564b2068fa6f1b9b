"""Finding a category by its id or its slug, as the catalog paths allow both."""

from __future__ import annotations

from application.ids import is_storable_id
from application.ports import CategoryRepository
from domain.catalog import Category
from domain.errors import NotFound


async def find_category(categories: CategoryRepository, ref: str) -> Category:
    """`ref` is an id when it is all digits (a slug always has a letter), else a slug."""
    category: Category | None = None
    if ref.isascii() and ref.isdigit():
        category_id = int(ref)
        if is_storable_id(category_id):
            category = await categories.get(category_id)
    elif len(ref) <= 50:
        category = await categories.get_by_slug(ref)
    if category is None:
        raise NotFound(f"category '{ref}' not found")
    return category
