"""The catalog: categories and the products in them, with their stock rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import InvalidInput
from domain.money import Money
from domain.text import has_bidi_control, has_control, whole

CATEGORY_NAME_MAX = 50
SLUG_MAX = 50
PRODUCT_NAME_MAX = 100
DESCRIPTION_MAX = 500
DESCRIPTION_CONTROLS_ALLOWED = "\t\n\r"
_SLUG = re.compile(r"[a-z0-9-]{1,50}")
SLUG_PATTERN = whole("[0-9-]*[a-z][a-z0-9-]*")
"""The slug's shape for the edge: a-z, 0-9 and '-' with at least one letter (length and
`all` are checked apart: a portable regex has no lookahead to spare for them)."""
_RESERVED_SLUGS = frozenset({"all"})


def check_name(raw: str, maximum: int, field: str = "name") -> str:
    # Judged before trimming: `strip` would also take control characters off the ends.
    if has_control(raw):
        raise InvalidInput.for_field(field, "must not contain control characters")
    if has_bidi_control(raw):
        raise InvalidInput.for_field(field, "must not contain bidi control characters")
    name = raw.strip()
    if not 1 <= len(name) <= maximum:
        raise InvalidInput.for_field(field, f"must be 1 to {maximum} characters long")
    return name


def check_slug(raw: str, field: str = "slug") -> str:
    """`[a-z0-9-]{1,50}` with a letter in it and not `all`: a slug never reads as an id or the list path."""
    if not _SLUG.fullmatch(raw) or not any("a" <= ch <= "z" for ch in raw):
        raise InvalidInput.for_field(field, "must be 1 to 50 of a-z, 0-9 and '-', with at least one letter")
    if raw in _RESERVED_SLUGS:
        raise InvalidInput.for_field(field, f"'{raw}' is reserved")
    return raw


def check_description(raw: str, field: str = "description") -> str:
    """Free text: tabs and line breaks are kept, other control characters refused."""
    if len(raw) > DESCRIPTION_MAX:
        raise InvalidInput.for_field(field, f"must be at most {DESCRIPTION_MAX} characters long")
    if has_control(raw, allowed=DESCRIPTION_CONTROLS_ALLOWED):
        raise InvalidInput.for_field(
            field, "must not contain control characters other than tab and line breaks"
        )
    return raw


def check_stock(raw: int | None, field: str = "stock") -> int | None:
    """`None` is an untracked (unlimited) product; otherwise a count >= 0."""
    if raw is not None and not 0 <= raw <= 2_000_000_000:
        raise InvalidInput.for_field(field, "must be null or an integer from 0 to 2000000000")
    return raw


# Deliberate twin of its view, `CategoryOut` (application/ports/catalog_reads.py): the
# entity stays separate from what the API shows.
@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime

    def deactivated(self, now: datetime) -> Category:
        return replace(self, is_active=False, updated_at=now)


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    name: str
    description: str
    price: Money
    category_id: int
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def is_tracked(self) -> bool:
        return self.stock is not None

    def deactivated(self, now: datetime) -> Product:
        return replace(self, is_active=False, updated_at=now)
