"""The catalog reader on every storage: the same views as the repositories' entities, for
every filter, and versions that follow exactly the rows an answer shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest

from application.ports import NewCategory, NewProduct, ProductFilter, ProductSort, category_out, product_out
from domain.catalog import Category, Product
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)

FILTERS = [
    ProductFilter(),
    *(ProductFilter(sort=sort) for sort in ProductSort),
    ProductFilter(category_id=2),
    ProductFilter(category_id=2**62),
    ProductFilter(only_active=True),
    ProductFilter(query="EA"),
    ProductFilter(query="100%_\\"),
    ProductFilter(query="nul\x00"),
    ProductFilter(min_price=Decimal("5.00"), max_price=Decimal("12.34")),
    ProductFilter(min_price=Decimal("1e30")),
    ProductFilter(max_price=Decimal("-1")),
    ProductFilter(limit=2, offset=1, sort=ProductSort.PRICE_DESC),
    ProductFilter(only_active=True, category_id=1, query="t", min_price=Decimal(1), sort=ProductSort.NAME),
]


async def shelf(storage: Storage) -> tuple[list[Category], list[Product]]:
    async with storage.unit_of_work() as uow:
        tea = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        coffee = await uow.categories.add(NewCategory("Coffee", "coffee"), NOW)
        made = [
            await uow.products.add(NewProduct("Green tea", "Leaves.\n", 1_234, "RUB", tea.id, 5), NOW),
            await uow.products.add(NewProduct("Black tea", "", 500, "RUB", tea.id, None), NOW),
            await uow.products.add(NewProduct("Beans 100%_\\", "", 99_999_999_99, "RUB", coffee.id, 0), NOW),
            await uow.products.add(NewProduct("Mug", "", 5, "RUB", coffee.id, 1), NOW),
        ]
        await uow.products.save(replace(made[1], is_active=False))
        await uow.categories.save(replace(coffee, is_active=False))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        categories = [c for c in [await uow.categories.get(tea.id), await uow.categories.get(coffee.id)] if c]
        products = [p for p in [await uow.products.get(p.id) for p in made] if p]
    return categories, products


@pytest.mark.parametrize("criteria", FILTERS, ids=repr)
async def test_the_reader_shows_what_the_repository_lists(storage: Storage, criteria: ProductFilter) -> None:
    await shelf(storage)
    async with storage.unit_of_work() as uow:
        expected = [product_out(p) for p in await uow.products.list(criteria)]
    found = await storage.catalog_reads.products(criteria)
    assert list(found.value) == expected
    assert msgspec.json.encode(found.value) == msgspec.json.encode(expected)


async def test_the_reader_shows_one_product_with_its_category_and_each_category(storage: Storage) -> None:
    categories, products = await shelf(storage)
    for product in products:
        category = next(c for c in categories if c.id == product.category_id)
        assert (await storage.catalog_reads.product(product.id)).value == product_out(product, category)
    assert (await storage.catalog_reads.product(999)).value is None
    for category in categories:
        assert (await storage.catalog_reads.category(category.id, None)).value == category_out(category)
        assert (await storage.catalog_reads.category(None, category.slug)).value == category_out(category)
    assert list((await storage.catalog_reads.categories(False, 50, 0)).value) == [
        category_out(c) for c in categories
    ]
    assert list((await storage.catalog_reads.categories(True, 50, 0)).value) == [category_out(categories[0])]


async def versions(storage: Storage, product_id: int) -> dict[str, str]:
    reads = storage.catalog_reads
    return {
        "products": (await reads.products(ProductFilter())).version,
        "active": (await reads.products(ProductFilter(only_active=True))).version,
        "product": (await reads.product(product_id)).version,
        "categories": (await reads.categories(False, 50, 0)).version,
        "category": (await reads.category(1, None)).version,
    }


async def test_stock_taken_changes_the_versions_of_what_shows_that_product_only(storage: Storage) -> None:
    _, products = await shelf(storage)
    green, mug = products[0], products[3]  # tea (active), coffee (deactivated category)
    before = await versions(storage, green.id)
    async with storage.unit_of_work() as uow:
        assert await uow.stock.reserve({mug.id: 1}) == {}
        await uow.commit()
    after = await versions(storage, green.id)
    # The mug is in the full list, not in the active one (its category is off), not on green's page.
    assert {name for name in after if after[name] != before[name]} == {"products"}
    async with storage.unit_of_work() as uow:
        await uow.stock.release({green.id: 2})
        await uow.commit()
    again = await versions(storage, green.id)
    assert {name for name in again if again[name] != after[name]} == {"products", "active", "product"}


async def test_a_category_change_reaches_the_category_answers_and_the_lists_it_filters(
    storage: Storage,
) -> None:
    categories, products = await shelf(storage)
    green = products[0]
    before = await versions(storage, green.id)
    async with storage.unit_of_work() as uow:
        await uow.categories.save(replace(categories[1], is_active=True, updated_at=NOW))  # coffee back
        await uow.commit()
    after = await versions(storage, green.id)
    # Coffee's products join the active list; green's page shows tea, untouched.
    assert {name for name in after if after[name] != before[name]} == {"active", "categories"}
