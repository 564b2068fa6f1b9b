"""Webhook deliveries answered in front of Litestar's router (`fast_path.webhooks`) are answered
exactly as Litestar's own route answers them: status, headers and body (the payment's id aside),
the route label of metrics and the access log, and the same settlement behind them. Every other
form of the request reaches the router with its body intact. On SQLite and PostgreSQL.

Each comparison settles two payments alike, one through the fast path and one through the router
(the same request with an `Origin` header, which the fast path leaves to the router), since a
delivery settles its payment once.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.payments.mock.signature import HEADER, sign
from entrypoints.http.app import API_PREFIX, create_app
from tests.conftest import make_settings
from tests.e2e import fast_path_calls
from tests.e2e.conftest import Api
from tests.e2e.fast_path_calls import JSON, ORIGIN, bearer_of, running
from tests.e2e.payment_flow import WEBHOOK, WEBHOOK_SECRET, event, make_product

CUSTOMER = "ann@example.com"
SAME = ("status", "headers", "document", "route", "user", "unread")
Headers = list[tuple[bytes, bytes]]


def signed(
    body: dict[str, Any] | bytes, *, at: int | None = None, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, Headers]:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    stamp = int(time.time()) if at is None else at
    return raw, [(HEADER.lower().encode(), sign(secret, stamp, raw).encode())]


async def call(app: Litestar, body: bytes, headers: Headers, **options: Any) -> dict[str, Any]:
    answer = await fast_path_calls.call(app, body, headers, **{"path": WEBHOOK, **options})
    try:
        document = json.loads(answer["body"])
    except ValueError:
        document = answer["body"]
    if isinstance(document, dict) and document.get("payment_id") is not None:
        document["payment_id"] = 0
        document["detail"] = re.sub(r"evt_[0-9a-f]+", "evt_", document["detail"])
    answer["document"] = document
    return answer


@asynccontextmanager
async def mock_shop(database_url: str) -> AsyncIterator[Litestar]:
    """The app with the mock provider, a product of 20.00 and a registered customer, started."""
    settings = make_settings(database_url, payment_webhook_secret=WEBHOOK_SECRET)
    async with AsyncTestClient(create_app(settings)) as client:
        api = Api(client)
        await make_product(api, price="20.00")
        await api.register(CUSTOMER)
    async with running(settings) as app:
        yield app


@pytest.fixture
async def app(app_database_url: str) -> AsyncIterator[Litestar]:
    async with mock_shop(app_database_url) as app:
        yield app


@pytest.fixture
async def bearer(app: Litestar) -> Headers:
    return await bearer_of(app, CUSTOMER, "customer-password")


async def new_payment(app: Litestar, bearer: Headers) -> dict[str, Any]:
    """A pending order of the customer's, its mock payment started."""
    body = b'{"items": [{"product_id": 1, "quantity": 1}]}'
    placed = await fast_path_calls.call(app, body, [*bearer, JSON], path=f"{API_PREFIX}/orders")
    assert placed["status"] == 201, placed["body"]
    order_id = json.loads(placed["body"])["id"]
    started = await fast_path_calls.call(
        app, b"", bearer, path=f"{API_PREFIX}/payments/orders/{order_id}", length=False
    )
    assert started["status"] == 201, started["body"]
    payment: dict[str, Any] = json.loads(started["body"])
    return payment


async def both(
    app: Litestar, bearer: Headers, make: Any, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`make(payment) -> (body, headers)` delivered for a payment of its own through the fast path
    and through the router."""
    answers = []
    for extra in ([], [ORIGIN]):
        body, headers = make(await new_payment(app, bearer))
        answers.append(await call(app, body, [*headers, *extra], **options))
    return answers[0], answers[1]


def succeeded(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded"))
    return body, [*headers, JSON]


@pytest.mark.parametrize("content_type", [b"application/json", b"application/json; charset=utf-8"])
async def test_a_signed_delivery_is_settled_as_litestar_settles_it(
    app: Litestar, bearer: Headers, content_type: bytes
) -> None:
    def make(payment: dict[str, Any]) -> tuple[bytes, Headers]:
        body, headers = signed(event(payment, "succeeded"))
        return body, [*headers, (b"content-type", content_type)]

    ours, litestars = await both(app, bearer, make)
    assert not ours["routed"], "the fast path did not answer"
    assert litestars["routed"]
    assert ours["status"] == 200, ours["body"]
    assert ours["document"]["result"] == "applied"
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


async def test_a_repeated_delivery_is_a_duplicate_either_way(app: Litestar, bearer: Headers) -> None:
    answers = []
    for extra in ([], [ORIGIN]):
        body, headers = succeeded(await new_payment(app, bearer))
        await call(app, body, [*headers, *extra])
        answers.append(await call(app, body, [*headers, *extra]))
    ours, litestars = answers
    assert not ours["routed"] and ours["document"]["result"] == "duplicate"
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


def _forged(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded"), secret="not-the-secret-0123456789abcdef01234567")
    return body, [*headers, JSON]


def _stale(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded"), at=int(time.time()) - 3600)
    return body, [*headers, JSON]


def _unsigned(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    return msgspec.json.encode(event(payment, "succeeded")), [JSON]


def _unknown_payment(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded", provider_payment_id="mock_pay_unknown"))
    return body, [*headers, JSON]


def _unreadable_event(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed({"event_id": "evt_1", "status": "succeeded"})
    return body, [*headers, JSON]


def _wrong_amount(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded", amount="19.99"))
    return body, [*headers, JSON]


def _huge_number(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    """JSON the body gate reads (a number past any integer type becomes an exact decimal), which
    the provider's event type then refuses."""
    body, headers = signed(b'{"amount": 1' + b"0" * 400 + b"}")
    return body, [*headers, JSON]


@pytest.mark.parametrize(
    "make", [_forged, _stale, _unsigned, _unknown_payment, _unreadable_event, _wrong_amount, _huge_number]
)
async def test_a_plain_delivery_the_rules_refuse_is_the_apps_own_answer(
    app: Litestar, bearer: Headers, make: Any
) -> None:
    ours, litestars = await both(app, bearer, make)
    assert not ours["routed"]
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


def _text(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(event(payment, "succeeded"))
    return body, [*headers, (b"content-type", b"text/plain")]


def _not_json(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(b'{"event_id": ')
    return body, [*headers, JSON]


def _too_deep(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(b"[" * 40 + b"]" * 40)
    return body, [*headers, JSON]


def _exponent(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    """A number whose exponent no Decimal holds: the body gate's 422."""
    body, headers = signed(b'{"x": 1E+999999999999999999999}')
    return body, [*headers, JSON]


@pytest.mark.parametrize("make", [_not_json, _too_deep, _exponent])
async def test_a_body_the_gate_refuses_is_its_own_problem(app: Litestar, bearer: Headers, make: Any) -> None:
    ours, litestars = await both(app, bearer, make)
    assert not ours["routed"]
    assert ours["status"] in (400, 422), ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


def _empty(payment: dict[str, Any]) -> tuple[bytes, Headers]:
    body, headers = signed(b"")
    return body, [*headers, JSON]


@pytest.mark.parametrize("make", [_text, _empty])
async def test_another_content_type_or_no_body_reaches_the_router(
    app: Litestar, bearer: Headers, make: Any
) -> None:
    ours, litestars = await both(app, bearer, make)
    assert ours["routed"], ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}


@pytest.mark.parametrize(
    "options",
    [
        {"query": b"retry=1"},
        {"length": False},
        {"path": f"{API_PREFIX}/payments/webhook/stripe"},
        {"path": f"{API_PREFIX}/payments/webhook/Mock"},
        {"path": f"{WEBHOOK}/"},
        {"root_path": "/shop"},
    ],
    ids=["query", "no-content-length", "disabled-provider", "other-spelling", "trailing-slash", "root-path"],
)
async def test_every_other_request_reaches_the_router(
    app: Litestar, bearer: Headers, options: dict[str, Any]
) -> None:
    ours, litestars = await both(app, bearer, succeeded, **options)
    assert ours["routed"] or ours["status"] in (404, 405), ours
    assert {k: ours[k] for k in SAME} == {k: litestars[k] for k in SAME}
