"""The product list's filter and sort as SQL, written once for every reader of it.

`product_filter` gives the WHERE and ORDER BY of a `ProductFilter` over `products p`, in
SQL that PostgreSQL and SQLite read alike; each caller says how a value becomes a
parameter (`$1` for asyncpg, `:f1` for SQLAlchemy). The repository's `list` and both
catalog readers use it, so the filters cannot mean different things in different places.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from application.ports import ProductFilter, ProductSort
from domain.money import MAX_PRICE

Arg = Callable[[Any], str]
"""Takes a value to bind, gives the placeholder that names it in the SQL."""

MAX_PRICE_MINOR = int(MAX_PRICE * 100)

ORDER_BY = {
    ProductSort.ID: "p.id",
    ProductSort.PRICE: "p.price_minor, p.id",
    ProductSort.PRICE_DESC: "p.price_minor DESC, p.id",
    ProductSort.NAME: "p.name, p.id",
    ProductSort.NEWEST: "p.created_at DESC, p.id DESC",
}


@dataclass(frozen=True, slots=True)
class FilterSql:
    where: str  # "" when every product matches
    order_by: str


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def price_bound(amount: Decimal) -> int:
    """Minor units, clamped so that an absurd bound never overflows a BIGINT."""
    return max(-1, min(int(amount * 100), MAX_PRICE_MINOR + 1))


def product_filter(criteria: ProductFilter, arg: Arg) -> FilterSql:
    """The conditions of `criteria` (limit and offset aside) and its order, ties broken by id."""
    conditions: list[str] = []
    if criteria.category_id is not None:
        conditions.append(f"p.category_id = {arg(criteria.category_id)}")
    if criteria.only_active:
        conditions.append(
            "p.is_active AND EXISTS (SELECT 1 FROM categories c WHERE c.id = p.category_id AND c.is_active)"
        )
    if criteria.query and "\x00" in criteria.query:
        conditions.append("1 = 0")  # no name holds a NUL, and PostgreSQL cannot even compare one
    elif criteria.query:
        conditions.append(f"p.search_name LIKE {arg(f'%{escape_like(criteria.query.lower())}%')} ESCAPE '\\'")
    if criteria.min_price is not None:
        conditions.append(f"p.price_minor >= {arg(price_bound(criteria.min_price))}")
    if criteria.max_price is not None:
        conditions.append(f"p.price_minor <= {arg(price_bound(criteria.max_price))}")
    return FilterSql(" AND ".join(conditions), ORDER_BY[criteria.sort])
