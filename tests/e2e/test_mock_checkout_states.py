"""The mock checkout page tells the order's real state and offers Pay only while it can be paid."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.e2e.payment_flow import (
    WEBHOOK_SECRET,
    Headers,
    deliver,
    event,
    make_product,
    place_order,
    start_payment,
)

_STATE = re.compile(r'<p id="(order-status|status)" data-status="([a-z_]+)"><strong>([^<]+)</strong>')


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
async def ann(api: Api) -> Headers:
    return await api.customer("ann@example.com")


@pytest.fixture
async def order(api: Api, ann: Headers) -> dict[str, Any]:
    return await place_order(api, ann, await make_product(api, "149.90", stock=10))


@pytest.fixture
async def payment(api: Api, ann: Headers, order: dict[str, Any]) -> dict[str, Any]:
    return await start_payment(api, ann, order["id"])


def page_path(payment: dict[str, Any]) -> str:
    return f"/mock-checkout/{payment['provider_payment_id']}"


def states(html: str) -> dict[str, tuple[str, str]]:
    """{"order-status": (status, words), "status": (payment status, words)} as the page shows them."""
    return {where: (status, words) for where, status, words in _STATE.findall(html)}


def has_buttons(html: str) -> bool:
    return ">Pay</button>" in html or ">Decline</button>" in html or "<form" in html


async def page(api: Api, payment: dict[str, Any]) -> str:
    response = await api.client.get(page_path(payment))
    assert response.status_code == 200, response.text
    return response.text


async def payment_of(api: Api, ann: Headers, payment: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    return found


async def test_a_payable_order_shows_both_buttons_and_its_state(api: Api, payment: dict[str, Any]) -> None:
    html = await page(api, payment)
    assert states(html) == {
        "order-status": ("pending", "Order awaiting payment"),
        "status": ("created", "Awaiting payment"),
    }
    assert ">Pay</button>" in html and ">Decline</button>" in html


async def test_a_cancelled_order_shows_cancelled_and_no_buttons(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    html = await page(api, payment)
    assert states(html) == {
        "order-status": ("cancelled", "Order cancelled: it can no longer be paid"),
        "status": ("created", "Not paid"),
    }
    assert not has_buttons(html)
    assert "Paid" not in html and "Awaiting payment" not in html


@pytest.mark.parametrize("button", ["pay", "decline"])
async def test_a_button_pressed_after_the_cancel_changes_nothing(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any], button: str
) -> None:
    """A page opened before the order was cancelled: its buttons reach a provider that refuses."""
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    response = await api.client.post(f"{page_path(payment)}/{button}")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="refused"' in response.text and not has_buttons(response.text)
    assert states(response.text)["order-status"][0] == "cancelled"
    found = await payment_of(api, ann, payment)
    assert (found["status"], found["refund_required"], found["fail_reason"]) == ("created", False, None)
    assert (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()[
        "status"
    ] == "cancelled"


async def test_a_paid_order_shows_paid_and_no_buttons(api: Api, payment: dict[str, Any]) -> None:
    assert (await api.client.post(f"{page_path(payment)}/pay")).status_code == 200
    html = await page(api, payment)
    assert states(html) == {"order-status": ("paid", "Order paid"), "status": ("succeeded", "Paid")}
    assert not has_buttons(html)


async def test_a_declined_payment_shows_payment_failed_and_the_order_still_pending(
    api: Api, payment: dict[str, Any]
) -> None:
    assert (await api.client.post(f"{page_path(payment)}/decline")).status_code == 200
    html = await page(api, payment)
    assert states(html) == {
        "order-status": ("pending", "Order awaiting payment"),
        "status": ("failed", "Payment failed"),
    }
    assert "declined by the customer" in html
    assert not has_buttons(html)


async def test_a_late_provider_success_on_a_cancelled_order_shows_the_refund_due(
    api: Api, ann: Headers, order: dict[str, Any], payment: dict[str, Any]
) -> None:
    """The webhook settlement rule for real providers stays: the page then tells it as it is."""
    assert (await api.client.post(f"/api/v1/orders/{order['id']}/cancel", headers=ann)).status_code == 200
    assert (await deliver(api, event(payment, "succeeded"))).status_code == 200
    html = await page(api, payment)
    assert states(html)["order-status"][0] == "cancelled"
    assert states(html)["status"][0] == "succeeded"
    assert "a refund is due" in html
    assert not has_buttons(html)
