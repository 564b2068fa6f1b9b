"""Refunds (sums, provider ids, paging) and the jobs outbox (hand-out, claim, lapsed leases): the contract."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.ports import NewCategory, NewJob, NewPayment, NewProduct, NewRefund
from domain.errors import AlreadyExists
from domain.jobs import JobKind, JobStatus
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import Payment, PaymentStatus
from domain.refunds import RefundStatus
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
async def paid(storage: Storage) -> tuple[Order, Payment]:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        product = await uow.products.add(NewProduct("Tea", "", 1_000, "RUB", category.id, None), NOW)
        line = OrderLine(product.id, "Tea", 2, Money(1_000, "RUB"))
        order = await uow.orders.add(Order.place(user.id, [line], "RUB", NOW))
        payment = await uow.payments.add(NewPayment(order.id, user.id, order.total, "mock"), NOW)
        payment = payment.opened("mock_1", "https://shop.example/c/mock_1", NOW)
        payment = payment.moved_to(PaymentStatus.SUCCEEDED, NOW)
        await uow.payments.save(payment)
        moved = order.mark_paid(NOW)
        assert await uow.orders.save_status(moved, OrderStatus.PENDING)
        await uow.commit()
    return moved, payment


async def test_a_refund_round_trips_and_is_found_by_its_provider_id(
    storage: Storage, paid: tuple[Order, Payment]
) -> None:
    order, payment = paid
    async with storage.unit_of_work() as uow:
        first = await uow.refunds.add(NewRefund(payment.id, order.id, Money(500, "RUB"), "broken"), NOW)
        second = await uow.refunds.add(NewRefund(payment.id, order.id, Money(700, "RUB"), None), NOW)
        await uow.commit()
    assert first.status is RefundStatus.PENDING and first.amount == Money(500, "RUB")
    later = NOW + timedelta(seconds=5)
    done = first.answered(RefundStatus.SUCCEEDED, later, provider_refund_id="re_1")
    async with storage.unit_of_work() as uow:
        assert await uow.refunds.lock(first.id) == first
        await uow.refunds.save(done)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.refunds.get(first.id) == done
        assert await uow.refunds.find_by_provider_id("mock", "re_1") == done
        assert await uow.refunds.find_by_provider_id("stripe", "re_1") is None
        assert await uow.refunds.of_payment(payment.id) == [done, second]
        assert await uow.refunds.list_for_payment(payment.id, 1, 1) == [second]
        assert await uow.refunds.get(999_999) is None


async def test_refunded_sums_of_payment_and_order_are_stored(
    storage: Storage, paid: tuple[Order, Payment]
) -> None:
    order, payment = paid
    later = NOW + timedelta(minutes=1)
    async with storage.unit_of_work() as uow:
        await uow.payments.save(replace(payment, refunded_minor=2_000, updated_at=later))
        await uow.orders.add_refunded(order.id, 1_500, later)
        await uow.orders.add_refunded(order.id, 500, later)
        assert await uow.orders.save_status(order.refund(later), OrderStatus.PAID)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        stored_payment = await uow.payments.get(payment.id)
        stored_order = await uow.orders.get(order.id)
    assert stored_payment is not None and stored_payment.refunded_amount == Money(2_000, "RUB")
    assert stored_order is not None and stored_order.refunded_total == Money(2_000, "RUB")
    assert stored_order.status is OrderStatus.REFUNDED


def refund_job(n: int) -> NewJob:
    return NewJob(JobKind.REFUND, {"refund_id": n}, f"storefront-refund-{n}")


async def test_a_job_key_is_unique(storage: Storage) -> None:
    async with storage.unit_of_work() as uow:
        job = await uow.jobs.add(refund_job(1), NOW)
        await uow.commit()
    assert job.status is JobStatus.DUE and job.attempts == 0 and job.payload == {"refund_id": 1}
    async with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists):
            await uow.jobs.add(refund_job(1), NOW)
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.find_by_key("storefront-refund-1") == job
        assert await uow.jobs.get(job.id) == job


async def test_a_handed_out_job_is_not_handed_out_again_until_its_lease_lapses(storage: Storage) -> None:
    async with storage.unit_of_work() as uow:
        first = await uow.jobs.add(refund_job(1), NOW)
        second = await uow.jobs.add(refund_job(2), NOW + timedelta(seconds=1))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.unfinished() == {(JobKind.REFUND, JobStatus.DUE): 2}
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.hand_out(NOW, 10, LEASE) == [first.id]  # the second is not due yet
        assert await uow.jobs.hand_out(NOW + timedelta(seconds=2), 10, LEASE) == [second.id]
        assert await uow.jobs.hand_out(NOW + timedelta(seconds=3), 10, LEASE) == []
        assert await uow.jobs.oldest_due(NOW + timedelta(seconds=3)) == NOW
        await uow.commit()
    async with storage.unit_of_work() as uow:
        lapsed = NOW + LEASE + timedelta(seconds=1)
        assert await uow.jobs.hand_out(lapsed, 1, LEASE) == [first.id]


async def test_only_one_worker_claims_a_job_and_a_lapsed_attempt_is_claimed_again(storage: Storage) -> None:
    async with storage.unit_of_work() as uow:
        job = await uow.jobs.add(refund_job(1), NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.hand_out(NOW, 10, LEASE) == [job.id]
        claimed = await uow.jobs.claim(job.id, "w1", NOW, LEASE)
        assert await uow.jobs.claim(job.id, "w2", NOW, LEASE) is None
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.unfinished() == {(JobKind.REFUND, JobStatus.RUNNING): 1}
    assert claimed is not None
    assert (claimed.status, claimed.attempts, claimed.locked_by) == (JobStatus.RUNNING, 1, "w1")
    assert claimed.locked_until == NOW + LEASE
    # w1 vanished: after its lease the relay hands the job out again and another worker runs it.
    lapsed = NOW + LEASE + timedelta(seconds=1)
    async with storage.unit_of_work() as uow:
        assert await uow.jobs.claim(job.id, "w2", NOW + timedelta(seconds=1), LEASE) is None
        assert await uow.jobs.hand_out(lapsed, 10, LEASE) == [job.id]
        again = await uow.jobs.claim(job.id, "w2", lapsed, LEASE)
        await uow.commit()
    assert again is not None and (again.attempts, again.locked_by) == (2, "w2")
    failed = again.failed("provider down", lapsed, max_attempts=10)
    async with storage.unit_of_work() as uow:
        await uow.jobs.save(failed)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        stored = await uow.jobs.get(job.id)
        assert stored == failed
        assert stored.status is JobStatus.DUE and stored.run_after == lapsed + timedelta(seconds=2)
        assert await uow.jobs.claim(job.id, "w3", lapsed, LEASE) is None  # backing off
        assert await uow.jobs.hand_out(lapsed, 10, LEASE) == []
        done = await uow.jobs.claim(job.id, "w3", stored.run_after, LEASE)
        assert done is not None
        await uow.jobs.save(done.succeeded(stored.run_after))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        final = await uow.jobs.get(job.id)
        assert final is not None and final.status is JobStatus.SUCCEEDED and final.locked_by is None
        assert await uow.jobs.hand_out(NOW + timedelta(hours=1), 10, LEASE) == []
        assert await uow.jobs.oldest_due(NOW + timedelta(hours=1)) is None
        assert await uow.jobs.unfinished() == {}


async def test_a_job_given_back_untried_keeps_its_attempts(storage: Storage) -> None:
    async with storage.unit_of_work() as uow:
        job = await uow.jobs.add(refund_job(1), NOW)
        claimed = await uow.jobs.claim(job.id, "w1", NOW, LEASE)
        assert claimed is not None and claimed.attempts == 1
        await uow.jobs.save(claimed.released(NOW, timedelta(seconds=5)))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        stored = await uow.jobs.get(job.id)
        assert stored is not None
        assert (stored.status, stored.attempts, stored.locked_by) == (JobStatus.DUE, 0, None)
        assert await uow.jobs.hand_out(NOW + timedelta(seconds=4), 10, LEASE) == []
        assert await uow.jobs.hand_out(NOW + timedelta(seconds=5), 10, LEASE) == [job.id]
