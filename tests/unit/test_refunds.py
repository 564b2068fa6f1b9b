"""Refunds and the jobs that carry them out, on the in-memory adapters and the mock gateway."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.metrics import MemoryMetrics
from adapters.payments.mock.gateway import MockGateway
from adapters.payments.registry import Gateways
from application.jobs.run_jobs import HandOutJobs, JobSettings, ReadJobBacklog, RunJob
from application.paging import Page
from application.payments.references import refund_reference
from application.payments.refunds import ExecuteRefund, ListRefunds, RequestRefund, RetryRefund
from application.payments.settle_webhook import SettleWebhook
from application.ports import Clock, JobQueue, NewPayment, ProviderRefund, RefundRequest, WebhookDelivery
from domain.errors import (
    AccessDenied,
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from domain.jobs import Job, JobStatus, backoff, refund_job_key
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import Payment, PaymentEvent, PaymentStatus, ProviderEvent
from domain.refunds import (
    ORDER_CANCELLED_REASON,
    Refund,
    RefundEvent,
    RefundStatus,
    check_refund,
    refundable_left,
)
from domain.users import Actor, Role
from tests.fakes import INSTALLATION, MemoryDatabase, MemoryUnitOfWork
from tests.unit.conftest import ADMIN, CUSTOMER

SECRET = "whsec-unit"
START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OTHER = Actor(user_id=9, role=Role.CUSTOMER)


class ManualClock(Clock):
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class ScriptedGateway(MockGateway):
    """The mock provider whose refunds fail `failures` times (unreachable) before they work, and
    whose verified deliveries say what the test sets in `event`; it notes every reference asked."""

    def __init__(self, clock: Clock, failures: int = 0) -> None:
        super().__init__(SECRET, "https://shop.example", clock)
        self.failures = failures
        self.asked: list[str] = []
        self.event: ProviderEvent | None = None
        self.answer: ProviderRefund | None = None
        self.refusal: str | None = None  # a 4xx: Conflict with the provider's message, no refund id

    async def refund(self, request: RefundRequest) -> ProviderRefund:
        self.asked.append(request.reference)
        if self.failures:
            self.failures -= 1
            raise DependencyUnavailable("the provider timed out")
        if self.refusal is not None:
            raise Conflict(self.refusal)
        return self.answer or await super().refund(request)

    async def verify_webhook(self, delivery: WebhookDelivery) -> ProviderEvent:
        assert self.event is not None
        return self.event


class OtherProvider(ScriptedGateway):
    @property
    def name(self) -> str:
        return "other"


class ListQueue(JobQueue):
    def __init__(self) -> None:
        self.ids: list[int] = []

    async def enqueue(self, job_id: int) -> None:
        self.ids.append(job_id)


class Shop:
    """A paid order of 299.80 RUB, its succeeded payment, and the refund machinery around them."""

    def __init__(self, failures: int = 0, max_attempts: int = 10) -> None:
        self.memory = MemoryDatabase()
        self.uow = MemoryUnitOfWork(self.memory)
        self.clock = ManualClock()
        self.gateway = ScriptedGateway(self.clock, failures)
        self.metrics = MemoryMetrics()
        gateways = Gateways([self.gateway])
        self.settings = JobSettings(max_attempts=max_attempts, lease=timedelta(seconds=30))
        self.request = RequestRefund(self.uow, self.clock)
        self.execute = ExecuteRefund(self.uow, gateways, self.clock, INSTALLATION)
        self.run = RunJob(self.uow, self.clock, self.execute, self.settings, self.metrics)
        self.queue = ListQueue()
        self.hand_out = HandOutJobs(self.uow, self.clock, self.queue, self.settings)
        self.backlog = ReadJobBacklog(self.uow, self.clock)
        self.settle = SettleWebhook(self.uow, gateways, self.clock)

    async def paid(self, *, cancelled_first: bool = False) -> Payment:
        line = OrderLine(product_id=1, product_name="Tea", quantity=2, unit_price=Money(14_990, "RUB"))
        async with self.uow as uow:
            order = await uow.orders.add(Order.place(CUSTOMER.user_id, [line], "RUB", self.clock.now()))
            payment = await uow.payments.add(
                NewPayment(order.id, CUSTOMER.user_id, order.total, "mock"), self.clock.now()
            )
            await uow.payments.save(payment.opened(f"mock_{payment.id}", "https://x", self.clock.now()))
            if cancelled_first:
                assert await uow.orders.save_status(order.cancel(self.clock.now()), OrderStatus.PENDING)
            await uow.commit()
        self.gateway.event = PaymentEvent(
            f"evt_{payment.id}", f"mock_{payment.id}", PaymentStatus.SUCCEEDED, order.total
        )
        await self.settle("mock", WebhookDelivery(b"{}", {}, None))
        return await self.payment(payment.id)

    async def payment(self, payment_id: int) -> Payment:
        async with self.uow as uow:
            found = await uow.payments.get(payment_id)
        assert found is not None
        return found

    async def order(self, order_id: int) -> Order:
        async with self.uow as uow:
            found = await uow.orders.get(order_id)
        assert found is not None
        return found

    async def refund(self, refund_id: int) -> Refund:
        async with self.uow as uow:
            found = await uow.refunds.get(refund_id)
        assert found is not None
        return found

    async def job_of(self, refund_id: int) -> Job:
        async with self.uow as uow:
            found = await uow.jobs.find_by_key(f"storefront-refund-{refund_id}")
        assert found is not None
        return found

    async def work(self) -> list[JobStatus | None]:
        """One relay pass and an attempt at each job it handed out."""
        self.queue.ids.clear()
        await self.hand_out()
        return [await self.run(job_id, "w1") for job_id in list(self.queue.ids)]


# ---- the pure rules --------------------------------------------------------------


def test_backoff_doubles_from_one_second_up_to_five_minutes() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 12)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300,
    ]  # fmt: skip
    assert backoff(10_000) == timedelta(minutes=5)


def _refund(amount: int, status: RefundStatus, payment_id: int = 1) -> Refund:
    return Refund(1, payment_id, 1, Money(amount, "RUB"), status, None, None, None, START, START)


def _payment(status: PaymentStatus = PaymentStatus.SUCCEEDED) -> Payment:
    return Payment(1, 1, 2, Money(1_000, "RUB"), "mock", "mock_1", None, status, None, False, START, START)


def test_what_is_left_ignores_failed_refunds_and_a_request_over_it_names_it() -> None:
    refunds = [
        _refund(300, RefundStatus.SUCCEEDED),
        _refund(200, RefundStatus.PENDING),
        _refund(900, RefundStatus.FAILED),
        _refund(999, RefundStatus.SUCCEEDED, payment_id=2),
    ]
    assert refundable_left(_payment(), refunds) == Money(500, "RUB")
    assert check_refund(_payment(), refunds, None) == Money(500, "RUB")
    with pytest.raises(Conflict, match=r"only 5\.00 RUB left"):
        check_refund(_payment(), refunds, Money(501, "RUB"))
    with pytest.raises(Conflict, match=r"nothing left to refund \(0\.00 RUB left\)"):
        check_refund(_payment(), [*refunds, _refund(500, RefundStatus.PENDING)], Money(1, "RUB"))
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            check_refund(_payment(), refunds, Money(bad, "RUB"))
    with pytest.raises(InvalidTransition, match="pending"):
        check_refund(_payment(PaymentStatus.PENDING), [], None)


def test_a_refund_moves_forward_only() -> None:
    pending = _refund(100, RefundStatus.PENDING)
    later = START + timedelta(seconds=1)
    waiting = pending.answered(RefundStatus.PENDING, later, provider_refund_id="re_1")
    assert (waiting.status, waiting.provider_refund_id) == (RefundStatus.PENDING, "re_1")
    done = waiting.answered(RefundStatus.SUCCEEDED, later)
    assert done.status is RefundStatus.SUCCEEDED and done.provider_refund_id == "re_1"
    assert done.answered(RefundStatus.FAILED, later, failure_reason="late") == done
    assert done.answered(RefundStatus.PENDING, later) == done
    failed = pending.answered(RefundStatus.FAILED, later, failure_reason="card closed")
    assert failed.failure_reason == "card closed"
    assert failed.answered(RefundStatus.SUCCEEDED, later) == failed


# ---- requesting --------------------------------------------------------------------


async def test_a_request_stores_the_pending_refund_and_its_job_together() -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id, Decimal("100.00"), "broken cup")
    assert (refund.status, refund.amount, refund.reason) == (
        RefundStatus.PENDING,
        Money(10_000, "RUB"),
        "broken cup",
    )
    job = await shop.job_of(refund.id)
    assert (job.status, job.payload, job.attempts) == (JobStatus.DUE, {"refund_id": refund.id}, 0)
    assert shop.gateway.asked == []  # the provider is asked by the job, not the request
    rest = await shop.request(ADMIN, payment.id)
    assert rest.amount == Money(19_980, "RUB")
    with pytest.raises(Conflict, match=r"0\.00 RUB left"):
        await shop.request(ADMIN, payment.id, Decimal("0.01"))
    listed = await ListRefunds(shop.uow)(CUSTOMER, payment.id, Page(10, 0))
    assert [r.id for r in listed] == [refund.id, rest.id]


async def test_wrong_requests_change_nothing() -> None:
    shop = Shop()
    payment = await shop.paid()
    with pytest.raises(AccessDenied):
        await shop.request(CUSTOMER, payment.id)
    with pytest.raises(NotFound):
        await shop.request(ADMIN, 999)
    with pytest.raises(InvalidInput):
        await shop.request(ADMIN, payment.id, Decimal("0"))
    with pytest.raises(InvalidInput):
        await shop.request(ADMIN, payment.id, None, "x" * 501)
    with pytest.raises(Conflict, match=r"only 299\.80 RUB left"):
        await shop.request(ADMIN, payment.id, Decimal("299.81"))
    with pytest.raises(NotFound):
        await ListRefunds(shop.uow)(OTHER, payment.id, Page(10, 0))
    assert shop.memory.state.refunds == {} and shop.memory.state.jobs == {}


# ---- the job -------------------------------------------------------------------------


async def test_the_job_refunds_through_the_provider_once_and_a_full_refund_refunds_the_order() -> None:
    shop = Shop()
    payment = await shop.paid()
    part = await shop.request(ADMIN, payment.id, Decimal("100.00"))
    assert await shop.work() == [JobStatus.SUCCEEDED]
    assert (await shop.refund(part.id)).status is RefundStatus.SUCCEEDED
    assert (await shop.payment(payment.id)).refunded_amount == Money(10_000, "RUB")
    order = await shop.order(payment.order_id)
    assert (order.status, order.refunded_total) == (OrderStatus.PAID, Money(10_000, "RUB"))
    rest = await shop.request(ADMIN, payment.id)
    assert await shop.work() == [JobStatus.SUCCEEDED]
    order = await shop.order(payment.order_id)
    assert (order.status, order.refunded_total) == (OrderStatus.REFUNDED, Money(29_980, "RUB"))
    assert shop.gateway.asked == [
        refund_reference(INSTALLATION, part.id),
        refund_reference(INSTALLATION, rest.id),
    ]
    assert await shop.work() == []  # nothing left to hand out
    assert shop.metrics.counts["jobs:refund:succeeded"] == 2


async def test_each_refund_change_is_on_the_orders_timeline_by_who_made_it() -> None:
    shop = Shop()
    payment = await shop.paid()
    await shop.request(ADMIN, payment.id, Decimal("100.00"), "damaged box")
    await shop.work()
    shop.gateway.answer = ProviderRefund("re_declined", RefundStatus.FAILED, "card closed")
    await shop.request(ADMIN, payment.id, Decimal("50.00"))
    await shop.work()
    shop.gateway.answer = None
    await shop.request(ADMIN, payment.id)
    await shop.work()
    async with shop.uow as uow:
        events = await uow.order_events.list_for_order(payment.order_id, 100, 0)
    refund_events = [
        (e.type.value, e.actor.value, e.from_status, e.to_status, e.detail)
        for e in events
        if e.type.value.startswith("refund")
    ]
    assert refund_events == [
        ("refund_requested", "admin", None, None, "100.00 RUB: damaged box"),
        ("refund_succeeded", "system", None, None, "100.00 RUB"),
        ("refund_requested", "admin", None, None, "50.00 RUB"),
        ("refund_failed", "system", None, None, "card closed"),
        ("refund_requested", "admin", None, None, "199.80 RUB"),
        ("refund_succeeded", "system", None, None, "199.80 RUB"),
        ("refunded", "system", OrderStatus.PAID, OrderStatus.REFUNDED, None),
    ]


async def test_a_job_handed_out_twice_runs_once() -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    job = await shop.job_of(refund.id)
    assert await shop.run(job.id, "w1") is JobStatus.SUCCEEDED
    assert await shop.run(job.id, "w2") is None
    assert shop.gateway.asked == [refund_reference(INSTALLATION, refund.id)]


async def test_a_failing_provider_is_retried_after_1_2_4_seconds_then_the_refund_succeeds() -> None:
    shop = Shop(failures=3)
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    waits = []
    for _ in range(3):
        assert await shop.work() == [JobStatus.DUE]
        job = await shop.job_of(refund.id)
        waits.append((job.run_after - shop.clock.now()).total_seconds())
        assert job.last_error == "the provider timed out"
        shop.clock.advance(0.5)
        assert await shop.work() == []  # backing off
        assert (await shop.backlog()).oldest_due_age_seconds == 0.0  # not due: it waits for no one
        shop.clock.advance(waits[-1] - 0.5)
    assert waits == [1, 2, 4]
    assert await shop.work() == [JobStatus.SUCCEEDED]
    assert (await shop.refund(refund.id)).status is RefundStatus.SUCCEEDED
    assert shop.gateway.asked == [refund_reference(INSTALLATION, refund.id)] * 4
    assert shop.metrics.counts["jobs:refund:retried"] == 3
    assert (await shop.job_of(refund.id)).attempts == 4


async def test_a_provider_that_always_fails_kills_the_job_and_the_refund_stays_pending_and_held() -> None:
    shop = Shop(failures=1_000, max_attempts=4)
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    statuses = []
    for _ in range(4):
        statuses += await shop.work()
        shop.clock.advance(300)
    assert statuses == [JobStatus.DUE, JobStatus.DUE, JobStatus.DUE, JobStatus.DEAD]
    job = await shop.job_of(refund.id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DEAD, 4, "the provider timed out")
    held = await shop.refund(refund.id)
    # No attempt got an answer: the provider may have made the refund, so it is not called failed.
    assert (held.status, held.failure_reason) == (RefundStatus.PENDING, None)
    assert shop.metrics.counts["jobs:refund:dead"] == 1
    assert await shop.work() == []
    # its amount stays held: no second refund can take the money the first one may have returned
    with pytest.raises(Conflict):
        await shop.request(ADMIN, payment.id)
    assert (await shop.payment(payment.id)).refunded_amount.minor == 0


async def test_an_operator_revives_a_dead_refund_job_and_the_provider_is_asked_under_the_same_reference() -> (
    None
):
    shop = Shop(failures=4, max_attempts=4)
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    for _ in range(4):
        await shop.work()
        shop.clock.advance(300)
    assert (await shop.job_of(refund.id)).status is JobStatus.DEAD
    retry = RetryRefund(shop.uow, shop.clock)
    assert (await retry(refund.id)).status is RefundStatus.PENDING
    revived = await shop.job_of(refund.id)
    assert (revived.status, revived.attempts, revived.run_after) == (JobStatus.DUE, 0, shop.clock.now())
    with pytest.raises(InvalidTransition, match="its job is due and is retried by itself"):
        await retry(refund.id)  # due again: nothing to revive
    assert await shop.work() == [JobStatus.SUCCEEDED]
    assert (await shop.refund(refund.id)).status is RefundStatus.SUCCEEDED
    assert shop.gateway.asked == [refund_reference(INSTALLATION, refund.id)] * 5
    with pytest.raises(InvalidTransition, match="succeeded"):
        await retry(refund.id)
    with pytest.raises(NotFound):
        await retry(refund.id + 1000)


async def test_a_refusal_raised_by_the_gateway_fails_the_refund_at_once_and_frees_its_amount() -> None:
    shop = Shop()
    shop.gateway.refusal = "Charge ch_1 has already been refunded."
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    assert await shop.work() == [JobStatus.SUCCEEDED]
    refused = await shop.refund(refund.id)
    assert (refused.status, refused.failure_reason, refused.provider_refund_id) == (
        RefundStatus.FAILED,
        "Charge ch_1 has already been refunded.",
        None,
    )
    assert shop.gateway.asked == [refund_reference(INSTALLATION, refund.id)]
    shop.gateway.refusal = None
    assert (await shop.request(ADMIN, payment.id)).amount == payment.amount


async def test_a_provider_refusal_fails_the_refund_and_ends_the_job() -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id, None, "mock-decline")
    assert await shop.work() == [JobStatus.SUCCEEDED]
    declined = await shop.refund(refund.id)
    assert declined.status is RefundStatus.FAILED and declined.failure_reason
    assert (await shop.order(payment.order_id)).refunded_total == Money(0, "RUB")


async def test_a_worker_that_vanished_leaves_its_job_to_another_after_the_lease() -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    job = await shop.job_of(refund.id)
    async with shop.uow as uow:  # w0 claims it and dies before it records anything
        assert await uow.jobs.claim(job.id, "w0", shop.clock.now(), shop.settings.lease) is not None
        await uow.commit()
    assert await shop.work() == []
    shop.clock.advance(31)
    assert await shop.work() == [JobStatus.SUCCEEDED]
    assert (await shop.job_of(refund.id)).attempts == 2


async def test_the_backlog_is_read_from_the_outbox_without_any_relay_pass() -> None:
    shop = Shop()
    idle = await shop.backlog()
    assert idle.oldest_due_age_seconds == 0.0
    assert idle.unfinished == {("refund", "due"): 0, ("refund", "running"): 0}
    payment = await shop.paid()
    await shop.request(ADMIN, payment.id, Decimal("1.00"))
    shop.clock.advance(5)
    second = await shop.request(ADMIN, payment.id, Decimal("1.00"))
    shop.clock.advance(2)
    waiting = await shop.backlog()  # no relay has run: an API process without a worker sees this
    assert waiting.oldest_due_age_seconds == 7.0
    assert waiting.unfinished == {("refund", "due"): 2, ("refund", "running"): 0}
    async with shop.uow as uow:
        job = await uow.jobs.find_by_key(refund_job_key(second.id))
        assert job is not None
        assert await uow.jobs.claim(job.id, "w0", shop.clock.now(), shop.settings.lease) is not None
        await uow.commit()
    assert (await shop.backlog()).unfinished == {("refund", "due"): 1, ("refund", "running"): 1}
    shop.clock.advance(31)
    assert await shop.work() == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    done = await shop.backlog()
    assert (done.oldest_due_age_seconds, done.unfinished[("refund", "due")]) == (0.0, 0)


# ---- settlement ----------------------------------------------------------------------


async def test_a_success_after_cancellation_requests_a_full_refund_in_the_same_transaction() -> None:
    shop = Shop()
    payment = await shop.paid(cancelled_first=True)
    assert payment.status is PaymentStatus.SUCCEEDED and payment.refund_required
    refunds = list(shop.memory.state.refunds.values())
    assert [(r.amount, r.reason, r.status) for r in refunds] == [
        (payment.amount, ORDER_CANCELLED_REASON, RefundStatus.PENDING)
    ]
    assert (await shop.job_of(refunds[0].id)).status is JobStatus.DUE
    assert await shop.work() == [JobStatus.SUCCEEDED]
    order = await shop.order(payment.order_id)
    assert (order.status, order.refunded_total) == (OrderStatus.CANCELLED, payment.amount)


async def test_a_refund_event_moves_the_refund_forward_only_and_refunds_the_order() -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    shop.gateway.answer = ProviderRefund("re_1", RefundStatus.PENDING)
    assert await shop.work() == [JobStatus.SUCCEEDED]
    waiting = await shop.refund(refund.id)
    assert (waiting.status, waiting.provider_refund_id) == (RefundStatus.PENDING, "re_1")
    shop.gateway.event = RefundEvent("evt_r1", "re_1", RefundStatus.SUCCEEDED)
    receipt = await shop.settle("mock", WebhookDelivery(b"{}", {}, None))
    assert receipt.result == "applied"
    assert (await shop.order(payment.order_id)).status is OrderStatus.REFUNDED
    shop.gateway.event = RefundEvent("evt_r2", "re_1", RefundStatus.FAILED, "too late")
    receipt = await shop.settle("mock", WebhookDelivery(b"{}", {}, None))
    assert receipt.result == "ignored"
    assert (await shop.refund(refund.id)).status is RefundStatus.SUCCEEDED
    assert (await shop.payment(payment.id)).refunded_amount == payment.amount  # counted once
    shop.gateway.event = RefundEvent("evt_r3", "re_unknown", RefundStatus.SUCCEEDED)
    with pytest.raises(NotFound):
        await shop.settle("mock", WebhookDelivery(b"{}", {}, None))


# ---- the property: sums agree whatever happens ------------------------------------------

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.integers(-100, 40_000)),
        st.tuples(st.just("answer"), st.sampled_from(list(RefundStatus))),
        st.tuples(st.just("event"), st.sampled_from([RefundStatus.SUCCEEDED, RefundStatus.FAILED])),
        st.tuples(st.just("fail_once"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
async def test_refunded_never_exceeds_paid_and_the_order_agrees_with_the_sums(
    actions: list[tuple[str, object]],
) -> None:
    shop = Shop()
    payment = await shop.paid()
    for action, value in actions:
        if action == "request":
            assert isinstance(value, int)
            with contextlib.suppress(Conflict, InvalidInput):
                await shop.request(ADMIN, payment.id, Decimal(value) / 100)
        elif action == "answer":
            assert isinstance(value, RefundStatus)
            shop.gateway.answer = ProviderRefund(f"re_{len(shop.gateway.asked)}", value, "no")
            await shop.work()
        elif action == "event":
            pending = [r for r in shop.memory.state.refunds.values() if r.provider_refund_id]
            if pending:
                assert isinstance(value, RefundStatus)
                shop.gateway.event = RefundEvent("evt", pending[0].provider_refund_id or "", value)
                await shop.settle("mock", WebhookDelivery(b"{}", {}, None))
        else:
            shop.gateway.failures = 1
            await shop.work()
        shop.clock.advance(400)
        refunds = list(shop.memory.state.refunds.values())
        succeeded = sum(r.amount.minor for r in refunds if r.status is RefundStatus.SUCCEEDED)
        held = sum(r.amount.minor for r in refunds if r.status is not RefundStatus.FAILED)
        stored = await shop.payment(payment.id)
        order = await shop.order(payment.order_id)
        assert succeeded <= held <= payment.amount.minor
        assert stored.refunded_minor == order.refunded_minor == succeeded
        assert (order.status is OrderStatus.REFUNDED) == (succeeded == payment.amount.minor)
        assert order.status in (OrderStatus.PAID, OrderStatus.REFUNDED)


async def test_a_saved_payment_keeps_its_refunded_sum() -> None:
    """`refunded_minor` is stored with the payment: a save keeps it."""
    shop = Shop()
    payment = await shop.paid()
    async with shop.uow as uow:
        await uow.payments.save(replace(payment, refunded_minor=123))
        await uow.commit()
    assert (await shop.payment(payment.id)).refunded_minor == 123


async def test_a_worker_without_the_provider_gives_the_job_back_untried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shop = Shop()
    payment = await shop.paid()
    refund = await shop.request(ADMIN, payment.id)
    # A worker whose PAYMENT_PROVIDERS lacks the payment's provider (`mock`).
    lacking = RunJob(
        shop.uow,
        shop.clock,
        ExecuteRefund(shop.uow, Gateways([OtherProvider(shop.clock)]), shop.clock, INSTALLATION),
        shop.settings,
    )
    job = await shop.job_of(refund.id)
    with caplog.at_level("WARNING", logger="storefront.jobs"):
        for _ in range(3):
            assert await lacking(job.id, "w-lacking") is JobStatus.DUE
            given_back = await shop.job_of(refund.id)
            assert (given_back.status, given_back.attempts, given_back.locked_by) == (JobStatus.DUE, 0, None)
            assert given_back.run_after == shop.clock.now() + shop.settings.release_delay
            shop.clock.advance(shop.settings.release_delay.total_seconds())
    assert len([r for r in caplog.records if "not enabled in this worker" in r.getMessage()]) == 1
    assert (await shop.refund(refund.id)).status is RefundStatus.PENDING
    # A worker that has it runs it, as its first attempt.
    assert await shop.work() == [JobStatus.SUCCEEDED]
    assert (await shop.job_of(refund.id)).attempts == 1
    assert (await shop.refund(refund.id)).status is RefundStatus.SUCCEEDED


@pytest.mark.parametrize("reason", ["", " ", "\u2028", "\ufeff", " \u3000\u200b ", "\u2029\u00a0"])
async def test_a_blank_reason_is_refused(reason: str) -> None:
    shop = Shop()
    payment = await shop.paid()
    with pytest.raises(InvalidInput, match="reason"):
        await shop.request(ADMIN, payment.id, None, reason)
    assert (await shop.request(ADMIN, payment.id, None, " one cup broken ")).reason == " one cup broken "
