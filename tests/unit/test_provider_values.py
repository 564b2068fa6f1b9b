"""A provider's event or answer is checked where it becomes the domain's object: every value
must fit what the store keeps (`domain/provider_values.py`)."""

from __future__ import annotations

import pytest

from application.ports import ProviderAnswerInvalid, ProviderPayment, ProviderRefund
from domain.errors import DependencyUnavailable, InvalidInput
from domain.money import Money
from domain.orders import MAX_TOTAL_MINOR
from domain.payments import PaymentEvent, PaymentStatus
from domain.refunds import RefundEvent, RefundStatus

RUB = Money(100, "RUB")
BAD_IDS = ["", "x" * 256, "x" * 100_000, "a\x00b", "a\x7fb", "a\u0085b", "a\u202eb", "a\nb"]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("field", ["event_id", "provider_payment_id", "capture_reference"])
def test_a_payment_event_refuses_an_id_it_cannot_keep_naming_it(field: str, bad: str) -> None:
    values = {"event_id": "evt_1", "provider_payment_id": "pay_1", "capture_reference": "pi_1", field: bad}
    with pytest.raises(InvalidInput) as refused:
        PaymentEvent(status=PaymentStatus.SUCCEEDED, amount=RUB, **values)
    assert [error.field for error in refused.value.errors] == [field]


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (Money(-1, "RUB"), "amount"),
        (Money(MAX_TOTAL_MINOR + 1, "RUB"), "amount"),
        (Money(10**30, "RUB"), "amount"),
        (Money(100, "rub"), "amount.currency"),
        (Money(100, "ΑΒΓ"), "amount.currency"),
        (Money(100, "RU"), "amount.currency"),
    ],
)
def test_a_payment_event_refuses_an_amount_no_order_can_reach(amount: Money, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        PaymentEvent("evt_1", "pay_1", PaymentStatus.SUCCEEDED, amount)
    assert [error.field for error in refused.value.errors] == [field]


def test_the_highest_order_total_and_zero_are_kept() -> None:
    for minor in (0, MAX_TOTAL_MINOR):
        assert (
            PaymentEvent("e" * 255, "p" * 255, PaymentStatus.SUCCEEDED, Money(minor, "JPY")).amount.minor
            == minor
        )


def test_a_fail_reason_may_break_lines_but_holds_no_other_control() -> None:
    assert PaymentEvent("evt_1", "pay_1", PaymentStatus.FAILED, RUB, "card\tdeclined\n").fail_reason
    with pytest.raises(InvalidInput, match="fail_reason"):
        PaymentEvent("evt_1", "pay_1", PaymentStatus.FAILED, RUB, "card\x00declined")


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_refund_event_refuses_ids_it_cannot_keep(bad: str) -> None:
    with pytest.raises(InvalidInput, match="event_id"):
        RefundEvent(bad, "re_1", RefundStatus.SUCCEEDED)
    with pytest.raises(InvalidInput, match="provider_refund_id"):
        RefundEvent("evt_1", bad, RefundStatus.SUCCEEDED)


@pytest.mark.parametrize(
    ("provider_id", "url", "field"),
    [
        ("pay_1", "https://pay.example/" + "x" * 1000, "checkout_url"),
        ("pay_1", "", "checkout_url"),
        ("pay_1", "ftp://pay.example/", "checkout_url"),
        ("pay_1", "https://pay.example/\x00", "checkout_url"),
        ("x" * 256, "https://pay.example/", "provider_payment_id"),
        ("", "https://pay.example/", "provider_payment_id"),
    ],
)
def test_a_provider_answer_the_store_cannot_keep_is_the_provider_unavailable(
    provider_id: str, url: str, field: str
) -> None:
    with pytest.raises(ProviderAnswerInvalid, match=field) as refused:
        ProviderPayment(provider_id, url)
    assert isinstance(refused.value, DependencyUnavailable)


def test_a_refund_answer_the_store_cannot_keep_is_the_provider_unavailable() -> None:
    with pytest.raises(ProviderAnswerInvalid, match="provider_refund_id"):
        ProviderRefund("r" * 256, RefundStatus.SUCCEEDED)
    with pytest.raises(ProviderAnswerInvalid, match="failure_reason"):
        ProviderRefund("re_1", RefundStatus.FAILED, "\x00")


def test_stripe_counts_in_whole_units_exactly_the_stores_zero_decimal_currencies_but_isk() -> None:
    from adapters.payments.stripe.gateway import ZERO_DECIMAL
    from domain.money import ZERO_DECIMAL_CURRENCIES

    assert ZERO_DECIMAL | {"ISK"} == ZERO_DECIMAL_CURRENCIES
    assert {"JPY", "KRW", "VND"} <= ZERO_DECIMAL
