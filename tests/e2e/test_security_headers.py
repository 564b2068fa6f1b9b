"""Security headers: nosniff on every response, no-store on tokens, no framing of HTML pages."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import make_product, place_order, start_payment

_PATH_PARAMETER = re.compile(r"\{[^}:]+:(?P<kind>[a-z]+)\}")


def _concrete(path: str) -> str:
    return _PATH_PARAMETER.sub(lambda m: "1" if m["kind"] == "int" else "x", path)


def every_route(app: Litestar) -> list[tuple[str, str]]:
    """Every method of every path in the route table, path parameters filled in."""
    found = [
        (str(method), _concrete(route.path))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in sorted(route.methods)
    ]
    assert len(found) > 60
    return found


def assert_nosniff(response: Any, what: str) -> None:
    assert response.headers.get_list("x-content-type-options") == ["nosniff"], what


def assert_not_frameable(response: Any) -> None:
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    [policy] = response.headers.get_list("content-security-policy")
    assert "frame-ancestors 'none'" in policy


async def test_every_route_answers_with_nosniff_success_or_error(api: Api) -> None:
    app: Litestar = api.client.app
    admin = await api.admin()
    for method, path in every_route(app):
        for headers in ({}, admin):
            response = await api.client.request(method, path, headers=headers)
            assert_nosniff(response, f"{method} {path} -> {response.status_code}")


async def test_router_errors_and_operations_carry_nosniff(api: Api) -> None:
    for method, path in [
        ("GET", "/nowhere"),
        ("GET", "/api/v1/nowhere"),
        ("DELETE", "/api/v1/auth/me"),
        ("GET", "/health/live"),
        ("GET", "/health/ready"),
        ("GET", "/metrics"),
        ("GET", "/docs"),
        ("GET", "/docs/openapi.json"),
    ]:
        assert_nosniff(await api.client.request(method, path), f"{method} {path}")


async def test_responses_with_tokens_are_never_stored(api: Api) -> None:
    await api.register("ann@example.com", "customer-password")
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": "ann@example.com", "password": "customer-password"}
    )
    assert login.status_code == 200
    assert login.headers["cache-control"] == "no-store"
    form = await api.client.post(
        "/api/v1/auth/login", data={"username": "ann@example.com", "password": "customer-password"}
    )
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    refresh = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refresh.status_code == 200
    assert refresh.headers["cache-control"] == "no-store"
    assert_nosniff(refresh, "refresh")


async def test_every_answer_of_login_and_refresh_is_never_stored(api: Api) -> None:
    """Errors too: a credential exchange's answer is nobody's to keep (429 and 503 are
    checked where those conditions are set up: test_rate_limits, test_redis_outage)."""
    await api.register("ann@example.com", "customer-password")
    answers = {
        "wrong password": (
            401,
            await api.client.post(
                "/api/v1/auth/login", json={"email": "ann@example.com", "password": "nope"}
            ),
        ),
        "login rule broken": (422, await api.client.post("/api/v1/auth/login", json={"email": 1})),
        "login malformed": (400, await api.client.post("/api/v1/auth/login", content=b"{")),
        "login, trailing slash": (
            401,
            await api.client.post("/api/v1/auth/login/", json={"email": "x@y.zz", "password": "nope"}),
        ),
        "unknown refresh token": (
            401,
            await api.client.post("/api/v1/auth/refresh", json={"refresh_token": "unknown"}),
        ),
        "refresh rule broken": (422, await api.client.post("/api/v1/auth/refresh", json={})),
        "refresh with no body": (400, await api.client.post("/api/v1/auth/refresh")),
        "refresh, wrong method": (405, await api.client.get("/api/v1/auth/refresh")),
    }
    for what, (status, response) in answers.items():
        assert response.status_code == status, (what, response.text)
        assert response.headers.get_list("cache-control") == ["no-store"], what
        assert_nosniff(response, what)


async def test_the_mock_checkout_pages_refuse_to_be_framed_and_load_nothing_else(api: Api) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = await start_payment(api, customer, order["id"])
    page_path = f"/mock-checkout/{payment['provider_payment_id']}"

    page = await api.client.get(page_path)
    assert page.status_code == 200 and "<form" in page.text
    assert page.headers.get_list("content-type") == ["text/html; charset=utf-8"]
    assert_not_frameable(page)
    [policy] = page.headers.get_list("content-security-policy")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"  # no script runs on the page
    assert directives["style-src"] == "'unsafe-inline'"  # its own inline style sheet
    assert directives["form-action"] == "'self'"  # its Pay and Decline forms post back here
    assert 'action="/mock-checkout/' in page.text  # ... to this origin's path

    missing = await api.client.get("/mock-checkout/mock_nothing")
    assert missing.status_code == 404
    assert_not_frameable(missing)

    paid = await api.client.post(f"{page_path}/pay")
    assert paid.status_code == 200
    assert paid.headers.get_list("content-type") == ["text/html; charset=utf-8"]
    assert_not_frameable(paid)
    assert_nosniff(paid, "pay")


async def test_swagger_ui_refuses_to_be_framed(api: Api) -> None:
    docs = await api.client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert_not_frameable(docs)
    # JSON is not a page: no framing headers needed there.
    assert "x-frame-options" not in (await api.client.get("/health/live")).headers
