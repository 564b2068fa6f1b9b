"""Paid orders are shipped and delivered by admins; every other move is 409 naming the status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.sql.database import Database, create_engine
from adapters.sql.unit_of_work import SqlUnitOfWork
from tests.e2e.conftest import Api
from tests.e2e.test_orders import ORDERS, make_category, make_product, place, stock_of


async def mark_paid(url: str, order_id: int) -> None:
    """What a settled payment does to its order (the payments side calls the same aggregate method)."""
    db = Database(create_engine(url))
    try:
        async with SqlUnitOfWork(db) as uow:
            order = await uow.orders.get(order_id, for_update=True)
            assert order is not None
            assert await uow.orders.save_status(order.mark_paid(datetime.now(UTC)), expected=order.status)
            await uow.commit()
    finally:
        await db.dispose()


@pytest.fixture
async def paid_order(api: Api, app_database_url: str) -> dict[str, Any]:
    admin = await api.admin()
    tea = await make_product(api, admin, await make_category(api, admin), "Green tea", stock=5)
    ann = await api.customer()
    order = (await place(api, ann, (tea, 2))).json()
    await mark_paid(app_database_url, order["id"])
    return {"id": order["id"], "customer": ann, "admin": admin, "product": tea}


async def test_an_admin_ships_then_delivers_a_paid_order(api: Api, paid_order: dict[str, Any]) -> None:
    order_id, admin = paid_order["id"], paid_order["admin"]
    shipped = await api.client.post(f"{ORDERS}/{order_id}/ship", headers=admin)
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["items"]
    delivered = await api.client.post(f"{ORDERS}/{order_id}/deliver", headers=admin)
    assert delivered.status_code == 200
    assert delivered.json()["status"] == "delivered"
    seen = (await api.client.get(f"{ORDERS}/{order_id}", headers=paid_order["customer"])).json()
    assert seen["status"] == "delivered"
    assert seen["updated_at"] >= seen["created_at"]
    assert await stock_of(api, paid_order["product"]) == 3


async def test_a_paid_order_cannot_be_cancelled_and_keeps_its_stock(
    api: Api, paid_order: dict[str, Any]
) -> None:
    for who in ("customer", "admin"):
        response = await api.client.post(f"{ORDERS}/{paid_order['id']}/cancel", headers=paid_order[who])
        assert response.status_code == 409
        assert "paid" in response.json()["detail"]
    assert await stock_of(api, paid_order["product"]) == 3


async def test_a_paid_order_cannot_be_delivered_before_it_ships(api: Api, paid_order: dict[str, Any]) -> None:
    response = await api.client.post(f"{ORDERS}/{paid_order['id']}/deliver", headers=paid_order["admin"])
    assert response.status_code == 409
    assert "paid" in response.json()["detail"]


async def test_every_move_out_of_delivered_is_409_naming_delivered(
    api: Api, paid_order: dict[str, Any]
) -> None:
    order_id, admin = paid_order["id"], paid_order["admin"]
    await api.client.post(f"{ORDERS}/{order_id}/ship", headers=admin)
    again = await api.client.post(f"{ORDERS}/{order_id}/ship", headers=admin)
    assert again.status_code == 409 and "shipped" in again.json()["detail"]
    await api.client.post(f"{ORDERS}/{order_id}/deliver", headers=admin)
    for action in ("cancel", "ship", "deliver"):
        response = await api.client.post(f"{ORDERS}/{order_id}/{action}", headers=admin)
        assert response.status_code == 409
        assert "delivered" in response.json()["detail"]


async def test_a_cancelled_order_cannot_be_shipped(api: Api, paid_order: dict[str, Any]) -> None:
    ann, admin = paid_order["customer"], paid_order["admin"]
    order = (await place(api, ann, (paid_order["product"], 1))).json()
    await api.client.post(f"{ORDERS}/{order['id']}/cancel", headers=ann)
    response = await api.client.post(f"{ORDERS}/{order['id']}/ship", headers=admin)
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]
