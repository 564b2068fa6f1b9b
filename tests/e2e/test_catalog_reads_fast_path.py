"""The catalog reads answered in front of Litestar's router (`fast_path.catalog_reads`) answer
exactly what Litestar's own routes answer: status, headers and body byte for byte, and the
route label of metrics and the access log. Every other form of those paths reaches the
router. On SQLite and PostgreSQL.

A request is sent straight to the app's ASGI callable, and its scope is read afterwards:
Litestar's router puts the matched handler in `scope["route_handler"]`; the fast path does
not. The same request with an `Origin` header is Litestar's answer (the fast path leaves
requests that CORS could decorate to the router, and the app configures no CORS).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.http.app import API_PREFIX, create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api
from tests.e2e.fast_path_calls import running
from tests.e2e.test_catalog_caching import shelf

PRODUCTS = f"{API_PREFIX}/products"
CATEGORIES = f"{API_PREFIX}/categories"

# (path, query): the forms the fast path answers itself.
SERVED = [
    (f"{PRODUCTS}/1", b""),
    (f"{PRODUCTS}/2", b""),
    (PRODUCTS, b""),
    (PRODUCTS, b"limit=1"),
    (PRODUCTS, b"limit=1&offset=1"),
    (PRODUCTS, b"offset=0&limit=100&only_active=true"),
    (PRODUCTS, b"only_active=false"),
    (PRODUCTS, b"offset=9223372036854775807"),
    (CATEGORIES, b""),
    (f"{CATEGORIES}/all", b""),
    (f"{CATEGORIES}/all", b"limit=1&only_active=true"),
]

# Plain forms naming no product: the fast path answers them with the app's own 404 problem.
NOT_FOUND = [(f"{PRODUCTS}/999", b""), (f"{PRODUCTS}/0", b""), (f"{PRODUCTS}/9223372036854775808", b"")]

# Forms the router answers: other spellings, other parameters, out of bounds.
ROUTED = [
    (f"{PRODUCTS}/01", b""),
    (f"{PRODUCTS}/99999999999999999999", b""),
    (f"{PRODUCTS}/1", b"limit=1"),
    (f"{PRODUCTS}/", b""),
    (PRODUCTS, b"limit=0"),
    (PRODUCTS, b"limit=101"),
    (PRODUCTS, b"limit=050"),
    (PRODUCTS, b"limit=1&limit=2"),
    (PRODUCTS, b"offset=9223372036854775808"),
    (PRODUCTS, b"only_active=1"),
    (PRODUCTS, b"only_active"),
    (PRODUCTS, b"limit=%31"),
    (PRODUCTS, b"sort=-price"),
    (PRODUCTS, b"category_id=1"),
    (f"{CATEGORIES}/", b""),
    (f"{CATEGORIES}/1", b""),
    (f"{CATEGORIES}/all", b"limit=-1"),
]


async def call(
    app: Litestar,
    path: str,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    host: bytes = b"test",
    root_path: str = "",
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": [(b"host", host), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if sent:
            await asyncio.Event().wait()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    headers_sent = [(k, v) for k, v in sent[0]["headers"] if k != b"x-request-id"]
    return {
        "status": sent[0]["status"],
        "headers": headers_sent,
        "body": b"".join(m.get("body", b"") for m in sent[1:]),
        "routed": "route_handler" in scope,
        "route": scope.get("path_template"),
    }


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    """The app started in this test's event loop (its pools belong to it), on a seeded catalog."""
    settings = make_settings(app_database_url)
    async with AsyncTestClient(create_app(settings)) as client:
        await shelf(Api(client))
    async with running(settings) as app:
        yield app


def _current_etag(answer: dict[str, Any]) -> bytes:
    etag: bytes = dict(answer["headers"])[b"etag"]
    return etag


@pytest.mark.parametrize(("path", "query"), SERVED)
async def test_a_plain_catalog_read_is_answered_as_litestar_answers_it(
    app: Litestar, path: str, query: bytes
) -> None:
    ours = await call(app, path, query, [])
    litestars = await call(app, path, query, [(b"origin", b"https://shop.example")])
    assert not ours["routed"], "the fast path did not answer"
    assert litestars["routed"]
    assert ours["status"] == 200
    assert {k: ours[k] for k in ("status", "headers", "body", "route")} == {
        k: litestars[k] for k in ("status", "headers", "body", "route")
    }
    # The conditional form: current ETag (weak or strong) → 304 alike; a stale one → 200 alike.
    etag = _current_etag(ours)
    for if_none_match in (etag, b"W/" + etag, b'"catalog-v1-stale", ' + etag, b'"catalog-v1-stale"'):
        conditional = [(b"if-none-match", if_none_match)]
        ours = await call(app, path, query, conditional)
        litestars = await call(app, path, query, [*conditional, (b"origin", b"https://shop.example")])
        assert not ours["routed"]
        assert {k: ours[k] for k in ("status", "headers", "body", "route")} == {
            k: litestars[k] for k in ("status", "headers", "body", "route")
        }
    assert ours["status"] == 200


@pytest.mark.parametrize(("path", "query"), NOT_FOUND)
async def test_a_plain_read_of_no_product_is_the_apps_own_404(app: Litestar, path: str, query: bytes) -> None:
    ours = await call(app, path, query, [])
    litestars = await call(app, path, query, [(b"origin", b"https://shop.example")])
    assert not ours["routed"]
    assert ours["status"] == 404
    assert {k: ours[k] for k in ("status", "headers", "body", "route")} == {
        k: litestars[k] for k in ("status", "headers", "body", "route")
    }


@pytest.mark.parametrize("host", [b"a b", b"a/b", b"a\\b", b"a?b", b"a#b", "\u00e9".encode()])
async def test_a_host_litestar_refuses_reaches_the_router(app: Litestar, host: bytes) -> None:
    answer = await call(app, f"{PRODUCTS}/1", b"", [], host=host)
    assert answer["status"] == 400, answer
    litestars = await call(app, f"{PRODUCTS}/1", b"", [(b"origin", b"https://shop.example")], host=host)
    assert {k: answer[k] for k in ("status", "body")} == {k: litestars[k] for k in ("status", "body")}


async def test_a_request_under_a_root_path_reaches_the_router(app: Litestar) -> None:
    """A server mounted at `/api` sends `/api/v1/products/1` with the root path `/api`: Litestar
    routes `/v1/products/1` (no such route), and so must the fast path."""
    answer = await call(app, f"{PRODUCTS}/1", b"", [], root_path="/api")
    origin = [(b"origin", b"https://shop.example")]
    litestars = await call(app, f"{PRODUCTS}/1", b"", origin, root_path="/api")
    assert answer["status"] == 404
    assert {k: answer[k] for k in ("status", "body")} == {k: litestars[k] for k in ("status", "body")}


@pytest.mark.parametrize(("path", "query"), ROUTED)
async def test_every_other_form_of_the_catalog_paths_reaches_the_router(
    app: Litestar, path: str, query: bytes
) -> None:
    answer = await call(app, path, query, [])
    assert answer["routed"] or answer["status"] == 404, answer
    litestars = await call(app, path, query, [(b"origin", b"https://shop.example")])
    assert {k: answer[k] for k in ("status", "body")} == {k: litestars[k] for k in ("status", "body")}


async def test_the_fast_paths_templates_are_the_catalog_routes(app: Litestar) -> None:
    """The route labels the fast path sets name routes that exist (a renamed route fails here)."""
    templates = {route.path_format for route in app.routes}
    for path, query in SERVED:
        assert (await call(app, path, query, []))["route"] in templates
