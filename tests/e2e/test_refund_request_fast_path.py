"""Refund requests answered in front of Litestar's router (`fast_path.refunds`) are answered
exactly as Litestar's own route answers them: status, headers and body (the refund's and the
payment's ids and times aside), the route label of metrics and the access log. Every other form
of the request reaches the router with its body intact. On SQLite and PostgreSQL.

Each comparison refunds two payments alike (each succeeded, 20.00), one through the fast path
and one through the router (the same request with an `Origin` header, which the fast path
leaves to the router).
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
from tests.e2e.test_webhook_fast_path import CUSTOMER, Headers, mock_shop, new_payment, succeeded

SAME = ("status", "headers", "document", "route", "user", "unread")
BLANKED = ("id", "payment_id", "order_id", "created_at", "updated_at")


async def call(app: Litestar, body: bytes, headers: Headers, **options: Any) -> dict[str, Any]:
    return await fast_path_calls.created_call(app, body, headers, blanked=BLANKED, named="payment", **options)


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    async with mock_shop(app_database_url) as app:
        yield app


@pytest.fixture
async def customer(app: Litestar) -> Headers:
    return await bearer_of(app, CUSTOMER, "customer-password")


@pytest.fixture
async def admin(app: Litestar) -> Headers:
    return await bearer_of(app, ADMIN_EMAIL, ADMIN_PASSWORD)


async def paid(app: Litestar, customer: Headers) -> int:
    """A payment of 20.00 that succeeded."""
    payment = await new_payment(app, customer)
    body, headers = succeeded(payment)
    settled = await fast_path_calls.call(app, body, headers, path=f"{API_PREFIX}/payments/webhook/mock")
    assert settled["status"] == 200, settled["body"]
    return int(payment["id"])


async def both(
    app: Litestar, customer: Headers, body: bytes, headers: Headers, path: str | None = None, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request through the fast path and through the router, each for a succeeded payment of
    its own (at `path` when given, else at that payment's refunds)."""
    answers = []
    for extra in ([], [ORIGIN]):
        payment_id = await paid(app, customer)
        where = path or f"{API_PREFIX}/payments/{payment_id}/refunds"
        answers.append(await call(app, body, [*headers, *extra], path=where, **options))
    return answers[0], answers[1]


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": "0.01"}',
        b'{"amount": 5}',
        b'{"amount": 1.5, "reason": "damaged in transit"}',
        b"{}",
        b'{"reason": "customer asked"}',
    ],
)
async def test_a_plain_refund_request_is_answered_as_litestar_answers_it(
    app: Litestar, customer: Headers, admin: Headers, body: bytes
) -> None:
    ours, litestars = await both(app, customer, body, [*admin, JSON])
    assert not ours["routed"], "the fast path did not answer"
    assert litestars["routed"]
    assert ours["status"] == 201, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    ("body", "status"),
    [(b'{"amount": "20.01"}', 409), (b'{"amount": "0.001"}', 422), (b'{"reason": ""}', 422)],
)
async def test_a_plain_request_the_rules_refuse_is_the_apps_own_problem(
    app: Litestar, customer: Headers, admin: Headers, body: bytes, status: int
) -> None:
    ours, litestars = await both(app, customer, body, [*admin, JSON])
    assert ours["status"] == status, ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_customer_is_refused_as_the_guard_refuses(app: Litestar, customer: Headers) -> None:
    ours, litestars = await both(app, customer, b'{"amount": "0.01"}', [*customer, JSON])
    assert not ours["routed"]
    assert ours["status"] == 403
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_refund_of_no_payment_is_the_apps_own_404(
    app: Litestar, customer: Headers, admin: Headers
) -> None:
    path = f"{API_PREFIX}/payments/999999/refunds"
    ours, litestars = await both(app, customer, b'{"amount": "0.01"}', [*admin, JSON], path=path)
    assert not ours["routed"]
    assert ours["status"] == 404
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": "-1"}',
        b'{"amount": true}',
        b'{"amount": "0.01", "note": "x"}',
        b'{"reason": "line\\u0000break"}',
        b'{"amount": ',
        b"null",
        b'{"amount": 1E+999999999999999999999}',
    ],
)
async def test_a_body_the_routes_gate_refuses_is_its_own_problem(
    app: Litestar, customer: Headers, admin: Headers, body: bytes
) -> None:
    ours, litestars = await both(app, customer, body, [*admin, JSON])
    assert not ours["routed"]
    assert ours["status"] in (400, 422), ours["body"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_no_body_reaches_the_router(app: Litestar, customer: Headers, admin: Headers) -> None:
    ours, litestars = await both(app, customer, b"", [*admin, JSON])
    assert ours["routed"], ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize("body", [b'{"amount": "-1"}', b'{"amount": 1E+999999999999999999999}', b"{"])
async def test_a_customers_bad_body_is_the_guards_403_first(
    app: Litestar, customer: Headers, body: bytes
) -> None:
    ours, litestars = await both(app, customer, body, [*customer, JSON])
    assert ours["status"] == 403
    assert ours["unread"] == 1, "the body was read before the guard's answer"
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_bad_token_is_401_before_the_body(app: Litestar, customer: Headers) -> None:
    headers = [(b"authorization", b"Bearer garbage"), JSON]
    ours, litestars = await both(app, customer, b'{"amount": 1E+999999999999999999999}', headers)
    assert ours["status"] == 401 and not ours["routed"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "options",
    [
        {"query": b"force=1"},
        {"length": False},
        {"path": f"{API_PREFIX}/payments/01/refunds"},
        {"path": f"{API_PREFIX}/payments/99999999999999999999/refunds"},
        {"path": f"{API_PREFIX}/payments/1/refunds/"},
        {"root_path": "/shop"},
    ],
    ids=["query", "no-content-length", "leading-zero", "too-long", "trailing-slash", "root-path"],
)
async def test_every_other_request_reaches_the_router(
    app: Litestar, customer: Headers, admin: Headers, options: dict[str, Any]
) -> None:
    ours, litestars = await both(app, customer, b'{"amount": "0.01"}', [*admin, JSON], **options)
    assert ours["routed"] or ours["status"] in (404, 405), ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_keyed_request_reaches_the_route_that_records_it(
    app: Litestar, customer: Headers, admin: Headers
) -> None:
    payment_id = await paid(app, customer)
    path = f"{API_PREFIX}/payments/{payment_id}/refunds"
    keyed = [*admin, JSON, (b"idempotency-key", b"refund-fast-path-1")]
    first = await call(app, b'{"amount": "0.01"}', keyed, path=path)
    again = await call(app, b'{"amount": "0.01"}', keyed, path=path)
    assert first["routed"] and again["routed"]
    assert (first["status"], again["status"]) == (201, 201)
    assert json.loads(first["body"]) == json.loads(again["body"])
    assert again["headers"].get(b"idempotent-replayed") == b"true"
