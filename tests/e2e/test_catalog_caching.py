"""Catalog GETs carry ETag and Cache-Control; a current If-None-Match gets 304. A catalog
write, or a change of stock, however it is written, changes the ETag of every answer that
shows what changed, on every instance, and leaves the other answers' ETags (and their 304s)
alone. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api

CATEGORIES = "/api/v1/categories"
PRODUCTS = "/api/v1/products"
FILTERED = f"{PRODUCTS}?category_id=1&min_price=1&max_price=500&sort=-price"
CATALOG_GETS = [
    f"{CATEGORIES}/all",
    f"{CATEGORIES}/1",
    f"{CATEGORIES}/books",
    PRODUCTS,
    FILTERED,
    f"{PRODUCTS}/1",
]


async def shelf(api: Api) -> dict[str, str]:
    admin = await api.admin()
    response = await api.client.post(CATEGORIES, json={"name": "Books", "slug": "books"}, headers=admin)
    assert response.status_code == 201, response.text
    for name, stock in (("Dune", 3), ("Emma", None)):
        body = {"name": name, "price": "149.90", "category_id": 1, "stock": stock}
        response = await api.client.post(PRODUCTS, json=body, headers=admin)
        assert response.status_code == 201, response.text
    return admin


async def etags(api: Api) -> dict[str, str]:
    found = {}
    for path in CATALOG_GETS:
        response = await api.client.get(path)
        assert response.status_code == 200, f"{path}: {response.text}"
        found[path] = response.headers["etag"]
    return found


@pytest.mark.parametrize("path", CATALOG_GETS)
async def test_a_catalog_get_with_its_current_etag_is_304_without_a_body(api: Api, path: str) -> None:
    await shelf(api)
    first = await api.client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, no-cache"

    again = await api.client.get(path, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, no-cache"


async def test_a_weak_or_listed_etag_matches_and_a_stranger_does_not(api: Api) -> None:
    await shelf(api)
    etag = (await api.client.get(PRODUCTS)).headers["etag"]
    for header in (f"W/{etag}", f'"other", {etag}', f' W/"x" ,{etag} '):
        assert (await api.client.get(PRODUCTS, headers={"If-None-Match": header})).status_code == 304
    for header in ('"other"', "*", "", etag[:-2] + '"'):
        response = await api.client.get(PRODUCTS, headers={"If-None-Match": header})
        assert response.status_code == 200, header
        assert [p["name"] for p in response.json()] == ["Dune", "Emma"]


async def test_a_bad_query_is_422_even_with_a_current_etag(api: Api) -> None:
    await shelf(api)
    etag = (await api.client.get(PRODUCTS)).headers["etag"]
    response = await api.client.get(
        PRODUCTS, params={"min_price": "5", "max_price": "1"}, headers={"If-None-Match": etag}
    )
    assert response.status_code == 422


async def test_an_unknown_product_is_404_without_an_etag(api: Api) -> None:
    await shelf(api)
    response = await api.client.get(f"{PRODUCTS}/999")
    assert response.status_code == 404
    assert "etag" not in response.headers


Write = Callable[[Api, dict[str, str]], Awaitable[Any]]


async def _patch_price(api: Api, admin: dict[str, str]) -> Any:
    return await api.client.patch(f"{PRODUCTS}/2", json={"price": "99.00"}, headers=admin)


async def _deactivate_product(api: Api, admin: dict[str, str]) -> Any:
    return await api.client.post(f"{PRODUCTS}/2/deactivate", headers=admin)


async def _new_product(api: Api, admin: dict[str, str]) -> Any:
    body = {"name": "Ulysses", "price": "10.00", "category_id": 1}
    return await api.client.post(PRODUCTS, json=body, headers=admin)


async def _rename_category(api: Api, admin: dict[str, str]) -> Any:
    return await api.client.patch(f"{CATEGORIES}/books", json={"name": "Novels"}, headers=admin)


async def _new_category(api: Api, admin: dict[str, str]) -> Any:
    return await api.client.post(CATEGORIES, json={"name": "Coffee", "slug": "coffee"}, headers=admin)


async def _order_tracked_stock(api: Api, admin: dict[str, str]) -> Any:
    customer = await api.customer()
    return await api.client.post(
        "/api/v1/orders", json={"items": [{"product_id": 1, "quantity": 1}]}, headers=customer
    )


CATEGORY_ANSWERS = {f"{CATEGORIES}/all", f"{CATEGORIES}/1", f"{CATEGORIES}/books"}
PRODUCT_LISTS = {PRODUCTS, FILTERED}
PRODUCT_PAGE = f"{PRODUCTS}/1"  # Dune, in Books


@pytest.mark.parametrize(
    ("write", "shown_in"),
    [
        (_patch_price, PRODUCT_LISTS),
        (_deactivate_product, PRODUCT_LISTS),
        (_new_product, PRODUCT_LISTS),
        (_rename_category, {*CATEGORY_ANSWERS, PRODUCT_PAGE}),  # the page shows its category
        (_new_category, {f"{CATEGORIES}/all"}),
        (_order_tracked_stock, {*PRODUCT_LISTS, PRODUCT_PAGE}),
    ],
)
async def test_a_catalog_write_changes_the_etag_of_every_answer_that_shows_it(
    api: Api, write: Write, shown_in: set[str]
) -> None:
    admin = await shelf(api)
    before = await etags(api)

    response = await write(api, admin)
    assert response.status_code in (200, 201), response.text

    for path, etag in before.items():
        answer = await api.client.get(path, headers={"If-None-Match": etag})
        if path in shown_in:
            assert answer.status_code == 200, f"{path} still answers 304 after the write"
            assert answer.headers["etag"] != etag
        else:
            assert answer.status_code == 304, f"{path} does not show what changed, yet lost its 304"


async def test_an_order_of_untracked_products_leaves_the_etags_alone(api: Api) -> None:
    await shelf(api)
    before = await etags(api)
    customer = await api.customer()
    response = await api.client.post(
        "/api/v1/orders", json={"items": [{"product_id": 2, "quantity": 5}]}, headers=customer
    )
    assert response.status_code == 201, response.text
    assert await etags(api) == before


async def test_a_write_on_one_instance_changes_the_etag_on_another(api: Api, app_database_url: str) -> None:
    admin = await shelf(api)
    other_app = create_app(make_settings(app_database_url))
    async with AsyncTestClient(other_app) as other:
        etag = (await other.get(f"{PRODUCTS}/2")).headers["etag"]
        assert (await other.get(f"{PRODUCTS}/2", headers={"If-None-Match": etag})).status_code == 304

        assert (await _patch_price(api, admin)).status_code == 200

        answer = await other.get(f"{PRODUCTS}/2", headers={"If-None-Match": etag})
        assert answer.status_code == 200
        assert answer.json()["price"] == "99.00"


async def test_a_product_page_keeps_its_304s_while_another_product_sells(api: Api) -> None:
    """Orders for product Y change Y's stock, not X's page: X's revalidations stay 304."""
    admin = await shelf(api)
    body = {"name": "Coffee mill", "price": "20.00", "category_id": 1, "stock": 50}
    assert (await api.client.post(PRODUCTS, json=body, headers=admin)).status_code == 201  # product 3
    page = await api.client.get(f"{PRODUCTS}/1")
    etag = page.headers["etag"]
    other = (await api.client.get(f"{PRODUCTS}/3")).headers["etag"]
    for n in range(3):
        customer = await api.customer(f"buyer{n}@example.com")
        placed = await api.client.post(
            "/api/v1/orders", json={"items": [{"product_id": 3, "quantity": 2}]}, headers=customer
        )
        assert placed.status_code == 201, placed.text
        again = await api.client.get(f"{PRODUCTS}/1", headers={"If-None-Match": etag})
        assert again.status_code == 304, "an order for another product made this page stale"
        sold = await api.client.get(f"{PRODUCTS}/3", headers={"If-None-Match": other})
        assert sold.status_code == 200 and sold.json()["stock"] == 50 - 2 * (n + 1)
        other = sold.headers["etag"]


@pytest.mark.parametrize(
    ("statement", "changed"),
    [
        ("UPDATE products SET stock = 7 WHERE id = 1", {*PRODUCT_LISTS, PRODUCT_PAGE}),
        ("UPDATE products SET stock = stock WHERE id = 1", {*PRODUCT_LISTS, PRODUCT_PAGE}),
        ("UPDATE products SET stock = 7, version = 1 WHERE id = 1", {*PRODUCT_LISTS, PRODUCT_PAGE}),
        ("UPDATE categories SET name = 'Novels' WHERE id = 1", {*CATEGORY_ANSWERS, PRODUCT_PAGE}),
    ],
)
async def test_a_write_in_raw_sql_cannot_forget_the_version(
    api: Api, app_database_url: str, statement: str, changed: set[str]
) -> None:
    """No code bumps anything: the database does, whoever writes the row and however."""
    await shelf(api)
    before = await etags(api)
    engine = create_async_engine(app_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
    for path, etag in before.items():
        answer = await api.client.get(path, headers={"If-None-Match": etag})
        assert answer.status_code == (200 if path in changed else 304), path
    if "stock = 7" in statement:
        assert (await api.client.get(f"{PRODUCTS}/1")).json()["stock"] == 7
