"""Orders placed in front of Litestar's router (`fast_path.place_order`) are answered exactly as
Litestar's own route answers them: status, headers and body (the new order's id and times
aside), the route label of metrics and the access log, and the same order, stock and timeline
behind it. Every other form of the request reaches the router with its body intact. On SQLite
and PostgreSQL.

A request is sent straight to the app's ASGI callable, and its scope is read afterwards:
Litestar's router puts the matched handler in `scope["route_handler"]`; the fast path does
not. The same request with an `Origin` header is Litestar's answer (the fast path leaves
requests that CORS could decorate to the router, and the app configures no CORS).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.http.app import API_PREFIX, create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api
from tests.e2e.test_catalog_caching import shelf

ORDERS = f"{API_PREFIX}/orders"
ORIGIN = (b"origin", b"https://shop.example")
JSON = (b"content-type", b"application/json")
# The shelf: product 1 "Dune" with 3 units of tracked stock, product 2 "Emma" untracked.
DUNE, EMMA = 1, 2
CUSTOMER = "ann@example.com"


def order(*lines: tuple[int, Any]) -> bytes:
    return json.dumps({"items": [{"product_id": p, "quantity": q} for p, q in lines]}).encode()


# Bodies the fast path places itself.
SERVED = [
    order((EMMA, 1)),
    b'{ "items" : [ { "quantity" : 2 , "product_id" : 2 } ] }',
    order((EMMA, 1), (DUNE, 1)),
]

# Plain bodies the use case refuses: the fast path answers with the app's own problem.
REFUSED = [
    (order((999, 1)), 404),
    (order((DUNE, 50)), 409),
    (order((EMMA, 0)), 422),
    (order((EMMA, 1001)), 422),
    (order((EMMA, 1), (EMMA, 2)), 422),
    (b'{"items": []}', 422),
]

# (body, extra headers, query, path): forms the router answers.
ROUTED: list[tuple[bytes, list[tuple[bytes, bytes]], bytes, str]] = [
    (order((EMMA, 1)), [(b"content-type", b"application/json; charset=utf-8")], b"", ORDERS),
    (order((EMMA, 1)), [JSON, (b"idempotency-key", b"fast-path-key-1")], b"", ORDERS),
    (order((EMMA, 1)), [JSON], b"dry_run=1", ORDERS),
    (order((EMMA, 1)), [JSON], b"", f"{ORDERS}/"),
    (b'{"items": [{"product_id": 2, "quantity": 1}], "coupon": "X"}', [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 2, "quantity": "1"}]}', [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 0, "quantity": 1}]}', [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 2, "quantity": 1.0}]}', [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 2, "quantity": 1e400}]}', [JSON], b"", ORDERS),
    (b'{"items": null}', [JSON], b"", ORDERS),
    (b'{"items": [', [JSON], b"", ORDERS),
    (b"", [JSON], b"", ORDERS),
    (b'\xef\xbb\xbf{"items": [{"product_id": 2, "quantity": 1}]}', [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 2, "quantity": 1}]}', [], b"", ORDERS),
]


async def call(
    app: Litestar,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    query: bytes = b"",
    path: str = ORDERS,
    method: str = "POST",
    chunks: int = 1,
    length: bool = True,
    root_path: str = "",
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": root_path,
        "headers": [
            (b"host", b"test"),
            *headers,
            *([(b"content-length", b"%d" % len(body))] if length else []),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not messages:
            await asyncio.Event().wait()
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    body_sent = b"".join(m.get("body", b"") for m in sent[1:])
    headers_sent = dict(sent[0]["headers"])
    assert headers_sent.pop(b"content-length", str(len(body_sent)).encode()) == str(len(body_sent)).encode()
    headers_sent.pop(b"x-request-id")
    return {
        "status": sent[0]["status"],
        "headers": headers_sent,
        "body": body_sent,
        "document": _comparable(body_sent),
        "routed": "route_handler" in scope,
        "route": scope.get("path_template"),
        "user": scope["state"].get("user_id"),
    }


def _comparable(body: bytes) -> Any:
    """The answer's JSON with what differs between two placements (ids, times) blanked."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if isinstance(document, dict) and "items" in document:
        document.update(id=0, created_at="", updated_at="")
        for line in document["items"]:
            line["id"] = 0
    return document


SAME = ("status", "headers", "document", "route", "user")


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    """The app started in this test's event loop (its pools belong to it), on the seeded shelf
    with a registered customer."""
    settings = make_settings(app_database_url)
    async with AsyncTestClient(create_app(settings)) as client:
        api = Api(client)
        await shelf(api)
        await api.register(CUSTOMER)
    app = create_app(settings)
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    running = asyncio.create_task(app(lifespan, inbox.get, outbox.put))  # type: ignore[arg-type]
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    yield app
    await inbox.put({"type": "lifespan.shutdown"})
    await running


@pytest.fixture
async def bearer(app: Litestar) -> list[tuple[bytes, bytes]]:
    """The customer's `Authorization` header, from a login to this app (its session store)."""
    login = json.dumps({"email": CUSTOMER, "password": "customer-password"}).encode()
    answer = await call(app, login, [JSON], path=f"{API_PREFIX}/auth/login")
    assert answer["status"] == 200, answer["body"]
    return [(b"authorization", f"Bearer {json.loads(answer['body'])['access_token']}".encode())]


async def _get(app: Litestar, path: str, bearer: list[tuple[bytes, bytes]]) -> Any:
    return await call(app, b"", bearer, path=path, method="GET", length=False)


@pytest.mark.parametrize("body", SERVED)
async def test_a_plain_order_is_placed_as_litestar_places_it(
    app: Litestar, bearer: list[tuple[bytes, bytes]], body: bytes
) -> None:
    ours = await call(app, body, [*bearer, JSON])
    litestars = await call(app, body, [*bearer, JSON, ORIGIN])
    assert not ours["routed"], "the fast path did not answer"
    assert litestars["routed"]
    assert ours["status"] == 201, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}
    assert json.loads(litestars["body"])["id"] == json.loads(ours["body"])["id"] + 1


async def test_a_body_sent_in_pieces_is_placed_whole(
    app: Litestar, bearer: list[tuple[bytes, bytes]]
) -> None:
    body = order((EMMA, 3), (DUNE, 1))
    ours = await call(app, body, [*bearer, JSON], chunks=5)
    assert not ours["routed"]
    assert ours["status"] == 201, ours["body"]
    assert [(i["product_id"], i["quantity"]) for i in json.loads(ours["body"])["items"]] == [
        (EMMA, 3),
        (DUNE, 1),
    ]


@pytest.mark.parametrize(("body", "status"), REFUSED)
async def test_a_plain_order_the_rules_refuse_is_the_apps_own_problem(
    app: Litestar, bearer: list[tuple[bytes, bytes]], body: bytes, status: int
) -> None:
    ours = await call(app, body, [*bearer, JSON])
    litestars = await call(app, body, [*bearer, JSON, ORIGIN])
    assert not ours["routed"]
    assert ours["status"] == status, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "authorization", [b"Bearer not-a-token", b"Bearer ", b"bearer x.y.z"], ids=["garbage", "empty", "forged"]
)
async def test_a_bad_token_is_the_apps_own_401(app: Litestar, authorization: bytes) -> None:
    headers = [(b"authorization", authorization), JSON]
    ours = await call(app, order((EMMA, 1)), headers)
    litestars = await call(app, order((EMMA, 1)), [*headers, ORIGIN])
    assert ours["status"] == 401
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(("body", "headers", "query", "path"), ROUTED)
async def test_every_other_form_reaches_the_router_with_its_body(
    app: Litestar,
    bearer: list[tuple[bytes, bytes]],
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    query: bytes,
    path: str,
) -> None:
    answer = await call(app, body, [*bearer, *headers], query=query, path=path)
    assert answer["routed"] or answer["status"] in (404, 405), answer
    again = [(name, value + b"-2" if name == b"idempotency-key" else value) for name, value in headers]
    litestars = await call(app, body, [*bearer, *again, ORIGIN], query=query, path=path)
    assert {k: answer[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "variant",
    [
        {"length": False},
        {"root_path": "/shop"},
    ],
    ids=["no-content-length", "root-path"],
)
async def test_a_request_without_a_stated_length_or_under_a_root_path_reaches_the_router(
    app: Litestar, bearer: list[tuple[bytes, bytes]], variant: dict[str, Any]
) -> None:
    answer = await call(app, order((EMMA, 1)), [*bearer, JSON], **variant)
    litestars = await call(app, order((EMMA, 1)), [*bearer, JSON, ORIGIN], **variant)
    assert answer["routed"] or answer["status"] == 404, answer
    assert {k: answer[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_two_bearer_headers_reach_the_router(app: Litestar, bearer: list[tuple[bytes, bytes]]) -> None:
    headers = [*bearer, *bearer, JSON]
    answer = await call(app, order((EMMA, 1)), headers)
    litestars = await call(app, order((EMMA, 1)), [*headers, ORIGIN])
    assert answer["routed"]
    assert {k: answer[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_the_placed_order_is_the_routes_order(app: Litestar, bearer: list[tuple[bytes, bytes]]) -> None:
    """What the fast path placed reads back as the route's would: the order, its reserved stock
    and its timeline."""
    ours = json.loads((await call(app, order((DUNE, 2)), [*bearer, JSON]))["body"])
    read = await _get(app, f"{ORDERS}/{ours['id']}", bearer)
    assert read["status"] == 200 and json.loads(read["body"]) == ours
    product = await _get(app, f"{API_PREFIX}/products/{DUNE}", [])
    assert json.loads(product["body"])["stock"] == 1
    timeline = await _get(app, f"{ORDERS}/{ours['id']}/events", bearer)
    assert [event["type"] for event in json.loads(timeline["body"])] == ["placed"]


async def test_the_fast_paths_template_is_the_routes(app: Litestar) -> None:
    """The route label the fast path sets names a route that exists (a renamed route fails here)."""
    templates = {route.path_format for route in app.routes}
    assert ORDERS in templates
