"""Catalog GETs carry ETag and Cache-Control; a current If-None-Match gets 304, and any
catalog write changes every ETag at once, on every instance. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api

CATEGORIES = "/api/v1/categories"
PRODUCTS = "/api/v1/products"
CATALOG_GETS = [
    f"{CATEGORIES}/all",
    f"{CATEGORIES}/1",
    f"{CATEGORIES}/books",
    PRODUCTS,
    f"{PRODUCTS}?category_id=1&min_price=1&max_price=500&sort=-price",
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


@pytest.mark.parametrize(
    "write",
    [_patch_price, _deactivate_product, _new_product, _rename_category, _new_category, _order_tracked_stock],
)
async def test_any_catalog_write_changes_every_etag_at_once(api: Api, write: Write) -> None:
    admin = await shelf(api)
    before = await etags(api)

    response = await write(api, admin)
    assert response.status_code in (200, 201), response.text

    for path, etag in before.items():
        answer = await api.client.get(path, headers={"If-None-Match": etag})
        assert answer.status_code == 200, f"{path} still answers 304 after the write"
        assert answer.headers["etag"] != etag


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
