"""The same refund event delivered many times at once: applied by one delivery, ignored by the
others, counted once — on the fakes, SQLite and PostgreSQL (the use case over real row locks)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from application.payments.settle_webhook import SettleWebhook
from application.ports import Clock, NewRefund, WebhookDelivery
from domain.money import Money
from domain.orders import Order
from domain.payments import Payment, ProviderEvent
from domain.refunds import RefundEvent, RefundStatus
from tests.contracts.repositories.storage import Storage
from tests.contracts.repositories.test_refunds_and_jobs import NOW, paid  # noqa: F401 - a fixture

DELIVERIES = 10


class FixedClock(Clock):
    def now(self) -> datetime:
        return datetime(2026, 3, 1, 13, 0, tzinfo=UTC)


class OneEventGateway(MockGateway):
    """The mock provider whose every delivery verifies as `event`."""

    def __init__(self, event: ProviderEvent) -> None:
        super().__init__("whsec-contract", "https://shop.example", FixedClock())
        self.event = event

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        return self.event


async def test_one_delivery_of_many_at_once_applies_a_refund_event(
    storage: Storage,
    paid: tuple[Order, Payment],  # noqa: F811 - the fixture imported above
) -> None:
    order, payment = paid
    async with storage.unit_of_work() as uow:
        refund = await uow.refunds.add(NewRefund(payment.id, order.id, Money(500, "RUB"), None), NOW)
        await uow.refunds.save(refund.answered(RefundStatus.PENDING, NOW, provider_refund_id="re_1"))
        await uow.commit()
    gateways = Gateways([OneEventGateway(RefundEvent("evt_1", "re_1", RefundStatus.SUCCEEDED))])

    async def deliver() -> str:
        settle = SettleWebhook(storage.unit_of_work(), gateways, FixedClock())
        return (await settle("mock", WebhookDelivery(b"{}", {}, None))).result

    results = await asyncio.gather(*(deliver() for _ in range(DELIVERIES)))
    assert sorted(results) == ["applied"] + ["ignored"] * (DELIVERIES - 1)
    async with storage.unit_of_work() as uow:
        stored = await uow.payments.get(payment.id)
        done = await uow.refunds.get(refund.id)
    assert stored is not None and stored.refunded_minor == 500
    assert done is not None and done.status is RefundStatus.SUCCEEDED
