"""The catalog's three busiest reads answered in front of Litestar's router, plain requests only.

Measured (docs/performance.md, "Catalog reads in front of the router"): in process, a
get-product request spent about half of its CPU between the edge and the use case —
Litestar's routing, its exception and route middleware, the handler's signature model
and parameter parsing, dishka's injection — against the bare floor's 124 µs for the same
query and JSON. These three reads need none of it: their use cases are APP-scoped, take
an id or a page, and answer with `CatalogAnswer`, an ASGI app Litestar passes through
untouched. So this layer, the innermost of `wrap_router` (inside the edge, the no-store
paths and the per-IP limit), answers them itself when the request is one of:

- `GET {prefix}/products/{id}` with no query string, `id` ASCII digits without a leading zero;
- `GET {prefix}/products` and `GET {prefix}/categories` (or `/categories/all`) whose query
  string is only `limit`, `offset` (ASCII digits without a leading zero, within their
  bounds) and `only_active` (`true` or `false`), each at most once;

with no `Origin` header (an answer that CORS would decorate), no root path (which Litestar
strips before routing) and a `Host` header, if any, of letters, digits, `.`, `-`, `:` and
brackets only (Litestar answers 400 to a host it finds invalid; every host passed here is one
it accepts). Everything else goes to Litestar's router unchanged. It sets
`scope["path_template"]` to the route's own template, so metrics and the access log name the
route as Litestar would. An error the use case raises (an unknown product, an unavailable
database) is answered by the app's own exception handlers, as Litestar's exception middleware
answers it, without asking the database a second time. `tests/e2e/test_catalog_reads_fast_path.py`
holds every form served here to Litestar's own answer, byte for byte.

What it relies on: nothing of Litestar's internals beyond `around_router`'s (errors are
rendered with the public `Response.to_asgi_response`); the route templates are the catalog
routes' (`entrypoints.http.catalog`), checked by the same test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from dishka import AsyncContainer
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from application.catalog.browse_categories import ListCategories
from application.catalog.browse_products import GetProduct, ListProducts
from application.ids import MAX_DB_ID
from application.paging import MAX_LIMIT, Page
from application.ports import ProductFilter
from entrypoints.http.caching import versions_in_scope as _known_versions
from entrypoints.http.fast_path.catalog_answer import CatalogAnswer
from entrypoints.http.fast_path.common import answer_error, plain_host, plain_number

_BOOLEANS = {b"true": True, b"false": False}
_BOUNDS = {b"limit": (1, MAX_LIMIT), b"offset": (0, MAX_DB_ID)}
# Any id of as many digits as MAX_DB_ID: GetProduct answers NotFound beyond MAX_DB_ID, as the route does.
_ANY_ID = 10 ** len(str(MAX_DB_ID)) - 1
T = TypeVar("T")


def _page_query(query: bytes) -> tuple[int, int, bool] | None:
    """(limit, offset, only_active) from a plain query string; None for anything else."""
    limit, offset, only_active = 50, 0, False
    if not query:
        return limit, offset, only_active
    seen: set[bytes] = set()
    for pair in query.split(b"&"):
        name, equals, value = pair.partition(b"=")
        if not equals or name in seen:
            return None
        seen.add(name)
        if name == b"only_active":
            if value not in _BOOLEANS:
                return None
            only_active = _BOOLEANS[value]
            continue
        bounds = _BOUNDS.get(name)
        number = None if bounds is None else plain_number(value, *bounds)
        if number is None:
            return None
        if name == b"limit":
            limit = number
        else:
            offset = number
    return limit, offset, only_active


def _plain(scope: HTTPScope) -> bool:
    """GET without an `Origin` header (CORS answers go through Litestar), without a root path,
    with a plain `Host` (the first one, which Litestar checks) or none."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return False
    host = None
    for name, value in scope["headers"]:
        if name == b"origin":
            return False
        if name == b"host" and host is None:
            host = value
    return host is None or plain_host(host)


def catalog_reads(
    container: AsyncContainer, prefix: str, exception_handlers: Mapping[type[Exception], Any]
) -> Any:
    """The layer for `wrap_router` (innermost): the three catalog reads under `prefix`; errors are
    answered by `exception_handlers` (the app's own: exception type → handler(request, error))."""
    products = f"{prefix}/products"
    product_prefix = f"{products}/"
    product_template = f"{products}/{{product_id}}"
    categories = frozenset({f"{prefix}/categories", f"{prefix}/categories/all"})
    use_cases: dict[type, Any] = {}

    async def use_case(kind: type[T]) -> T:
        found = use_cases.get(kind)
        if found is None:
            found = use_cases[kind] = await container.get(kind)
        return cast(T, found)

    async def served(scope: Scope) -> CatalogAnswer | None:
        """The answer to a plain catalog read; None for any other request."""
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        if path.startswith(product_prefix):
            product_id = None if query else plain_number(path[len(product_prefix) :].encode(), 0, _ANY_ID)
            if product_id is None:
                return None
            scope["path_template"] = product_template
            get_product = await use_case(GetProduct)
            return CatalogAnswer(await get_product(product_id, _known_versions(scope)))
        if path != products and path not in categories:
            return None
        page = _page_query(query)
        if page is None:
            return None
        limit, offset, only_active = page
        scope["path_template"] = path
        if path == products:
            list_products = await use_case(ListProducts)
            criteria = ProductFilter(only_active=only_active, limit=limit, offset=offset)
            return CatalogAnswer(await list_products(criteria, _known_versions(scope)))
        list_categories = await use_case(ListCategories)
        return CatalogAnswer(await list_categories(only_active, Page(limit, offset), _known_versions(scope)))

    def layer(router: ASGIApp) -> ASGIApp:
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or not _plain(scope):
                await router(scope, receive, send)
                return
            try:
                result = await served(scope)
            except Exception as error:  # noqa: BLE001 - answered by the app's own exception handlers
                await answer_error(exception_handlers, scope, receive, send, error)
                return
            if result is None:
                await router(scope, receive, send)
            else:
                await result(scope, receive, send)

        return answer

    return layer
