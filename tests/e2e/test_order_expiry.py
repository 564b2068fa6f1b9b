"""Unpaid orders expire by themselves: cancelled, stock back (ORDER_PAYMENT_TIMEOUT_SECONDS=2)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_order_fulfilment import mark_paid
from tests.e2e.test_orders import ORDERS, make_category, make_product, place, stock_of

LIVENESS_SECONDS = 20  # generous: the deadline is 2 s and the sweeper runs every second


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"order_payment_timeout_seconds": 2, "order_expiry_interval_seconds": 1}


async def wait_for_status(api: Api, headers: dict[str, str], order_id: int, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + LIVENESS_SECONDS
    while True:
        order: dict[str, Any] = (await api.client.get(f"{ORDERS}/{order_id}", headers=headers)).json()
        if order["status"] == status or time.monotonic() > deadline:
            return order
        await asyncio.sleep(0.2)


async def test_an_unpaid_order_is_cancelled_after_the_timeout_and_its_stock_returned(
    api: Api, app_database_url: str
) -> None:
    admin = await api.admin()
    tea = await make_product(api, admin, await make_category(api, admin), "Green tea", stock=5)
    ann = await api.customer()
    unpaid = (await place(api, ann, (tea, 3))).json()
    paid = (await place(api, ann, (tea, 1))).json()
    await mark_paid(app_database_url, paid["id"])
    assert await stock_of(api, tea) == 1

    expired = await wait_for_status(api, ann, unpaid["id"], "cancelled")

    assert expired["status"] == "cancelled"
    assert await stock_of(api, tea) == 4
    await asyncio.sleep(1.5)  # a few more sweeps change nothing: each order expires once
    assert await stock_of(api, tea) == 4
    assert (await api.client.get(f"{ORDERS}/{paid['id']}", headers=ann)).json()["status"] == "paid"
