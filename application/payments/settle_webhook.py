from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.orders.moves import store_move
from application.ports import NO_METRICS, Clock, Metrics, PaymentGateway, PaymentOutcome, UnitOfWork
from domain.errors import InvalidInput, NotAuthenticated, NotFound
from domain.order_events import EventActor, OrderEvent
from domain.payments import Outcome, Payment, PaymentRejected, PaymentStatus, decide_settlement


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What a delivery did: `applied`, `ignored`, or `duplicate` (seen before)."""

    result: str
    payment: Payment
    note: str


class SettleWebhook:
    """A provider's event settles a payment, and its order, in one transaction.

    - the signature is checked over the raw body first: missing, wrong or stale
      is NotAuthenticated and nothing changes; an unreadable event is InvalidInput;
    - a webhook path naming another provider, or an unknown provider payment id, is NotFound;
    - each (provider, event id) is applied once: repeats, even concurrent ones,
      are answered as duplicates and change nothing;
    - backwards moves and moves out of a final status are recorded and ignored;
    - `succeeded` with another amount or currency fails the payment naming the
      mismatch and leaves the order unpaid (PaymentRejected, after the commit);
    - `succeeded` for a pending order marks the payment succeeded and the order
      paid together; for an order no longer pending it flags `refund_required`;
    - `failed` / `canceled` end the payment and leave the order pending;
    - each change is on the order's timeline (by `provider`): the payment's new status,
      then `paid` if the order moved; duplicates and ignored events add nothing.

    The order row is locked before the payment row (the order every use case keeps).
    """

    def __init__(
        self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, metrics: Metrics = NO_METRICS
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookReceipt:
        try:
            receipt = await self._settle(provider, body, headers)
        except NotAuthenticated:
            self._metrics.webhook_rejected("signature")
            raise
        except InvalidInput:
            self._metrics.webhook_rejected("invalid")
            raise
        except NotFound:
            self._metrics.webhook_rejected("unknown_payment")
            raise
        except PaymentRejected:
            self._metrics.webhook_rejected("amount_mismatch")
            self._metrics.payment_settled("failed")
            raise
        if receipt.result == Outcome.APPLIED and receipt.payment.status.is_final:
            self._metrics.payment_settled(_outcome(receipt.payment.status))
        return receipt

    async def _settle(self, provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookReceipt:
        if provider != self._gateway.name:
            raise NotFound(f"no payment provider named {provider!r}")
        event = self._gateway.parse_webhook(body, headers)
        now = self._clock.now()
        async with self._uow as uow:
            found = await uow.payments.find_by_provider_id(provider, event.provider_payment_id)
            if found is None:
                raise NotFound(f"payment {event.provider_payment_id} not found")
            order = await uow.orders.get(found.order_id, for_update=True)
            payment = await uow.payments.lock(found.id)
            assert order is not None and payment is not None
            decision = decide_settlement(payment, order.status, event)
            if not await uow.payment_events.record(provider, event, payment.id, decision.outcome, now):
                return WebhookReceipt("duplicate", payment, f"event {event.event_id} was already received")
            if decision.changes_payment:
                payment = payment.moved_to(
                    decision.status,
                    now,
                    fail_reason=decision.fail_reason,
                    refund_required=decision.refund_required,
                )
                await uow.payments.save(payment)
                await uow.order_events.append(OrderEvent.of_payment(payment, EventActor.PROVIDER))
            if decision.pay_order:
                await store_move(uow, order, order.mark_paid(now), EventActor.PROVIDER)
            await uow.commit()
        if decision.outcome is Outcome.MISMATCH:
            raise PaymentRejected(decision.note)
        return WebhookReceipt(decision.outcome.value, payment, decision.note)


def _outcome(status: PaymentStatus) -> PaymentOutcome:
    if status is PaymentStatus.SUCCEEDED:
        return "succeeded"
    return "failed" if status is PaymentStatus.FAILED else "canceled"
