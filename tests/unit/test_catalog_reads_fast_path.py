"""The catalog fast path's error answers, on fakes: an error the use case raises is answered by
the app's exception handlers at once (no second attempt through the router, which would double
the wait on a database that does not answer), and a plain request never reaches the router."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from application.catalog.browse_products import GetProduct
from domain.errors import DependencyUnavailable, NotFound
from entrypoints.http.fast_path import catalog_reads
from entrypoints.http.problems import exception_handlers


class FailingGetProduct:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def __call__(self, product_id: int, known_versions: Collection[str] = ()) -> Any:
        self.calls += 1
        raise self.error


class Container:
    def __init__(self, use_case: FailingGetProduct) -> None:
        self.use_case = use_case

    async def get(self, kind: type) -> Any:
        assert kind is GetProduct
        return self.use_case


async def answer(error: Exception) -> tuple[FailingGetProduct, list[str], list[dict[str, Any]]]:
    use_case = FailingGetProduct(error)
    routed: list[str] = []

    async def router(scope: Any, receive: Any, send: Any) -> None:
        routed.append(scope["path"])

    layer = catalog_reads(Container(use_case), "/api/v1", exception_handlers(lambda _: None))(router)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/products/7",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"shop.example:8000")],
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await layer(scope, receive, send)
    assert scope["path_template"] == "/api/v1/products/{product_id}"  # the route's label stays
    return use_case, routed, sent


async def test_an_unavailable_database_is_503_at_once_without_a_second_attempt() -> None:
    use_case, routed, sent = await answer(DependencyUnavailable("the database is unavailable"))
    assert (use_case.calls, routed) == (1, [])
    assert sent[0]["status"] == 503
    headers = dict(sent[0]["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"retry-after"] == b"1"
    assert json.loads(sent[1]["body"])["status"] == 503


async def test_an_unknown_product_is_the_apps_404_problem() -> None:
    use_case, routed, sent = await answer(NotFound("product 7 not found"))
    assert (use_case.calls, routed) == (1, [])
    assert sent[0]["status"] == 404
    assert json.loads(sent[1]["body"]) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "product 7 not found",
    }
