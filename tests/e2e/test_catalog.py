"""Every catalog endpoint over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api

CATEGORIES = "/api/v1/categories"
PRODUCTS = "/api/v1/products"


async def make_category(api: Api, admin: dict[str, str], name: str, slug: str) -> dict[str, Any]:
    response = await api.client.post(CATEGORIES, json={"name": name, "slug": slug}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_product(api: Api, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await api.client.post(PRODUCTS, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def names(api: Api, **params: Any) -> list[str]:
    response = await api.client.get(PRODUCTS, params=params)
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()]


# ---- categories ------------------------------------------------------------------


async def test_an_admin_creates_a_category_and_anyone_reads_it_by_id_or_slug(api: Api) -> None:
    admin = await api.admin()
    created = await make_category(api, admin, "Books", "books")
    assert set(created) == {"id", "name", "slug", "is_active", "created_at", "updated_at"}
    assert created["is_active"] is True
    by_id = await api.client.get(f"{CATEGORIES}/{created['id']}")
    by_slug = await api.client.get(f"{CATEGORIES}/books/")
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json() == created


@pytest.mark.parametrize("body", [{"name": "Books", "slug": "other"}, {"name": "Other", "slug": "books"}])
async def test_a_taken_category_name_or_slug_is_409(api: Api, body: dict[str, str]) -> None:
    admin = await api.admin()
    await make_category(api, admin, "Books", "books")
    response = await api.client.post(CATEGORIES, json=body, headers=admin)
    assert response.status_code == 409


@pytest.mark.parametrize("slug", ["all", "123", "Books", "with space", "", "a" * 51])
async def test_a_bad_slug_is_422_naming_slug(api: Api, slug: str) -> None:
    response = await api.client.post(
        CATEGORIES, json={"name": "Books", "slug": slug}, headers=await api.admin()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["slug"]


async def test_categories_list_by_id_with_only_active_and_paging(api: Api) -> None:
    admin = await api.admin()
    for name in ("Zeta", "Alpha", "Mid"):
        await make_category(api, admin, name, name.lower())
    deactivated = await api.client.post(f"{CATEGORIES}/alpha/deactivate", headers=admin)
    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    every = await api.client.get(f"{CATEGORIES}/all")
    assert [c["name"] for c in every.json()] == ["Zeta", "Alpha", "Mid"]
    active = await api.client.get(f"{CATEGORIES}/all/", params={"only_active": "true"})
    assert [c["name"] for c in active.json()] == ["Zeta", "Mid"]
    page = await api.client.get(f"{CATEGORIES}/all", params={"limit": 1, "offset": 2})
    assert [c["name"] for c in page.json()] == ["Mid"]
    assert (await api.client.get(f"{CATEGORIES}/alpha")).json()["is_active"] is False


@pytest.mark.parametrize("path", [CATEGORIES, f"{CATEGORIES}/", f"{CATEGORIES}/all", f"{CATEGORIES}/all/"])
async def test_the_category_list_answers_at_categories_and_categories_all_alike(api: Api, path: str) -> None:
    admin = await api.admin()
    for name in ("Zeta", "Alpha", "Mid"):
        await make_category(api, admin, name, name.lower())
    await api.client.post(f"{CATEGORIES}/alpha/deactivate", headers=admin)

    every = await api.client.get(path)
    assert every.status_code == 200, every.text
    assert [c["name"] for c in every.json()] == ["Zeta", "Alpha", "Mid"]
    assert every.headers["etag"] == (await api.client.get(f"{CATEGORIES}/all")).headers["etag"]
    active = await api.client.get(path, params={"only_active": "true", "limit": 1, "offset": 1})
    assert [c["name"] for c in active.json()] == ["Mid"]
    assert (await api.client.get(path, headers={"If-None-Match": every.headers["etag"]})).status_code == 304
    refused = await api.client.get(path, params={"limit": 0})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["limit"]


async def test_patching_a_category_changes_only_the_given_fields(api: Api) -> None:
    admin = await api.admin()
    created = await make_category(api, admin, "Books", "books")
    response = await api.client.patch(f"{CATEGORIES}/books", json={"name": "Good books"}, headers=admin)
    assert response.status_code == 200
    patched = response.json()
    assert (patched["name"], patched["slug"], patched["created_at"]) == (
        "Good books",
        "books",
        created["created_at"],
    )
    assert patched["updated_at"] >= created["updated_at"]
    reslugged = await api.client.patch(f"{CATEGORIES}/{created['id']}", json={"slug": "good"}, headers=admin)
    assert reslugged.json()["slug"] == "good"
    assert (await api.client.get(f"{CATEGORIES}/books")).status_code == 404


@pytest.mark.parametrize("body", [{"colour": "red"}, {"name": "Books", "id": 5}, {"is_active": "yes"}])
async def test_patching_with_unknown_or_mistyped_fields_is_422(api: Api, body: dict[str, object]) -> None:
    admin = await api.admin()
    await make_category(api, admin, "Books", "books")
    response = await api.client.patch(f"{CATEGORIES}/books", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"]


@pytest.mark.parametrize(
    "ref", ["999", "nope", str(2**63), "9" * 40, "a%00b", "%D0%BA%D0%BD%D0%B8%D0%B3%D0%B8"]
)
async def test_an_unknown_category_is_404_for_reads_and_writes(api: Api, ref: str) -> None:
    admin = await api.admin()
    assert (await api.client.get(f"{CATEGORIES}/{ref}")).status_code == 404
    assert (
        await api.client.patch(f"{CATEGORIES}/{ref}", json={"name": "X"}, headers=admin)
    ).status_code == 404
    assert (await api.client.post(f"{CATEGORIES}/{ref}/deactivate", headers=admin)).status_code == 404


# ---- products ----------------------------------------------------------------------


async def test_an_admin_creates_a_product_with_money_as_a_two_place_string(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    product = await make_product(api, admin, name="Dune", price=149.9, category_id=books["id"])
    assert product["price"] == "149.90"
    assert product["currency"] == "RUB"
    assert product["stock"] is None
    assert product["description"] == ""
    assert product["is_active"] is True
    tracked = await make_product(
        api, admin, name="Emma", price="10", category_id=books["id"], stock=0, description="A novel."
    )
    assert (tracked["price"], tracked["stock"], tracked["description"]) == ("10.00", 0, "A novel.")


async def test_one_product_comes_with_its_category(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    product = await make_product(api, admin, name="Dune", price="1.00", category_id=books["id"])
    response = await api.client.get(f"{PRODUCTS}/{product['id']}")
    assert response.status_code == 200
    assert response.json()["category"] == books
    assert response.json()["name"] == "Dune"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.001"}, "price"),
        ({"price": 1.001}, "price"),
        ({"price": "100000000.00"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "Infinity"}, "price"),
        ({"price": "1e400"}, "price"),
        ({"price": "ten"}, "price"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"stock": -1}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"category_id": 999}, "category_id"),
        ({"category_id": 2**63}, "category_id"),
        ({"secret": 1}, "secret"),
    ],
)
async def test_a_product_breaking_a_rule_is_422_naming_the_field(
    api: Api, change: dict[str, object], field: str
) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    body = {"name": "Dune", "price": "1.00", "category_id": books["id"], **change}
    response = await api.client.post(PRODUCTS, json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_a_product_in_an_inactive_category_is_422(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    await api.client.post(f"{CATEGORIES}/books/deactivate", headers=admin)
    response = await api.client.post(
        PRODUCTS, json={"name": "Dune", "price": "1.00", "category_id": books["id"]}, headers=admin
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["category_id"]


async def test_a_taken_product_name_is_409(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    await make_product(api, admin, name="Dune", price="1.00", category_id=books["id"])
    response = await api.client.post(
        PRODUCTS, json={"name": "Dune", "price": "2.00", "category_id": books["id"]}, headers=admin
    )
    assert response.status_code == 409


async def test_patching_a_product_changes_only_the_given_fields(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    product = await make_product(api, admin, name="Dune", price="10.00", category_id=books["id"], stock=4)
    path = f"{PRODUCTS}/{product['id']}"
    patched = (await api.client.patch(path, json={"price": "12.5"}, headers=admin)).json()
    assert (patched["price"], patched["stock"], patched["name"]) == ("12.50", 4, "Dune")
    untracked = (await api.client.patch(path, json={"stock": None}, headers=admin)).json()
    assert (untracked["stock"], untracked["price"]) == (None, "12.50")
    hidden = (await api.client.patch(path, json={"is_active": False}, headers=admin)).json()
    assert hidden["is_active"] is False
    assert (await api.client.get(path)).json()["price"] == "12.50"


async def test_deactivating_a_product_hides_it_from_active_lists_but_not_from_its_page(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    product = await make_product(api, admin, name="Dune", price="1.00", category_id=books["id"])
    response = await api.client.post(f"{PRODUCTS}/{product['id']}/deactivate", headers=admin)
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert await names(api, only_active="true") == []
    assert await names(api) == ["Dune"]
    assert (await api.client.get(f"{PRODUCTS}/{product['id']}")).json()["is_active"] is False


async def test_products_of_a_deactivated_category_are_hidden_from_active_lists_only(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    coffee = await make_category(api, admin, "Coffee", "coffee")
    await make_product(api, admin, name="Dune", price="1.00", category_id=books["id"])
    tea = await make_product(api, admin, name="Arabica", price="1.00", category_id=coffee["id"])
    await api.client.post(f"{CATEGORIES}/coffee/deactivate", headers=admin)
    assert await names(api, only_active="true") == ["Dune"]
    assert await names(api, only_active="false") == ["Dune", "Arabica"]
    shown = await api.client.get(f"{PRODUCTS}/{tea['id']}")
    assert shown.status_code == 200
    assert shown.json()["category"]["is_active"] is False


@pytest.fixture
async def shelf(api: Api) -> Api:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    coffee = await make_category(api, admin, "Coffee", "coffee")
    await make_product(api, admin, name="Война и мир", price="500.00", category_id=books["id"])
    await make_product(api, admin, name="Dune", price="149.90", category_id=books["id"])
    await make_product(api, admin, name="Arabica", price="149.90", category_id=coffee["id"])
    await make_product(api, admin, name="Robusta", price="90.00", category_id=coffee["id"])
    return api


async def test_q_matches_part_of_a_name_in_any_case_cyrillic_included(shelf: Api) -> None:
    assert await names(shelf, q="ВОЙНА") == ["Война и мир"]
    assert await names(shelf, q="dune") == ["Dune"]
    assert await names(shelf, q="BUS") == ["Robusta"]
    assert await names(shelf, q="%") == []
    assert await names(shelf, q="") == ["Война и мир", "Dune", "Arabica", "Robusta"]
    refused = await shelf.client.get("/api/v1/products", params={"q": "Du\x00ne"})
    assert refused.status_code == 422  # a control character is never part of a name


async def test_price_bounds_are_inclusive(shelf: Api) -> None:
    assert await names(shelf, min_price="149.90") == ["Война и мир", "Dune", "Arabica"]
    assert await names(shelf, max_price="149.9") == ["Dune", "Arabica", "Robusta"]
    assert await names(shelf, min_price="149.90", max_price="149.90") == ["Dune", "Arabica"]
    assert await names(shelf, min_price="1000000000000") == []


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "NaN"},
        {"max_price": "Infinity"},
        {"min_price": "1e400"},
        {"min_price": "0.001"},
        {"min_price": "abc"},
        {"min_price": "5", "max_price": "4"},
        {"sort": "colour"},
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"limit": "many"},
        {"category_id": 0},
        {"q": "x" * 101},
        {"only_active": "perhaps"},
    ],
)
async def test_a_list_query_that_breaks_a_rule_is_422(shelf: Api, params: dict[str, Any]) -> None:
    response = await shelf.client.get(PRODUCTS, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id", ["Война и мир", "Dune", "Arabica", "Robusta"]),
        ("price", ["Robusta", "Dune", "Arabica", "Война и мир"]),
        ("-price", ["Война и мир", "Dune", "Arabica", "Robusta"]),
        ("name", ["Arabica", "Dune", "Robusta", "Война и мир"]),
        ("-created_at", ["Robusta", "Arabica", "Dune", "Война и мир"]),
    ],
)
async def test_every_sort_is_stable_across_pages(shelf: Api, sort: str, expected: list[str]) -> None:
    assert await names(shelf, sort=sort) == expected
    paged = [name for offset in (0, 2) for name in await names(shelf, sort=sort, limit=2, offset=offset)]
    assert paged == expected


async def test_limit_and_offset_bounds_are_inclusive(shelf: Api) -> None:
    assert len(await names(shelf, limit=1)) == 1
    assert len(await names(shelf, limit=100)) == 4
    assert await names(shelf, offset=4) == []
    assert await names(shelf, offset=2**63 - 1) == []


async def test_the_category_filter(shelf: Api) -> None:
    coffee = (await shelf.client.get(f"{CATEGORIES}/coffee")).json()
    assert await names(shelf, category_id=coffee["id"]) == ["Arabica", "Robusta"]
    assert await names(shelf, category_id=999) == []


@pytest.mark.parametrize("product_id", ["999", str(2**63), "9" * 40, "0", "-1"])
async def test_an_unknown_product_is_404_for_reads_and_writes(api: Api, product_id: str) -> None:
    admin = await api.admin()
    path = f"{PRODUCTS}/{product_id}"
    assert (await api.client.get(path)).status_code == 404
    assert (await api.client.patch(path, json={"price": "1.00"}, headers=admin)).status_code == 404
    assert (await api.client.post(f"{path}/deactivate", headers=admin)).status_code == 404


# ---- admin only --------------------------------------------------------------------


async def test_a_customer_gets_403_on_every_catalog_write(api: Api) -> None:
    admin = await api.admin()
    books = await make_category(api, admin, "Books", "books")
    product = await make_product(api, admin, name="Dune", price="1.00", category_id=books["id"])
    customer = await api.customer()
    writes = [
        ("POST", CATEGORIES, {"name": "Coffee", "slug": "coffee"}),
        ("PATCH", f"{CATEGORIES}/books", {"name": "Mine"}),
        ("POST", f"{CATEGORIES}/books/deactivate", None),
        ("POST", PRODUCTS, {"name": "Tea", "price": "1.00", "category_id": books["id"]}),
        ("PATCH", f"{PRODUCTS}/{product['id']}", {"price": "0.01"}),
        ("POST", f"{PRODUCTS}/{product['id']}/deactivate", None),
    ]
    for method, path, body in writes:
        response = await api.client.request(method, path, json=body, headers=customer)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        anonymous = await api.client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["www-authenticate"] == "Bearer"
    assert (await api.client.get(f"{CATEGORIES}/books")).json()["name"] == "Books"
    assert (await api.client.get(f"{PRODUCTS}/{product['id']}")).json()["price"] == "1.00"
