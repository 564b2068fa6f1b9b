"""The payment state machine and the settlement decision, as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidTransition
from domain.money import Money
from domain.orders import MAX_TOTAL_MINOR, OrderStatus
from domain.payments import (
    FINAL_STATUSES,
    Outcome,
    Payment,
    PaymentEvent,
    PaymentStatus,
    decide_settlement,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PRICE = Money(29_980, "RUB")

statuses = st.sampled_from(list(PaymentStatus))
event_statuses = st.sampled_from([s for s in PaymentStatus if s is not PaymentStatus.CREATED])
order_statuses = st.sampled_from(list(OrderStatus))
amounts = st.builds(
    Money, st.integers(min_value=0, max_value=MAX_TOTAL_MINOR), st.sampled_from(["RUB", "USD", "EUR"])
)


def payment_in(status: PaymentStatus, amount: Money = PRICE) -> Payment:
    return Payment(
        id=1,
        order_id=7,
        user_id=3,
        amount=amount,
        provider="mock",
        provider_payment_id="mock_1",
        checkout_url="http://shop/mock-checkout/mock_1",
        status=status,
        fail_reason=None,
        refund_required=False,
        created_at=NOW,
        updated_at=NOW,
    )


def event_of(status: PaymentStatus, amount: Money = PRICE, fail_reason: str | None = None) -> PaymentEvent:
    return PaymentEvent("evt_1", "mock_1", status, amount, fail_reason)


# ---- the state machine ------------------------------------------------------------


def test_a_payment_moves_forward_through_pending_to_a_final_status() -> None:
    assert PaymentStatus.CREATED.can_move_to(PaymentStatus.PENDING)
    for final in FINAL_STATUSES:
        assert PaymentStatus.CREATED.can_move_to(final)
        assert PaymentStatus.PENDING.can_move_to(final)
    assert not PaymentStatus.PENDING.can_move_to(PaymentStatus.CREATED)


@given(statuses, statuses)
def test_nothing_leaves_a_final_status_and_nothing_moves_backwards_or_stays(
    current: PaymentStatus, target: PaymentStatus
) -> None:
    if current.is_final or target is current or target is PaymentStatus.CREATED:
        assert not current.can_move_to(target)


@given(statuses)
def test_only_created_and_pending_payments_are_active(status: PaymentStatus) -> None:
    assert status.is_active == (status in (PaymentStatus.CREATED, PaymentStatus.PENDING))


@given(statuses, statuses)
def test_a_refused_move_raises_and_an_allowed_one_changes_the_status(
    current: PaymentStatus, target: PaymentStatus
) -> None:
    payment = payment_in(current)
    if current.can_move_to(target):
        assert payment.moved_to(target, NOW).status is target
    else:
        with pytest.raises(InvalidTransition):
            payment.moved_to(target, NOW)


# ---- the settlement decision ------------------------------------------------------


@given(statuses, order_statuses, event_statuses, amounts)
def test_an_event_that_is_not_a_forward_move_is_ignored_and_changes_nothing(
    current: PaymentStatus, order: OrderStatus, incoming: PaymentStatus, amount: Money
) -> None:
    payment = payment_in(current)
    decision = decide_settlement(payment, order, event_of(incoming, amount))
    if not current.can_move_to(incoming):
        assert decision.outcome is Outcome.IGNORED
        assert not decision.changes_payment and not decision.pay_order
        assert decision.status is current


@given(statuses, order_statuses, event_statuses, amounts)
def test_the_order_is_paid_only_by_a_matching_success_while_it_is_pending(
    current: PaymentStatus, order: OrderStatus, incoming: PaymentStatus, amount: Money
) -> None:
    decision = decide_settlement(payment_in(current), order, event_of(incoming, amount))
    expected = (
        current.is_active
        and incoming is PaymentStatus.SUCCEEDED
        and amount == PRICE
        and order is OrderStatus.PENDING
    )
    assert decision.pay_order == expected
    if decision.pay_order:
        assert (decision.outcome, decision.status, decision.refund_required) == (
            Outcome.APPLIED,
            PaymentStatus.SUCCEEDED,
            False,
        )


@given(st.sampled_from([PaymentStatus.CREATED, PaymentStatus.PENDING]), order_statuses, amounts)
def test_a_success_for_another_amount_or_currency_fails_the_payment_naming_the_mismatch(
    current: PaymentStatus, order: OrderStatus, amount: Money
) -> None:
    decision = decide_settlement(payment_in(current), order, event_of(PaymentStatus.SUCCEEDED, amount))
    if amount == PRICE:
        assert decision.outcome is Outcome.APPLIED
        return
    assert decision.outcome is Outcome.MISMATCH
    assert decision.status is PaymentStatus.FAILED
    assert not decision.pay_order and not decision.refund_required
    assert decision.fail_reason is not None
    if amount.currency != PRICE.currency:
        assert f"currency mismatch: expected RUB, received {amount.currency}" in decision.fail_reason
    if amount.minor != PRICE.minor:
        assert f"amount mismatch: expected 299.80, received {amount.amount}" in decision.fail_reason


@pytest.mark.parametrize("order", [OrderStatus.CANCELLED, OrderStatus.PAID, OrderStatus.SHIPPED])
def test_a_success_for_an_order_that_no_longer_waits_flags_a_refund(order: OrderStatus) -> None:
    decision = decide_settlement(payment_in(PaymentStatus.PENDING), order, event_of(PaymentStatus.SUCCEEDED))
    assert decision.outcome is Outcome.APPLIED
    assert decision.status is PaymentStatus.SUCCEEDED
    assert decision.refund_required
    assert not decision.pay_order


@pytest.mark.parametrize("ending", [PaymentStatus.FAILED, PaymentStatus.CANCELED])
def test_a_failure_ends_the_payment_with_a_reason_and_leaves_the_order_alone(ending: PaymentStatus) -> None:
    decision = decide_settlement(payment_in(PaymentStatus.CREATED), OrderStatus.PENDING, event_of(ending))
    assert (decision.outcome, decision.status, decision.pay_order) == (Outcome.APPLIED, ending, False)
    assert decision.fail_reason
    given_reason = decide_settlement(
        payment_in(PaymentStatus.CREATED), OrderStatus.PENDING, event_of(ending, fail_reason="card expired")
    )
    assert given_reason.fail_reason == "card expired"


def test_a_pending_event_makes_a_created_payment_pending() -> None:
    decision = decide_settlement(
        payment_in(PaymentStatus.CREATED), OrderStatus.PENDING, event_of(PaymentStatus.PENDING)
    )
    assert (decision.outcome, decision.status, decision.pay_order) == (
        Outcome.APPLIED,
        PaymentStatus.PENDING,
        False,
    )


@given(st.text(min_size=600, max_size=800))
def test_a_long_failure_reason_is_clipped_to_what_is_stored(reason: str) -> None:
    moved = payment_in(PaymentStatus.PENDING).moved_to(PaymentStatus.FAILED, NOW, fail_reason=reason)
    assert moved.fail_reason == reason[:500]


def test_refund_required_is_owed_until_the_succeeded_refunds_reach_the_amount() -> None:
    owed = replace(payment_in(PaymentStatus.SUCCEEDED), refund_required=True)
    part = owed.refunded(Money(PRICE.minor - 1, PRICE.currency), NOW)
    assert (part.refund_required, part.refunded_minor) == (True, PRICE.minor - 1)
    full = part.refunded(Money(1, PRICE.currency), NOW)
    assert (full.refund_required, full.refunded_amount) == (False, PRICE)
    # a payment never owed a refund is not made owed by one
    assert (
        payment_in(PaymentStatus.SUCCEEDED).refunded(Money(1, PRICE.currency), NOW).refund_required is False
    )
