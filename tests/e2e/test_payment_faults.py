"""A crash in the middle of a settlement leaves all or nothing, and the redelivery is applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Self

import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from adapters.sql.database import Database
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import OrderRepository, UnitOfWork
from domain.orders import Order, OrderStatus
from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import WEBHOOK_SECRET, deliver, event, make_product, place_order, start_payment


class InjectedFault(RuntimeError):
    pass


class Faults:
    """Armed: the next order status write raises, after the payment was already written."""

    armed = False


class FailingOrders:
    def __init__(self, inner: OrderRepository, faults: Faults) -> None:
        self._inner = inner
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        if self._faults.armed:
            self._faults.armed = False
            raise InjectedFault("the process died between the payment and the order update")
        return await self._inner.save_status(order, expected)


class FaultyUnitOfWork(SqlUnitOfWork):
    def __init__(self, db: Database, faults: Faults) -> None:
        super().__init__(db)
        self._faults = faults

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.orders = FailingOrders(self.orders, self._faults)  # type: ignore[assignment]
        return self


@pytest.fixture
async def faulty_api(app_database_url: str) -> AsyncIterator[tuple[Api, Faults]]:
    faults = Faults()

    class FaultyStorage(Provider):
        @provide(scope=Scope.REQUEST)
        def unit_of_work(self, db: Database) -> UnitOfWork:
            return FaultyUnitOfWork(db, faults)

    app = create_app(make_settings(app_database_url, payment_webhook_secret=WEBHOOK_SECRET), FaultyStorage())
    async with AsyncTestClient(app) as client:
        yield Api(client), faults


async def test_an_error_between_the_payment_and_the_order_update_leaves_both_unchanged(
    faulty_api: tuple[Api, Faults],
) -> None:
    api, faults = faulty_api
    ann = await api.customer()
    order = await place_order(api, ann, await make_product(api))
    payment = await start_payment(api, ann, order["id"])
    success = event(payment, "succeeded")

    faults.armed = True
    crashed = await deliver(api, success)
    assert crashed.status_code == 500
    assert "Traceback" not in crashed.text and "INSERT" not in crashed.text
    assert not faults.armed, "the fault was never reached: the test proves nothing"

    found = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert (found["status"], found["updated_at"]) == ("created", payment["updated_at"])
    assert (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()["status"] == "pending"

    redelivered = await deliver(api, success)
    assert redelivered.status_code == 200, redelivered.text
    assert redelivered.json()["result"] == "applied"
    found = (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=ann)).json()
    assert found["status"] == "succeeded"
    assert (await api.client.get(f"/api/v1/orders/{order['id']}", headers=ann)).json()["status"] == "paid"
