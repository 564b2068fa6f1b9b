from __future__ import annotations

import logging
from dataclasses import dataclass

from application.orders.moves import store_move
from application.payments.refunds import record_refund_answer, request_refund
from application.payments.start_payment import UNAVAILABLE
from application.ports import (
    NO_METRICS,
    Clock,
    Metrics,
    PaymentGateways,
    PaymentOutcome,
    ProviderFault,
    UnitOfWork,
    WebhookDelivery,
)
from domain.errors import DependencyUnavailable, InvalidInput, NotAuthenticated, NotFound
from domain.order_events import EventActor, OrderEvent
from domain.orders import OrderStatus
from domain.payments import (
    IgnoredEvent,
    Outcome,
    Payment,
    PaymentEvent,
    PaymentRejected,
    PaymentStatus,
    decide_settlement,
)
from domain.refunds import ORDER_CANCELLED_REASON, RefundEvent

log = logging.getLogger("storefront.payments")


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What a delivery did: `applied`, `ignored`, or `duplicate` (seen before); `payment` is
    None for a delivery about no payment (an event type the app does not act on, a refund's)."""

    result: str
    payment: Payment | None
    note: str


class SettleWebhook:
    """A provider's event settles a payment, and its order, in one transaction.

    - the signature is checked over the raw body first: missing, wrong or stale
      is NotAuthenticated and nothing changes; an unreadable event is InvalidInput; a provider
      whose API refuses the shop's credentials when the event is read back (ProviderFault) is
      DependencyUnavailable with the generic message (the provider's text logged at ERROR);
    - a webhook path naming a provider that is not enabled, or an unknown provider payment id,
      is NotFound;
    - a verified event of a type the app does not act on (IgnoredEvent) is answered `ignored`,
      nothing changes and nothing is recorded;
    - a refund's event (RefundEvent) settles that refund (`_settle_refund`); an unknown refund
      is NotFound;
    - each (provider, event id) is applied once: repeats, even concurrent ones,
      are answered as duplicates and change nothing;
    - backwards moves and moves out of a final status are recorded and ignored;
    - `succeeded` with another amount or currency fails the payment naming the
      mismatch and leaves the order unpaid (PaymentRejected, after the commit);
    - `succeeded` for a pending order marks the payment succeeded and the order
      paid together; for an order no longer pending it flags `refund_required` and requests a
      full refund (reason `order cancelled before payment`) with its job, in the same
      transaction: the worker carries it out as any other refund;
    - `failed` / `canceled` end the payment and leave the order pending;
    - each change is on the order's timeline (by `provider`): the payment's new status,
      then `paid` if the order moved; duplicates and ignored events add nothing.

    The order row is locked before the payment row (the order every use case keeps).
    """

    def __init__(
        self, uow: UnitOfWork, gateways: PaymentGateways, clock: Clock, metrics: Metrics = NO_METRICS
    ) -> None:
        self._uow = uow
        self._gateways = gateways
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, provider: str, delivery: WebhookDelivery) -> WebhookReceipt:
        try:
            receipt = await self._settle(provider, delivery)
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
        paid = receipt.payment
        if receipt.result == Outcome.APPLIED and paid is not None and paid.status.is_final:
            self._metrics.payment_settled(_outcome(paid.status))
        return receipt

    async def _settle(self, provider: str, delivery: WebhookDelivery) -> WebhookReceipt:
        gateway = self._gateways.get(provider)
        if gateway is None:
            raise NotFound(f"no payment provider named {provider!r} is enabled")
        try:
            event = await gateway.verify_webhook(delivery)
        except ProviderFault as error:
            # The provider's API refused the shop's credentials (a read-back): 503, so that the
            # provider delivers again once the shop has fixed them; the provider's text is logged.
            log.error("payment provider %s cannot verify a delivery: %s", provider, error)
            raise DependencyUnavailable(UNAVAILABLE) from None
        if isinstance(event, IgnoredEvent):
            return WebhookReceipt("ignored", None, f"event type {event.kind!r} is not acted on")
        if isinstance(event, RefundEvent):
            return await self._settle_refund(provider, event)
        return await self._settle_payment(provider, event)

    async def _settle_refund(self, provider: str, event: RefundEvent) -> WebhookReceipt:
        """A refund's event moves the refund it names forward only, in one transaction (a
        repeat finds it final and changes nothing); when the payment's succeeded refunds reach
        its amount the order becomes `refunded`. An unknown refund is NotFound."""
        now = self._clock.now()
        async with self._uow as uow:
            found = await uow.refunds.find_by_provider_id(provider, event.provider_refund_id)
            if found is None:
                raise NotFound(f"refund {event.provider_refund_id} not found")
            recorded = await record_refund_answer(
                uow,
                found.id,
                event.status,
                now,
                EventActor.PROVIDER,
                provider_refund_id=event.provider_refund_id,
                failure_reason=event.failure_reason,
            )
            payment = await uow.payments.get(found.payment_id)
            await uow.commit()
        if not recorded.moved:  # judged on the locked row: one of many deliveries at once moves it
            note = f"refund {found.id} is already {recorded.before}; a {event.status} event changes nothing"
            return WebhookReceipt(Outcome.IGNORED.value, payment, note)
        return WebhookReceipt(Outcome.APPLIED.value, payment, f"refund {found.id} {recorded.refund.status}")

    async def _settle_payment(self, provider: str, event: PaymentEvent) -> WebhookReceipt:
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
                    capture_reference=event.capture_reference,
                )
                await uow.payments.save(payment)
                await uow.order_events.append(OrderEvent.of_payment(payment, EventActor.PROVIDER))
            if decision.pay_order:
                await store_move(uow, order, order.mark_paid(now), EventActor.PROVIDER)
            if decision.changes_payment and payment.refund_required:
                reason = (
                    ORDER_CANCELLED_REASON
                    if order.status is OrderStatus.CANCELLED
                    else f"order was already {order.status.value} when this payment succeeded"
                )
                await request_refund(uow, payment, None, reason, now, EventActor.SYSTEM)
            await uow.commit()
        if decision.outcome is Outcome.MISMATCH:
            raise PaymentRejected(decision.note)
        return WebhookReceipt(decision.outcome.value, payment, decision.note)


def _outcome(status: PaymentStatus) -> PaymentOutcome:
    if status is PaymentStatus.SUCCEEDED:
        return "succeeded"
    return "failed" if status is PaymentStatus.FAILED else "canceled"
