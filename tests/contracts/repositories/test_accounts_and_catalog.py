"""Users, categories and products (search, price bounds, sorts), and the unit of work: the contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from application.ports import NewCategory, NewProduct, ProductFilter, ProductSort, UnitOfWork
from domain.errors import AlreadyExists
from domain.money import Money
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def uow(storage: Storage) -> UnitOfWork:
    return storage.unit_of_work()


async def add_category(storage: Storage, name: str = "Books", slug: str = "books") -> int:
    async with uow(storage) as work:
        category = await work.categories.add(NewCategory(name, slug), NOW)
        await work.commit()
    return category.id


async def add_product(
    storage: Storage, name: str, price_minor: int = 1000, category_id: int = 1, at: datetime = NOW
) -> int:
    async with uow(storage) as work:
        product = await work.products.add(NewProduct(name, "", price_minor, "RUB", category_id, None), at)
        await work.commit()
    return product.id


async def listed(storage: Storage, **criteria: object) -> list[str]:
    async with uow(storage) as work:
        found = await work.products.list(ProductFilter(**criteria))  # type: ignore[arg-type]
    return [p.name for p in found]


# ---- users ---------------------------------------------------------------------------


async def test_a_user_round_trips_with_an_aware_utc_timestamp(storage: Storage) -> None:
    moscow = datetime(2026, 3, 1, 15, 0, tzinfo=UTC) + timedelta(0)
    async with uow(storage) as work:
        added = await work.users.add("ann@example.com", "hash", Role.CUSTOMER, moscow)
        await work.commit()
    async with uow(storage) as work:
        by_id = await work.users.get(added.id)
        by_email = await work.users.get_by_email("ann@example.com")
    assert by_id == by_email == added
    assert by_id is not None and by_id.created_at.tzinfo is not None
    assert by_id.created_at.utcoffset() == timedelta(0)


async def test_a_taken_email_is_already_exists_through_the_constraint_map(storage: Storage) -> None:
    async with uow(storage) as work:
        await work.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        await work.commit()
    async with uow(storage) as work:
        with pytest.raises(AlreadyExists, match="email"):
            await work.users.add("ann@example.com", "other", Role.ADMIN, NOW)
    async with uow(storage) as work:
        assert len(await work.users.list(None, 10, 0)) == 1


async def test_saving_a_user_changes_role_and_activity(storage: Storage) -> None:
    async with uow(storage) as work:
        user = await work.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        await work.users.save(user.promoted().with_active(False))
        await work.commit()
    async with uow(storage) as work:
        saved = await work.users.get(user.id)
    assert saved is not None and saved.role is Role.ADMIN and not saved.is_active


async def test_users_list_by_id_and_filter_by_exact_email(storage: Storage) -> None:
    async with uow(storage) as work:
        for email in ("c@example.com", "a@example.com", "b@example.com"):
            await work.users.add(email, "hash", Role.CUSTOMER, NOW)
        await work.commit()
    async with uow(storage) as work:
        every = await work.users.list(None, 10, 0)
        one = await work.users.list("a@example.com", 10, 0)
        page = await work.users.list(None, 1, 1)
    assert [u.email for u in every] == ["c@example.com", "a@example.com", "b@example.com"]
    assert [u.email for u in one] == ["a@example.com"]
    assert [u.email for u in page] == ["a@example.com"]


async def test_a_unit_of_work_left_without_commit_leaves_no_trace(storage: Storage) -> None:
    async with uow(storage) as work:
        await work.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
    async with uow(storage) as work:
        assert await work.users.get_by_email("ann@example.com") is None


# ---- categories ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "slug", "taken"), [("Books", "other", "name"), ("Other", "books", "slug")])
async def test_a_taken_category_name_or_slug_is_already_exists_naming_it(
    storage: Storage, name: str, slug: str, taken: str
) -> None:
    await add_category(storage)
    async with uow(storage) as work:
        with pytest.raises(AlreadyExists, match=taken):
            await work.categories.add(NewCategory(name, slug), NOW)


async def test_saving_a_category_onto_a_taken_slug_is_already_exists(storage: Storage) -> None:
    await add_category(storage)
    coffee = await add_category(storage, "Coffee", "coffee")
    async with uow(storage) as work:
        category = await work.categories.get(coffee)
        assert category is not None
        from dataclasses import replace

        with pytest.raises(AlreadyExists, match="slug"):
            await work.categories.save(replace(category, slug="books"))


async def test_categories_are_found_by_slug_and_listed_by_id(storage: Storage) -> None:
    await add_category(storage, "Zeta", "zeta")
    await add_category(storage, "Alpha", "alpha")
    async with uow(storage) as work:
        alpha = await work.categories.get_by_slug("alpha")
        assert alpha is not None
        await work.categories.save(alpha.deactivated(NOW + timedelta(hours=1)))
        await work.commit()
    async with uow(storage) as work:
        every = await work.categories.list(False, 10, 0)
        active = await work.categories.list(True, 10, 0)
        missing = await work.categories.get_by_slug("nope")
    assert [c.slug for c in every] == ["zeta", "alpha"]
    assert every[1].updated_at == NOW + timedelta(hours=1)
    assert [c.slug for c in active] == ["zeta"]
    assert missing is None


# ---- products ------------------------------------------------------------------------


async def test_a_product_round_trips_with_its_price_in_minor_units(storage: Storage) -> None:
    await add_category(storage)
    product_id = await add_product(storage, "Dune", 9_999_999_999)
    async with uow(storage) as work:
        product = await work.products.get(product_id)
    assert product is not None
    assert product.price == Money(9_999_999_999, "RUB")
    assert product.price.amount == Decimal("99999999.99")
    assert product.stock is None


async def test_a_taken_product_name_is_already_exists(storage: Storage) -> None:
    await add_category(storage)
    await add_product(storage, "Dune")
    async with uow(storage) as work:
        with pytest.raises(AlreadyExists, match="name"):
            await work.products.add(NewProduct("Dune", "", 1, "RUB", 1, None), NOW)


async def test_a_product_with_a_long_name_of_expanding_capitals_is_stored_and_found(storage: Storage) -> None:
    """`İ` lower-cases to two code points: the search column must hold the longer form."""
    await add_category(storage)
    name = "İ" * 100
    await add_product(storage, name)
    assert await listed(storage, query="i̇") == [name]


@pytest.fixture
async def shelf(storage: Storage) -> Storage:
    await add_category(storage)
    await add_category(storage, "Coffee", "coffee")
    await add_product(storage, "Война и мир", 50000, 1, NOW)
    await add_product(storage, "Dune", 14990, 1, NOW + timedelta(minutes=1))
    await add_product(storage, "Arabica 100%", 14990, 2, NOW + timedelta(minutes=1))
    await add_product(storage, "Robusta_1", 9000, 2, NOW + timedelta(minutes=2))
    return storage


async def test_q_matches_cyrillic_names_in_any_case(shelf: Storage) -> None:
    assert await listed(shelf, query="ВОЙНА") == ["Война и мир"]
    assert await listed(shelf, query="войНА И") == ["Война и мир"]
    assert await listed(shelf, query="dUNE") == ["Dune"]


async def test_q_treats_like_wildcards_as_plain_characters(shelf: Storage) -> None:
    assert await listed(shelf, query="%") == ["Arabica 100%"]
    assert await listed(shelf, query="_") == ["Robusta_1"]
    assert await listed(shelf, query="a_1") == ["Robusta_1"]
    assert await listed(shelf, query="\\") == []


async def test_q_with_a_nul_character_finds_nothing(shelf: Storage) -> None:
    assert await listed(shelf, query="Du\x00ne") == []


async def test_price_bounds_are_inclusive_and_absurd_bounds_do_not_overflow(shelf: Storage) -> None:
    assert await listed(shelf, min_price=Decimal("149.90")) == ["Война и мир", "Dune", "Arabica 100%"]
    assert await listed(shelf, max_price=Decimal("149.90")) == ["Dune", "Arabica 100%", "Robusta_1"]
    assert await listed(shelf, min_price=Decimal("10") ** 20) == []
    assert await listed(shelf, max_price=Decimal("-10") ** 21) == []
    assert len(await listed(shelf, min_price=Decimal("-1e20"), max_price=Decimal("1e20"))) == 4


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (ProductSort.ID, ["Война и мир", "Dune", "Arabica 100%", "Robusta_1"]),
        (ProductSort.PRICE, ["Robusta_1", "Dune", "Arabica 100%", "Война и мир"]),
        (ProductSort.PRICE_DESC, ["Война и мир", "Dune", "Arabica 100%", "Robusta_1"]),
        (ProductSort.NAME, ["Arabica 100%", "Dune", "Robusta_1", "Война и мир"]),
        (ProductSort.NEWEST, ["Robusta_1", "Arabica 100%", "Dune", "Война и мир"]),
    ],
)
async def test_every_sort_is_stable_with_ties_broken_by_id(
    shelf: Storage, sort: ProductSort, expected: list[str]
) -> None:
    assert await listed(shelf, sort=sort) == expected
    paged = [name for offset in range(4) for name in await listed(shelf, sort=sort, limit=1, offset=offset)]
    assert paged == expected


async def test_only_active_hides_inactive_products_and_those_of_inactive_categories(shelf: Storage) -> None:
    async with uow(shelf) as work:
        dune = await work.products.get(2)
        coffee = await work.categories.get(2)
        assert dune is not None and coffee is not None
        await work.products.save(dune.deactivated(NOW))
        await work.categories.save(coffee.deactivated(NOW))
        await work.commit()
    assert await listed(shelf, only_active=True) == ["Война и мир"]
    assert await listed(shelf, category_id=2) == ["Arabica 100%", "Robusta_1"]
    assert await listed(shelf, category_id=2, only_active=True) == []
    assert len(await listed(shelf)) == 4


async def test_saving_a_product_keeps_search_working_on_its_new_name(shelf: Storage) -> None:
    from dataclasses import replace

    async with uow(shelf) as work:
        dune = await work.products.get(2)
        assert dune is not None
        await work.products.save(replace(dune, name="Дюна", price=Money(100, "RUB"), stock=7))
        await work.commit()
    assert await listed(shelf, query="дЮН") == ["Дюна"]
    async with uow(shelf) as work:
        saved = await work.products.get(2)
    assert saved is not None and (saved.price.minor, saved.stock) == (100, 7)


async def test_renaming_a_product_onto_a_taken_name_is_already_exists(shelf: Storage) -> None:
    from dataclasses import replace

    async with uow(shelf) as work:
        dune = await work.products.get(2)
        assert dune is not None
        with pytest.raises(AlreadyExists):
            await work.products.save(replace(dune, name="Война и мир"))
