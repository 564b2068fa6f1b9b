"""A real browser against a real app process, with no network but the app's own origin.

Headless Chromium (Debian's `chromium` package, driven by Playwright; never a browser build
downloaded by Playwright) opens Swagger UI, logs in with Authorize (OAuth2 password form),
runs "Try it out" on GET /api/v1/auth/me, then pays an order on the mock checkout page and
finds the checkout page of a cancelled order without its Pay button. Every request the
browser makes to any other origin is blocked and recorded: Swagger UI must need none.

Skipped, saying why, where no Chromium is installed (`apt-get install -y chromium`; or set
STOREFRONT_TEST_CHROMIUM to a Chromium or Chrome binary).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from tests.conftest import clean_database, off_loop
from tests.e2e.payment_flow import WEBHOOK_SECRET
from tests.support.servers import Server, serve

pytestmark = pytest.mark.slow

ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
CUSTOMER = {"email": "ann@example.com", "password": "customer-password"}
TIMEOUT_MS = 60_000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The browser binary: STOREFRONT_TEST_CHROMIUM, else Debian's /usr/bin/chromium, else one on PATH."""
    chosen = os.environ.get("STOREFRONT_TEST_CHROMIUM")
    for candidate in (chosen,) if chosen else _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip(
            "no Chromium to drive: install Debian's `chromium` package (apt-get install -y chromium) "
            "or set STOREFRONT_TEST_CHROMIUM to a Chromium binary"
        )
    return found


@pytest.fixture
def server(sqlite_url: str) -> Iterator[Server]:
    off_loop(_clean, sqlite_url)
    env = {
        "DATABASE_URL": sqlite_url,
        "PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
    }
    with serve(env) as running:
        yield running


def _clean(url: str) -> None:
    import asyncio

    asyncio.run(clean_database(url))


@pytest.fixture
def browser_page(chromium: str, server: Server, tmp_path: Path) -> Iterator[tuple[Page, list[str]]]:
    """A page in a fresh profile that reaches only the app: anything else is aborted and recorded."""
    blocked: list[str] = []

    def only_the_app(route: Route) -> None:
        url = route.request.url
        if url == server.base_url or url.startswith(f"{server.base_url}/"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            service_workers="block",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", only_the_app)
            page = context.pages[0] if context.pages else context.new_page()
            yield page, blocked
        finally:
            context.close()


def _api(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30)


def _bearer(client: httpx.Client, who: dict[str, str]) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json=who)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _product(client: httpx.Client) -> int:
    admin = _bearer(client, ADMIN)
    category = client.post("/api/v1/categories", json={"name": "Tea", "slug": "tea"}, headers=admin)
    assert category.status_code == 201, category.text
    body = {"name": "Sencha", "price": "149.90", "category_id": category.json()["id"], "stock": 10}
    product = client.post("/api/v1/products", json=body, headers=admin)
    assert product.status_code == 201, product.text
    return int(product.json()["id"])


def _order_with_payment(client: httpx.Client, ann: dict[str, str], product_id: int) -> dict[str, Any]:
    order = client.post(
        "/api/v1/orders", json={"items": [{"product_id": product_id, "quantity": 2}]}, headers=ann
    )
    assert order.status_code == 201, order.text
    payment = client.post(f"/api/v1/payments/orders/{order.json()['id']}", headers=ann)
    assert payment.status_code == 201, payment.text
    found: dict[str, Any] = payment.json()
    return found


def test_swagger_ui_offline_authorize_try_it_out_and_the_checkout_page(
    browser_page: tuple[Page, list[str]], server: Server
) -> None:
    page, blocked = browser_page
    with _api(server) as client:
        assert client.post("/api/v1/auth/register", json=CUSTOMER).status_code == 201
        product_id = _product(client)

    # Swagger UI renders the operations from the app's own assets.
    page.goto(f"{server.base_url}/docs")
    me = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/v1/auth/me"]')
    )
    expect(me).to_have_count(1)
    assert page.locator(".opblock").count() > 20

    # Authorize: the OAuth2 password form, the email as the username.
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("#oauth_username").fill(CUSTOMER["email"])
    dialog.locator("#oauth_password").fill(CUSTOMER["password"])
    dialog.locator(".auth-btn-wrapper button.authorize").click()
    expect(dialog.locator("h6")).to_have_text("Authorized")
    expect(dialog.locator(".auth-btn-wrapper button", has_text="Logout")).to_be_visible()
    dialog.locator(".auth-btn-wrapper button.btn-done").click()
    expect(page.locator(".auth-wrapper button.authorize.locked")).to_be_visible()

    # Try it out → Execute on GET /api/v1/auth/me: 200 with the email.
    me.locator(".opblock-summary-control").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    live = me.locator(".live-responses-table tbody tr.response")
    expect(live.locator(".response-col_status")).to_have_text("200")
    expect(live.locator(".response-col_description")).to_contain_text(CUSTOMER["email"])

    with _api(server) as client:
        ann = _bearer(client, CUSTOMER)

        # The mock checkout page: Pay pays the order.
        payment = _order_with_payment(client, ann, product_id)
        page.goto(payment["checkout_url"])
        expect(page.locator("#order-status")).to_have_attribute("data-status", "pending")
        page.get_by_role("button", name="Pay", exact=True).click()
        expect(page.locator("#status")).to_have_attribute("data-status", "succeeded")
        order = client.get(f"/api/v1/orders/{payment['order_id']}", headers=ann).json()
        assert order["status"] == "paid"
        assert client.get(f"/api/v1/payments/{payment['id']}", headers=ann).json()["status"] == "succeeded"

        # A cancelled order's checkout page shows it cancelled and has no Pay button.
        cancelled = _order_with_payment(client, ann, product_id)
        response = client.post(f"/api/v1/orders/{cancelled['order_id']}/cancel", headers=ann)
        assert response.status_code == 200, response.text
        page.goto(cancelled["checkout_url"])
        expect(page.locator("#order-status")).to_have_attribute("data-status", "cancelled")
        expect(page.get_by_role("button", name="Pay", exact=True)).to_have_count(0)
        expect(page.get_by_role("button")).to_have_count(0)

    assert blocked == [], f"the pages asked for something outside the app: {blocked}"
