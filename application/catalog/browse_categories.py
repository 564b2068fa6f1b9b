from __future__ import annotations

from collections.abc import Collection, Sequence

from application.catalog.browse_products import unless_known
from application.ids import is_storable_id
from application.paging import Page
from application.ports import CatalogReadModel, CategoryOut, Unchanged, Versioned
from domain.errors import NotFound


class ListCategories:
    """Categories ordered by id; `only_active` hides deactivated ones."""

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, only_active: bool, page: Page, known_versions: Collection[str] = ()
    ) -> Versioned[Sequence[CategoryOut]] | Unchanged:
        return unless_known(
            await self._reads.categories(only_active, page.limit, page.offset), known_versions
        )


class GetCategory:
    """One category by id or slug, active or not.

    `ref` is an id when it is all digits (a slug always has a letter), else a slug.
    """

    def __init__(self, reads: CatalogReadModel) -> None:
        self._reads = reads

    async def __call__(
        self, ref: str, known_versions: Collection[str] = ()
    ) -> Versioned[CategoryOut] | Unchanged:
        category_id: int | None = None
        slug: str | None = None
        if ref.isascii() and ref.isdigit():
            category_id = int(ref)
            if not is_storable_id(category_id):
                raise NotFound(f"category '{ref}' not found")
        elif len(ref) <= 50 and "\x00" not in ref:
            slug = ref
        else:
            raise NotFound(f"category '{ref}' not found")
        found = await self._reads.category(category_id, slug)
        if found.value is None:
            raise NotFound(f"category '{ref}' not found")
        return unless_known(Versioned(found.version, found.value), known_versions)
