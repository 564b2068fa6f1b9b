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

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.sql.database import Database
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import UnitOfWork
from entrypoints.http.app import API_PREFIX, create_app
from tests.conftest import make_settings
from tests.e2e import fast_path_calls
from tests.e2e.conftest import Api
from tests.e2e.fast_path_calls import JSON, ORIGIN, bearer_of, running
from tests.e2e.test_catalog_caching import shelf

ORDERS = f"{API_PREFIX}/orders"
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
    (order((EMMA, 1)), [(b"content-type", b"text/plain")], b"", ORDERS),
    (order((EMMA, 1)), [JSON, (b"idempotency-key", b"fast-path-key-1")], b"", ORDERS),
    (order((EMMA, 1)), [JSON], b"dry_run=1", ORDERS),
    (order((EMMA, 1)), [JSON], b"", f"{ORDERS}/"),
    (b"", [JSON], b"", ORDERS),
    (b'{"items": [{"product_id": 2, "quantity": 1}]}', [], b"", ORDERS),
]

# Bodies the route's own body gate refuses: the layer answers its 400 or 422, reading them once.
REFUSED_BODIES = [
    b'{"items": [{"product_id": 2, "quantity": 1}], "coupon": "X"}',
    b'{"items": [{"product_id": 2, "quantity": "1"}]}',
    b'{"items": [{"product_id": 0, "quantity": 1}]}',
    b'{"items": [{"product_id": 2, "quantity": 1.0}]}',
    b'{"items": [{"product_id": 2, "quantity": 1e400}]}',
    b'{"items": [{"product_id": 2, "quantity": 1E+999999999999999999999}]}',
    b'{"items": null}',
    b"null",
    b'{"items": [',
    b"[" * 40 + b"]" * 40,
    b'\xef\xbb\xbf{"items": [{"product_id": 2, "quantity": 1}]}',
    b'{"items": [{"product_id": 2, "quantity": 1}]}\x00',
]


SAME = ("status", "headers", "document", "route", "user", "unread")


async def call(
    app: Litestar, body: bytes, headers: list[tuple[bytes, bytes]], **options: Any
) -> dict[str, Any]:
    """A request to the order route (or `path=`), its answer with a `document` to compare."""
    answer = await fast_path_calls.call(app, body, headers, **{"path": ORDERS, **options})
    answer["document"] = _comparable(answer["body"])
    return answer


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


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    """The app on the seeded shelf with a registered customer."""
    settings = make_settings(app_database_url)
    async with AsyncTestClient(create_app(settings)) as client:
        api = Api(client)
        await shelf(api)
        await api.register(CUSTOMER)
    async with running(settings) as app:
        yield app


@pytest.fixture
async def bearer(app: Litestar) -> list[tuple[bytes, bytes]]:
    return await bearer_of(app, CUSTOMER, "customer-password")


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


async def test_json_with_its_charset_named_is_placed_alike(
    app: Litestar, bearer: list[tuple[bytes, bytes]]
) -> None:
    headers = [*bearer, (b"content-type", b"application/json; charset=utf-8")]
    ours = await call(app, order((EMMA, 1)), headers)
    litestars = await call(app, order((EMMA, 1)), [*headers, ORIGIN])
    assert not ours["routed"] and ours["status"] == 201
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


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


@pytest.mark.parametrize("body", REFUSED_BODIES)
async def test_a_body_the_routes_gate_refuses_is_its_own_problem(
    app: Litestar, bearer: list[tuple[bytes, bytes]], body: bytes
) -> None:
    ours = await call(app, body, [*bearer, JSON])
    litestars = await call(app, body, [*bearer, JSON, ORIGIN])
    assert not ours["routed"]
    assert ours["status"] in (400, 422), ours["body"]
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
    assert answer["routed"], answer
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


async def test_a_refused_caller_is_answered_before_the_body_is_read(app: Litestar) -> None:
    """As the route's guard: a bad token is 401 before any byte of the body is taken."""
    headers = [(b"authorization", b"Bearer not-a-token"), JSON]
    ours = await call(app, order((EMMA, 1)) + b" " * 4000, headers, chunks=4)
    litestars = await call(app, order((EMMA, 1)) + b" " * 4000, [*headers, ORIGIN], chunks=4)
    assert ours["status"] == 401 and not ours["routed"]
    assert ours["unread"] == litestars["unread"] == 4
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_client_that_leaves_mid_body_is_the_routers_to_answer(
    app: Litestar, bearer: list[tuple[bytes, bytes]]
) -> None:
    ours = await call(app, order((EMMA, 1)), [*bearer, JSON], chunks=3, leaves=True)
    litestars = await call(app, order((EMMA, 1)), [*bearer, JSON, ORIGIN], chunks=3, leaves=True)
    assert ours["routed"]
    assert {k: ours[k] for k in ("status", "route")} == {k: litestars[k] for k in ("status", "route")}
    mine = await _get(app, f"{ORDERS}/me", bearer)
    assert json.loads(mine["body"]) == [], "an order was placed from half a body"


async def test_more_bytes_than_the_limit_are_the_routers_413(
    app: Litestar, bearer: list[tuple[bytes, bytes]]
) -> None:
    """A body longer than it said, past the limit (an HTTP server stops that; the layer does not
    rely on it): the router counts the bytes and answers 413."""
    body = order((EMMA, 1)) + b" " * (1024 * 1024)
    ours = await call(app, body, [*bearer, JSON], chunks=8, stated_length=100)
    litestars = await call(app, body, [*bearer, JSON, ORIGIN], chunks=8, stated_length=100)
    assert ours["status"] == 413 and ours["routed"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


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


async def test_an_order_is_answered_before_its_request_scope_closes(app_database_url: str) -> None:
    """As Litestar answers before its request scope ends: a failure while the scope closes (a
    dependency's clean-up) comes after the placed order's 201, never in place of it."""
    armed = False

    class FailingCleanUp(Provider):
        @provide(scope=Scope.REQUEST)
        async def unit_of_work(self, db: Database) -> AsyncIterator[UnitOfWork]:
            yield SqlUnitOfWork(db)
            if armed:
                raise RuntimeError("a clean-up that fails")

    settings = make_settings(app_database_url)
    async with AsyncTestClient(create_app(settings)) as client:
        api = Api(client)
        await shelf(api)
        await api.register(CUSTOMER)
    async with running(settings, FailingCleanUp()) as app:
        bearer = await bearer_of(app, CUSTOMER, "customer-password")
        armed = True
        for extra in ([], [ORIGIN]):
            sent: list[dict[str, Any]] = []
            with pytest.raises(Exception):  # noqa: B017, PT011 - Litestar wraps it in an exception of its own
                await fast_path_calls.call(
                    app, order((EMMA, 1)), [*bearer, JSON, *extra], path=ORDERS, sent=sent
                )
            assert sent and sent[0]["status"] == 201, (extra, sent[:1])
