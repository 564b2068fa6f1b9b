"""Payment starts answered in front of Litestar's router (`fast_path.payment_starts`) are
answered exactly as Litestar's own route answers them: status, headers and body (the payment's
ids, times and checkout page aside), the route label of metrics and the access log. Every other
form of the request reaches the router with its body intact. On SQLite and PostgreSQL.

Each comparison starts paying two orders alike (each pending, 20.00), one through the fast path
and one through the router (the same request with an `Origin` header, which the fast path leaves
to the router).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from entrypoints.http.app import API_PREFIX
from tests.e2e import fast_path_calls
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.fast_path_calls import JSON, ORIGIN, bearer_of
from tests.e2e.test_webhook_fast_path import CUSTOMER, Headers, mock_shop

SAME = ("status", "headers", "document", "route", "user", "unread")
BLANKED = ("id", "order_id", "provider_payment_id", "checkout_url", "created_at", "updated_at")
STARTS = f"{API_PREFIX}/payments/orders"


async def call(app: Litestar, body: bytes, headers: Headers, **options: Any) -> dict[str, Any]:
    return await fast_path_calls.created_call(app, body, headers, blanked=BLANKED, named="order", **options)


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    async with mock_shop(app_database_url) as app:
        yield app


@pytest.fixture
async def customer(app: Litestar) -> Headers:
    return await bearer_of(app, CUSTOMER, "customer-password")


async def pending_order(app: Litestar, customer: Headers) -> int:
    """A pending order of the customer's, of 20.00."""
    body = b'{"items": [{"product_id": 1, "quantity": 1}]}'
    placed = await fast_path_calls.call(app, body, [*customer, JSON], path=f"{API_PREFIX}/orders")
    assert placed["status"] == 201, placed["body"]
    return int(json.loads(placed["body"])["id"])


async def both(
    app: Litestar, customer: Headers, body: bytes, headers: Headers, path: str | None = None, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request through the fast path and through the router, each for a pending order of its
    own (at `path` when given, `{id}` in it standing for that order's id, else at its start)."""
    answers = []
    for extra in ([], [ORIGIN]):
        order_id = await pending_order(app, customer)
        where = (path or f"{STARTS}/{{id}}").replace("{id}", str(order_id))
        answers.append(await call(app, body, [*headers, *extra], path=where, **options))
    return answers[0], answers[1]


@pytest.mark.parametrize("body", [b'{"provider": "mock"}', b"{}"])
async def test_a_plain_start_is_answered_as_litestar_answers_it(
    app: Litestar, customer: Headers, body: bytes
) -> None:
    ours, litestars = await both(app, customer, body, [*customer, JSON])
    assert not ours["routed"], "the fast path did not answer"
    assert litestars["routed"]
    assert ours["status"] == 201, ours["body"]
    assert ours["document"]["provider"] == "mock" and ours["document"]["status"] == "created"
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_second_start_is_the_apps_own_conflict(app: Litestar, customer: Headers) -> None:
    answers = []
    for extra in ([], [ORIGIN]):
        order_id = await pending_order(app, customer)
        where = f"{STARTS}/{order_id}"
        first = await call(app, b"{}", [*customer, JSON, *extra], path=where)
        assert first["status"] == 201, first["body"]
        answers.append(await call(app, b"{}", [*customer, JSON, *extra], path=where))
    ours, litestars = answers
    assert not ours["routed"]
    assert ours["status"] == 409, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_someone_elses_order_and_no_order_are_the_apps_own_404(
    app: Litestar, customer: Headers
) -> None:
    admin = await bearer_of(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    ours, litestars = await both(app, customer, b"{}", [*admin, JSON])
    assert not ours["routed"]
    assert ours["status"] == 404, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}
    ours, litestars = await both(app, customer, b"{}", [*customer, JSON], path=f"{STARTS}/999999")
    assert not ours["routed"]
    assert ours["status"] == 404, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "body",
    [
        b'{"provider": "stripe"}',
        b'{"provider": ""}',
        b'{"provider": 5}',
        b'{"provider": "mock", "note": "x"}',
        b'{"provider": ',
        b"null",
        b"[]",
        b'"mock"',
        b'{"provider": "' + b"m" * 33 + b'"}',
    ],
)
async def test_a_body_the_routes_gate_or_rules_refuse_is_their_own_problem(
    app: Litestar, customer: Headers, body: bytes
) -> None:
    ours, litestars = await both(app, customer, body, [*customer, JSON])
    assert not ours["routed"]
    assert ours["status"] in (400, 422), ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_no_body_reaches_the_router(app: Litestar, customer: Headers) -> None:
    ours, litestars = await both(app, customer, b"", [*customer, JSON])
    assert ours["routed"], ours
    assert ours["status"] == 201, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize("headers", [[], [(b"authorization", b"Bearer garbage")]], ids=["none", "bad"])
async def test_a_missing_or_bad_token_is_401_before_the_body(
    app: Litestar, customer: Headers, headers: Headers
) -> None:
    ours, litestars = await both(app, customer, b'{"provider": ', [*headers, JSON])
    assert ours["status"] == 401
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "options",
    [
        {"query": b"force=1"},
        {"length": False},
        {"path": f"{STARTS}/0{{id}}"},
        {"path": f"{STARTS}/99999999999999999999"},
        {"path": f"{STARTS}/{{id}}/"},
        {"path": f"{STARTS}/-1"},
        {"root_path": "/shop"},
    ],
    ids=["query", "no-content-length", "leading-zero", "too-long", "trailing-slash", "negative", "root-path"],
)
async def test_every_other_request_reaches_the_router(
    app: Litestar, customer: Headers, options: dict[str, Any]
) -> None:
    ours, litestars = await both(app, customer, b"{}", [*customer, JSON], **options)
    assert ours["routed"] or ours["status"] in (404, 405), ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_keyed_start_reaches_the_route_that_records_it(app: Litestar, customer: Headers) -> None:
    order_id = await pending_order(app, customer)
    keyed = [*customer, JSON, (b"idempotency-key", b"start-fast-path-1")]
    first = await call(app, b"{}", keyed, path=f"{STARTS}/{order_id}")
    again = await call(app, b"{}", keyed, path=f"{STARTS}/{order_id}")
    assert first["routed"] and again["routed"]
    assert (first["status"], again["status"]) == (201, 201)
    assert json.loads(first["body"]) == json.loads(again["body"])
    assert again["headers"].get(b"idempotent-replayed") == b"true"
