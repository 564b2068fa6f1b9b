"""Refunds: requested by an administrator (or by a settlement), carried out by a job.

The request only records the refund (`pending`) and its job in one transaction; the job
(`ExecuteRefund`, run by a worker) asks the provider under the refund's reference
(`application.payments.references.refund_reference`)
outside any transaction, then records the answer in one. The provider's answer or a later
webhook moves the refund forward only. A job that dies without an answer leaves the refund
`pending`, its amount held, until an operator revives the job (`RetryRefund`).
docs/payments.md, "Refunds" and "Background jobs".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from application.ids import is_storable_id
from application.orders.moves import store_move
from application.paging import Page
from application.payments.references import refund_reference
from application.ports import (
    Clock,
    Installation,
    NewJob,
    NewRefund,
    PaymentGateways,
    RefundRequest,
    UnitOfWork,
    resumable,
)
from domain.errors import Conflict, DependencyUnavailable, InvalidInput, InvalidTransition, NotFound
from domain.jobs import Job, JobKind, JobStatus, refund_job_key
from domain.money import Money, parse_amount
from domain.order_events import EventActor, OrderEvent
from domain.payments import Payment
from domain.refunds import (
    Refund,
    RefundStatus,
    check_reason,
    check_refund,
    order_becomes_refunded,
)
from domain.users import Actor

log = logging.getLogger("storefront.refunds")


class ProviderNotEnabled(DependencyUnavailable):
    """The payment's provider is not enabled in this process (its settings are missing here):
    another worker may have them. `provider` names it."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"the payment provider {provider!r} is not enabled in this worker")
        self.provider = provider


async def request_refund(
    uow: UnitOfWork,
    payment: Payment,
    amount: Money | None,
    reason: str | None,
    now: datetime,
    actor: EventActor,
) -> Refund:
    """Inside `uow`, with `payment` locked: record a pending refund, its job and its
    `refund_requested` event (by `actor`) together.

    `amount` None = all that is left. Raises what `domain.refunds.check_refund` raises.
    """
    refunds = await uow.refunds.of_payment(payment.id)
    wanted = check_refund(payment, refunds, amount)
    refund = await uow.refunds.add(NewRefund(payment.id, payment.order_id, wanted, reason), now)
    await uow.jobs.add(NewJob(JobKind.REFUND, {"refund_id": refund.id}, refund_job_key(refund.id)), now)
    await uow.order_events.append(OrderEvent.of_refund(refund, actor))
    return refund


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """What an answer did to a refund: `refund` as it is now, `before` its status under the
    lock, just before the answer (so `moved` is true for one answer only, however many
    arrive at once)."""

    refund: Refund
    before: RefundStatus

    @property
    def moved(self) -> bool:
        return self.refund.status is not self.before


# Alike by shape only with the mock gateway's `event_body` (ids, a status, optional reasons).
async def record_refund_answer(
    uow: UnitOfWork,
    refund_id: int,
    status: RefundStatus,
    now: datetime,
    actor: EventActor,
    *,
    provider_refund_id: str | None = None,
    failure_reason: str | None = None,
) -> RecordedAnswer:
    """Inside `uow`: move the refund forward (never back, nothing leaves a final status). When it
    succeeds, its amount is added to the payment's `refunded_amount` and the order's
    `refunded_total`; a payment now refunded in full is owed nothing (`refund_required` false),
    and its order, if paid, shipped or delivered, becomes `refunded`.
    Each change is on the order's timeline, by `actor` (the worker: `system`; a webhook: `provider`).
    Locks order, then payment, then refund (the order every use case keeps); what it did is
    judged on the locked row."""
    found = await uow.refunds.get(refund_id)
    if found is None:
        raise NotFound(f"refund {refund_id} not found")
    order = await uow.orders.get(found.order_id, for_update=True)
    payment = await uow.payments.lock(found.payment_id)
    refund = await uow.refunds.lock(refund_id)
    assert order is not None and payment is not None and refund is not None
    moved = refund.answered(status, now, provider_refund_id=provider_refund_id, failure_reason=failure_reason)
    if moved == refund:
        return RecordedAnswer(refund, refund.status)
    await uow.refunds.save(moved)
    if moved.status is not refund.status:
        await uow.order_events.append(OrderEvent.of_refund(moved, actor))
    if moved.status is RefundStatus.SUCCEEDED and refund.status is not RefundStatus.SUCCEEDED:
        payment = payment.refunded(moved.amount, now)
        await uow.payments.save(payment)
        await uow.orders.add_refunded(order.id, moved.amount.minor, now)
        if order_becomes_refunded(payment, await uow.refunds.of_payment(payment.id), order.status):
            await store_move(uow, order, order.refund(now), actor)
    return RecordedAnswer(moved, refund.status)


class RequestRefund:
    """An administrator refunds a succeeded payment, in part or in full.

    `amount` is a decimal in the payment's currency (two places at most; None = all that is
    left); `reason` up to 500 characters of plain text. Raises: AccessDenied (not an admin);
    NotFound (no such payment); InvalidTransition (the payment is not succeeded); InvalidInput
    (zero or negative amount, reason too long); Conflict naming what is left (more than the
    payment's amount minus its refunds that are not failed, also when nothing is left).

    The payment row is locked (after its order's) before its refunds are summed, so concurrent
    requests (on any number of instances) never refund more than it. The refund (`pending`) and its job are
    stored in one transaction and the answer comes at once; a worker asks the provider.
    Under an Idempotency-Key the refund is recorded on the key (a retry after a crash answers
    with that refund: `resume`).
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @resumable
    async def __call__(
        self, actor: Actor, payment_id: int, amount: Decimal | None = None, reason: str | None = None
    ) -> Refund:
        actor.ensure_admin()
        reason = check_reason(reason)
        async with self._uow as uow:
            found = await uow.payments.get(payment_id) if is_storable_id(payment_id) else None
            if found is None:
                raise NotFound(f"payment {payment_id} not found")
            # The order before the payment, as every use case locks them: the refund's job
            # records its answer holding both, and a refund's row names both.
            await uow.orders.get(found.order_id, for_update=True)
            payment = await uow.payments.lock(found.id)
            assert payment is not None
            wanted = None if amount is None else _money(amount, payment.amount.currency)
            refund = await request_refund(
                uow, payment, wanted, reason, self._clock.now(), EventActor.of(actor)
            )
            await uow.idempotency.record_created(refund.id)
            await uow.commit()
        return refund

    async def resume(self, actor: Actor, refund_id: int) -> Refund:
        """The refund an earlier request under the same key recorded, as it is now."""
        actor.ensure_admin()
        async with self._uow as uow:
            refund = await uow.refunds.get(refund_id) if is_storable_id(refund_id) else None
        if refund is None:
            raise NotFound(f"refund {refund_id} not found")
        return refund


class ListRefunds:
    """A payment's refunds, oldest first, for the owner of its order or an admin (anyone else:
    NotFound, as for the payment itself)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, payment_id: int, page: Page) -> list[Refund]:
        async with self._uow as uow:
            payment = await uow.payments.get(payment_id) if is_storable_id(payment_id) else None
            if payment is None or (payment.user_id != actor.user_id and not actor.is_admin):
                raise NotFound(f"payment {payment_id} not found")
            return await uow.refunds.list_for_payment(payment.id, page.limit, page.offset)


class ExecuteRefund:
    """The refund job: ask the provider to return a pending refund's money, then record its answer.

    The provider is called outside any database transaction with the reference
    `refund_reference(installation, id)`, its idempotency key: however often the job runs (a worker that
    died after the call, before its commit), the provider refunds once. A refund already final
    is not sent again. Raises: NotFound (no such refund); ProviderNotEnabled (this process
    has not the provider's settings: the job is given back untried for a worker that has them);
    DependencyUnavailable (the provider cannot be reached) and anything else unexpected — the
    job is retried. A provider's refusal (Conflict, 4xx) is its answer: the refund fails with it.
    """

    # Deliberate twin of StartPayment's constructor: both call a provider through its gateway
    # and name this store to it (the installation id).
    def __init__(
        self, uow: UnitOfWork, gateways: PaymentGateways, clock: Clock, installation: Installation
    ) -> None:
        self._uow = uow
        self._gateways = gateways
        self._clock = clock
        self._installation = installation

    async def __call__(self, refund_id: int) -> Refund:
        async with self._uow as uow:
            refund = await uow.refunds.get(refund_id)
            payment = await uow.payments.get(refund.payment_id) if refund is not None else None
        if refund is None or payment is None:
            raise NotFound(f"refund {refund_id} not found")
        if refund.status.is_final:
            return refund
        gateway = self._gateways.get(payment.provider)
        if gateway is None:
            raise ProviderNotEnabled(payment.provider)
        request = RefundRequest(
            reference=refund_reference(self._installation, refund.id),
            refund_id=refund.id,
            provider_payment_id=payment.provider_payment_id or "",
            capture_reference=payment.capture_reference,
            amount=refund.amount,
            reason=refund.reason,
        )
        try:
            answer = await gateway.refund(request)
            status, reason = answer.status, answer.failure_reason
            provider_refund_id: str | None = answer.provider_refund_id
        except Conflict as refused:
            # Refused (4xx): the provider's answer, though it names no refund of its own.
            log.warning("the provider refused refund %s: %s", refund.id, refused.message)
            status, provider_refund_id, reason = RefundStatus.FAILED, None, refused.message
        async with self._uow as uow:
            recorded = await record_refund_answer(
                uow,
                refund.id,
                status,
                self._clock.now(),
                EventActor.SYSTEM,
                provider_refund_id=provider_refund_id,
                failure_reason=reason,
            )
            await uow.commit()
        return recorded.refund


class RetryRefund:
    """An operator sends a pending refund whose job died to the provider again
    (`storefront retry-refund <id>`).

    A refund job dies only when no attempt got the provider's answer (unreachable, timed out,
    5xx, or a fault of our own): whether the provider made the refund is unknown, so the refund
    stays `pending` and keeps holding its amount (no second refund can take it). Reviving its
    job asks the provider again under the same reference, the provider's idempotency key: a
    refund the provider did make is answered, not made twice. Providers keep idempotency keys
    for a limited time (Stripe and YooKassa: 24 hours, docs/payments.md "A refund whose job
    died"). Raises NotFound (no such refund); InvalidTransition (the refund is final, or its job
    is not dead). The refund row is locked before its job is read, so two operators retrying at
    once revive it once (the second finds it due); a dead job is claimed by no worker meanwhile.
    """

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, refund_id: int) -> Refund:
        async with self._uow as uow:
            refund = await uow.refunds.lock(refund_id) if is_storable_id(refund_id) else None
            if refund is None:
                raise NotFound(f"refund {refund_id} not found")
            if refund.status.is_final:
                raise InvalidTransition(f"refund {refund_id} is {refund.status.value}: nothing to retry")
            job = await uow.jobs.find_by_key(refund_job_key(refund.id))
            if job is None or job.status is not JobStatus.DEAD:
                raise InvalidTransition(f"refund {refund_id} cannot be retried: {_why_not_dead(job)}")
            await uow.jobs.save(job.revived(self._clock.now()))
            await uow.commit()
        log.warning("refund %s: its dead job was revived by an operator", refund.id)
        return refund


def _why_not_dead(job: Job | None) -> str:
    if job is None:
        return "it has no job"
    if job.status is JobStatus.SUCCEEDED:
        return "the provider has answered it (pending: its final answer comes by webhook)"
    return f"its job is {job.status.value} and is retried by itself"


def _money(amount: Decimal, currency: str) -> Money:
    value = parse_amount(amount)
    if value <= 0:
        raise InvalidInput.for_field("amount", "must be greater than 0")
    return Money.of(value, currency)
