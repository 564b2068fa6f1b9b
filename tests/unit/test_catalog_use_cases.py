from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.catalog.browse_categories import GetCategory, ListCategories
from application.catalog.browse_products import GetProduct, ListProducts
from application.catalog.create_category import CategoryDraft, CreateCategory
from application.catalog.create_product import CreateProduct, ProductDraft
from application.catalog.deactivate_category import DeactivateCategory
from application.catalog.deactivate_product import DeactivateProduct
from application.catalog.update_category import CategoryChanges, UpdateCategory
from application.catalog.update_product import ProductChanges, UpdateProduct
from application.paging import Page
from application.ports import (
    CategoryOut,
    ProductFilter,
    ProductOut,
    ProductSort,
    Unchanged,
    Versioned,
    product_out,
)
from domain.catalog import Category, Product
from domain.errors import AccessDenied, AlreadyExists, InvalidInput, NotFound
from tests.fakes import MemoryDatabase, MemoryUnitOfWork
from tests.fakes.catalog_reads import MemoryCatalogReadModel
from tests.unit.conftest import ADMIN, CUSTOMER, SteppingClock

T = TypeVar("T")


def current(answer: Versioned[T] | Unchanged) -> T:
    assert isinstance(answer, Versioned)
    return answer.value


def listed(found: ProductOut) -> ProductOut:
    """The product as a list shows it: without its category."""
    return msgspec.structs.replace(found, category=msgspec.UNSET)


class Catalog:
    """Every catalog use case over one in-memory store."""

    def __init__(self, memory: MemoryDatabase, clock: SteppingClock) -> None:
        uow = MemoryUnitOfWork(memory)
        self.create_category = CreateCategory(uow, clock)
        self.update_category = UpdateCategory(uow, clock)
        self.deactivate_category = DeactivateCategory(uow, clock)
        reads = MemoryCatalogReadModel(memory)
        self.read_categories = ListCategories(reads)
        self.read_category = GetCategory(reads)
        self.create_product = CreateProduct(uow, clock, "RUB")
        self.update_product = UpdateProduct(uow, clock)
        self.deactivate_product = DeactivateProduct(uow, clock)
        self.read_products = ListProducts(reads)
        self.read_product = GetProduct(reads)

    async def list_categories(self, only_active: bool, page: Page) -> Sequence[CategoryOut]:
        return current(await self.read_categories(only_active, page))

    async def get_category(self, ref: str) -> Category:
        """As the domain knows it, to compare with what the writes returned."""
        view = current(await self.read_category(ref))
        return Category(view.id, view.name, view.slug, view.is_active, view.created_at, view.updated_at)

    async def list_products(self, criteria: ProductFilter) -> Sequence[ProductOut]:
        return current(await self.read_products(criteria))

    async def get_product(self, product_id: int) -> ProductOut:
        return current(await self.read_product(product_id))

    async def category(self, name: str = "Books", slug: str = "books") -> Category:
        return await self.create_category(ADMIN, CategoryDraft(name, slug))

    async def product(self, name: str, price: str = "10.00", category_id: int = 1, **more: Any) -> Product:
        return await self.create_product(
            ADMIN, ProductDraft(name=name, price=price, category_id=category_id, **more)
        )


@pytest.fixture
def catalog(memory: MemoryDatabase, clock: SteppingClock) -> Catalog:
    return Catalog(memory, clock)


# ---- categories ------------------------------------------------------------------


async def test_an_admin_creates_a_category_that_is_found_by_id_and_by_slug(catalog: Catalog) -> None:
    created = await catalog.create_category(ADMIN, CategoryDraft("  Books ", "books"))
    assert created.name == "Books"
    assert created.is_active
    assert created.created_at == created.updated_at
    assert await catalog.get_category(str(created.id)) == created
    assert await catalog.get_category("books") == created


@pytest.mark.parametrize(("name", "slug"), [("Books", "other"), ("Other", "books")])
async def test_a_taken_category_name_or_slug_is_already_exists(
    catalog: Catalog, name: str, slug: str
) -> None:
    await catalog.category()
    with pytest.raises(AlreadyExists):
        await catalog.create_category(ADMIN, CategoryDraft(name, slug))


@pytest.mark.parametrize("slug", ["all", "123", "Books", "книги", ""])
async def test_a_category_with_a_bad_slug_is_invalid_input(catalog: Catalog, slug: str) -> None:
    with pytest.raises(InvalidInput) as error:
        await catalog.create_category(ADMIN, CategoryDraft("Books", slug))
    assert error.value.errors[0].field == "slug"


@pytest.mark.parametrize("ref", ["0", "99", str(2**63), str(10**30), "nope", "x" * 60, "١", "-1", "a\x00b"])
async def test_an_unknown_category_reference_is_not_found(catalog: Catalog, ref: str) -> None:
    await catalog.category()
    with pytest.raises(NotFound):
        await catalog.get_category(ref)


async def test_a_category_is_updated_partially(catalog: Catalog) -> None:
    created = await catalog.category()
    renamed = await catalog.update_category(ADMIN, "books", CategoryChanges(name="Good books"))
    assert (renamed.name, renamed.slug, renamed.is_active) == ("Good books", "books", True)
    assert renamed.updated_at > created.updated_at
    assert renamed.created_at == created.created_at
    reslugged = await catalog.update_category(ADMIN, str(created.id), CategoryChanges(slug="good-books"))
    assert (reslugged.name, reslugged.slug) == ("Good books", "good-books")
    assert await catalog.get_category("good-books") == reslugged


async def test_an_update_that_changes_nothing_keeps_the_timestamp(catalog: Catalog) -> None:
    created = await catalog.category()
    same = await catalog.update_category(ADMIN, "books", CategoryChanges(name="Books"))
    assert same == created


async def test_renaming_a_category_to_a_taken_name_is_already_exists_and_changes_nothing(
    catalog: Catalog,
) -> None:
    await catalog.category()
    await catalog.category("Coffee", "coffee")
    with pytest.raises(AlreadyExists):
        await catalog.update_category(ADMIN, "coffee", CategoryChanges(slug="books"))
    assert (await catalog.get_category("coffee")).slug == "coffee"


async def test_deactivating_a_category_is_a_soft_delete_and_idempotent(catalog: Catalog) -> None:
    await catalog.category()
    gone = await catalog.deactivate_category(ADMIN, "books")
    assert not gone.is_active
    assert await catalog.deactivate_category(ADMIN, "books") == gone
    assert await catalog.get_category("books") == gone
    back = await catalog.update_category(ADMIN, "books", CategoryChanges(is_active=True))
    assert back.is_active


async def test_listing_categories_is_ordered_by_id_and_can_hide_inactive_ones(catalog: Catalog) -> None:
    for name in ("Zeta", "Alpha", "Mid"):
        await catalog.category(name, name.lower())
    await catalog.deactivate_category(ADMIN, "alpha")
    every = await catalog.list_categories(False, Page())
    assert [c.name for c in every] == ["Zeta", "Alpha", "Mid"]
    assert [c.name for c in await catalog.list_categories(True, Page())] == ["Zeta", "Mid"]
    assert [c.name for c in await catalog.list_categories(False, Page(limit=1, offset=1))] == ["Alpha"]


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (101, 0), (1, -1)])
def test_a_page_outside_its_bounds_is_invalid_input(limit: int, offset: int) -> None:
    with pytest.raises(InvalidInput):
        Page(limit, offset)


# ---- admin only --------------------------------------------------------------------


async def test_a_customer_may_not_write_anything_in_the_catalog(catalog: Catalog) -> None:
    await catalog.category()
    await catalog.product("Book")
    writes = [
        catalog.create_category(CUSTOMER, CategoryDraft("Coffee", "coffee")),
        catalog.update_category(CUSTOMER, "books", CategoryChanges(name="Mine")),
        catalog.deactivate_category(CUSTOMER, "books"),
        catalog.create_product(CUSTOMER, ProductDraft(name="Tea", price="1.00", category_id=1)),
        catalog.update_product(CUSTOMER, 1, ProductChanges(price="0.01")),
        catalog.deactivate_product(CUSTOMER, 1),
    ]
    for write in writes:
        with pytest.raises(AccessDenied):
            await write
    assert (await catalog.get_category("books")).name == "Books"
    assert (await catalog.get_product(1)).price == "10.00"


async def test_a_customer_is_refused_before_anything_is_looked_up(catalog: Catalog) -> None:
    with pytest.raises(AccessDenied):
        await catalog.deactivate_product(CUSTOMER, 12345)


# ---- products ----------------------------------------------------------------------


async def test_an_admin_creates_a_product_in_the_store_currency(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("  Dune ", "149.9", description="Sand.", stock=3)
    assert product.name == "Dune"
    assert product.price.amount == Decimal("149.90")
    assert product.price.currency == "RUB"
    assert (product.stock, product.is_active, product.description) == (3, True, "Sand.")
    found = await catalog.get_product(product.id)
    assert listed(found) == product_out(product)
    assert isinstance(found.category, CategoryOut) and found.category.slug == "books"


async def test_a_product_without_stock_is_untracked(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Gift card")
    assert product.stock is None
    assert not product.is_tracked


async def test_a_taken_product_name_is_already_exists(catalog: Catalog) -> None:
    await catalog.category()
    await catalog.product("Dune")
    with pytest.raises(AlreadyExists):
        await catalog.product("Dune")


@pytest.mark.parametrize("category_id", [2, 0, -1, 2**63])
async def test_a_product_in_an_unknown_category_is_invalid_input(catalog: Catalog, category_id: int) -> None:
    await catalog.category()
    with pytest.raises(InvalidInput) as error:
        await catalog.product("Dune", category_id=category_id)
    assert error.value.errors[0].field == "category_id"


async def test_a_product_in_an_inactive_category_is_invalid_input(catalog: Catalog) -> None:
    await catalog.category()
    await catalog.deactivate_category(ADMIN, "books")
    with pytest.raises(InvalidInput) as error:
        await catalog.product("Dune")
    assert error.value.errors[0].field == "category_id"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "1.001"}, "price"),
        ({"price": "100000000"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"stock": -1}, "stock"),
    ],
)
async def test_a_product_that_breaks_a_rule_is_invalid_input_naming_the_field(
    catalog: Catalog, fields: dict[str, object], field: str
) -> None:
    await catalog.category()
    draft = {"name": "Dune", "price": "1.00", "category_id": 1, **fields}
    with pytest.raises(InvalidInput) as error:
        await catalog.create_product(ADMIN, ProductDraft(**draft))  # type: ignore[arg-type]
    assert error.value.errors[0].field == field


async def test_a_product_is_updated_partially(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Dune", "10.00", description="Sand.", stock=5)
    updated = await catalog.update_product(ADMIN, product.id, ProductChanges(price="12.50"))
    assert updated.price.amount == Decimal("12.50")
    assert (updated.name, updated.description, updated.stock) == ("Dune", "Sand.", 5)
    assert updated.updated_at > product.updated_at
    untracked = await catalog.update_product(ADMIN, product.id, ProductChanges(stock=None))
    assert untracked.stock is None
    assert untracked.price.amount == Decimal("12.50")
    assert listed(await catalog.get_product(product.id)) == product_out(untracked)


async def test_an_update_that_changes_nothing_returns_the_product_untouched(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Dune")
    assert await catalog.update_product(ADMIN, product.id, ProductChanges(name="Dune")) == product


async def test_moving_a_product_needs_an_active_category(catalog: Catalog) -> None:
    await catalog.category()
    await catalog.category("Coffee", "coffee")
    product = await catalog.product("Dune")
    moved = await catalog.update_product(ADMIN, product.id, ProductChanges(category_id=2))
    assert moved.category_id == 2
    await catalog.deactivate_category(ADMIN, "books")
    with pytest.raises(InvalidInput):
        await catalog.update_product(ADMIN, product.id, ProductChanges(category_id=1))
    with pytest.raises(InvalidInput):
        await catalog.update_product(ADMIN, product.id, ProductChanges(category_id=99))


async def test_renaming_a_product_to_a_taken_name_is_already_exists(catalog: Catalog) -> None:
    await catalog.category()
    await catalog.product("Dune")
    other = await catalog.product("Emma")
    with pytest.raises(AlreadyExists):
        await catalog.update_product(ADMIN, other.id, ProductChanges(name="Dune"))
    assert (await catalog.get_product(other.id)).name == "Emma"


@pytest.mark.parametrize("product_id", [0, -1, 99, 2**63, 10**40])
async def test_an_unknown_product_is_not_found_for_reads_and_writes(
    catalog: Catalog, product_id: int
) -> None:
    with pytest.raises(NotFound):
        await catalog.get_product(product_id)
    with pytest.raises(NotFound):
        await catalog.update_product(ADMIN, product_id, ProductChanges(price="1.00"))
    with pytest.raises(NotFound):
        await catalog.deactivate_product(ADMIN, product_id)


async def test_deactivating_a_product_is_a_soft_delete_and_idempotent(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Dune")
    gone = await catalog.deactivate_product(ADMIN, product.id)
    assert not gone.is_active
    assert await catalog.deactivate_product(ADMIN, product.id) == gone
    assert listed(await catalog.get_product(product.id)) == product_out(gone)


# ---- listing products ------------------------------------------------------------------


async def names(catalog: Catalog, **criteria: object) -> list[str]:
    return [p.name for p in await catalog.list_products(ProductFilter(**criteria))]  # type: ignore[arg-type]


@pytest.fixture
async def shelf(catalog: Catalog) -> Catalog:
    await catalog.category()
    await catalog.category("Coffee", "coffee")
    await catalog.product("Война и мир", "500.00")
    await catalog.product("Dune", "149.90")
    await catalog.product("Arabica", "149.90", category_id=2)
    await catalog.product("Robusta", "90.00", category_id=2)
    return catalog


async def test_products_are_listed_by_id_by_default(shelf: Catalog) -> None:
    assert await names(shelf) == ["Война и мир", "Dune", "Arabica", "Robusta"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (ProductSort.PRICE, ["Robusta", "Dune", "Arabica", "Война и мир"]),
        (ProductSort.PRICE_DESC, ["Война и мир", "Dune", "Arabica", "Robusta"]),
        (ProductSort.NAME, ["Arabica", "Dune", "Robusta", "Война и мир"]),
        (ProductSort.NEWEST, ["Robusta", "Arabica", "Dune", "Война и мир"]),
    ],
)
async def test_products_sort_with_ties_broken_by_id(
    shelf: Catalog, sort: ProductSort, expected: list[str]
) -> None:
    assert await names(shelf, sort=sort) == expected


async def test_q_matches_part_of_the_name_in_any_case_including_cyrillic(shelf: Catalog) -> None:
    assert await names(shelf, query="ВОЙНА") == ["Война и мир"]
    assert await names(shelf, query="и м") == ["Война и мир"]
    assert await names(shelf, query="BUS") == ["Robusta"]
    assert await names(shelf, query="%") == []
    assert await names(shelf, query="_") == []


async def test_price_bounds_are_inclusive(shelf: Catalog) -> None:
    assert await names(shelf, min_price=Decimal("149.90")) == ["Война и мир", "Dune", "Arabica"]
    assert await names(shelf, max_price=Decimal("149.90")) == ["Dune", "Arabica", "Robusta"]
    assert await names(shelf, min_price=Decimal("149.90"), max_price=Decimal("149.90")) == ["Dune", "Arabica"]


async def test_a_minimum_above_the_maximum_is_invalid_input(shelf: Catalog) -> None:
    with pytest.raises(InvalidInput):
        await names(shelf, min_price=Decimal("2"), max_price=Decimal("1"))


@pytest.mark.parametrize("bound", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+400"), Decimal("0.001")])
async def test_a_price_bound_that_is_not_an_amount_is_invalid_input(shelf: Catalog, bound: Decimal) -> None:
    with pytest.raises(InvalidInput):
        await names(shelf, min_price=bound)


async def test_category_filter_and_only_active(shelf: Catalog) -> None:
    assert await names(shelf, category_id=2) == ["Arabica", "Robusta"]
    assert await names(shelf, category_id=2**63) == []
    await shelf.deactivate_product(ADMIN, 2)
    await shelf.deactivate_category(ADMIN, "coffee")
    assert await names(shelf, only_active=True) == ["Война и мир"]
    assert await names(shelf) == ["Война и мир", "Dune", "Arabica", "Robusta"]


@settings(max_examples=25, deadline=None)
@given(
    prices=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12),
    sort=st.sampled_from(list(ProductSort)),
    limit=st.integers(min_value=1, max_value=5),
)
async def test_paging_through_any_sort_visits_every_product_once(
    prices: list[int], sort: ProductSort, limit: int
) -> None:
    catalog = Catalog(MemoryDatabase(), SteppingClock())
    await catalog.category()
    for number, price in enumerate(prices):
        await catalog.product(f"Item {number % 3} {number}", f"{price}.00")
    seen: list[int] = []
    offset = 0
    while page := await catalog.list_products(ProductFilter(sort=sort, limit=limit, offset=offset)):
        seen += [p.id for p in page]
        offset += limit
    assert sorted(seen) == list(range(1, len(prices) + 1))
    everything = [p.id for p in await catalog.list_products(ProductFilter(sort=sort, limit=100))]
    assert seen == everything


async def test_q_with_a_nul_finds_nothing_rather_than_failing(shelf: Catalog) -> None:
    assert await names(shelf, query="Du\x00ne") == []


# ---- versions of the answers -------------------------------------------------------------


async def answers(catalog: Catalog, product_id: int) -> dict[str, str]:
    """The version of each kind of answer, by name."""
    found = {
        "products": await catalog.read_products(ProductFilter()),
        "product": await catalog.read_product(product_id),
        "categories": await catalog.read_categories(False, Page()),
        "category": await catalog.read_category("1"),
    }
    versions = {}
    for name, answer in found.items():
        assert isinstance(answer, Versioned)
        versions[name] = answer.version
    return versions


async def test_a_caller_holding_an_answers_version_is_told_unchanged(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Dune")
    versions = await answers(catalog, product.id)
    assert len(set(versions.values())) == len(versions)  # each answer has its own
    for answer in (
        await catalog.read_products(ProductFilter(), {versions["products"]}),
        await catalog.read_product(product.id, {"stale", versions["product"]}),
        await catalog.read_categories(False, Page(), {versions["categories"]}),
        await catalog.read_category("books", {versions["category"]}),
    ):
        assert isinstance(answer, Unchanged)
    assert isinstance(await catalog.read_product(product.id, {versions["products"]}), Versioned)


async def test_every_catalog_write_makes_new_versions_of_the_answers_that_show_it(catalog: Catalog) -> None:
    await catalog.category()
    product = await catalog.product("Dune", stock=5)
    writes = [
        (catalog.update_product(ADMIN, product.id, ProductChanges(price="12.50")), {"products", "product"}),
        (catalog.update_product(ADMIN, product.id, ProductChanges(stock=4)), {"products", "product"}),
        (catalog.deactivate_product(ADMIN, product.id), {"products", "product"}),
        (
            catalog.update_category(ADMIN, "books", CategoryChanges(name="Novels")),
            {"product", "categories", "category"},
        ),
        (catalog.product("Emma"), {"products"}),
        (catalog.deactivate_category(ADMIN, "books"), {"product", "categories", "category"}),
    ]
    seen = set((before := await answers(catalog, product.id)).values())
    for write, changed in writes:
        await write
        after = await answers(catalog, product.id)
        assert {name for name in after if after[name] != before[name]} == changed
        assert not {after[name] for name in changed} & seen, "a version came back"
        seen |= set(after.values())
        before = after


async def test_a_row_written_behind_the_repositories_back_still_gets_a_new_version(
    catalog: Catalog, memory: MemoryDatabase
) -> None:
    """As the SQL triggers do, the fake's tables version every write, whoever writes."""
    await catalog.category()
    product = await catalog.product("Dune", stock=5)
    before = await answers(catalog, product.id)
    memory.state.products[product.id] = replace(product, stock=4)
    after = await answers(catalog, product.id)
    assert after["product"] != before["product"] and after["products"] != before["products"]


async def test_stock_taken_from_one_product_leaves_another_products_page_alone(
    catalog: Catalog, memory: MemoryDatabase
) -> None:
    await catalog.category()
    dune = await catalog.product("Dune", stock=5)
    emma = await catalog.product("Emma", stock=5)
    dune_page = await answers(catalog, dune.id)
    emma_page = await answers(catalog, emma.id)
    async with MemoryUnitOfWork(memory) as uow:
        assert await uow.stock.reserve({emma.id: 2}) == {}
        await uow.commit()
    assert (await answers(catalog, dune.id))["product"] == dune_page["product"]
    assert (await answers(catalog, emma.id))["product"] != emma_page["product"]
    assert (await answers(catalog, emma.id))["products"] != emma_page["products"]


async def test_a_conditional_read_still_checks_its_input_first(catalog: Catalog) -> None:
    version = (await catalog.read_products(ProductFilter())).version
    with pytest.raises(InvalidInput):
        await catalog.read_products(ProductFilter(min_price=Decimal(5), max_price=Decimal(1)), {version})
    with pytest.raises(NotFound):
        await catalog.read_product(2**63, {version})
