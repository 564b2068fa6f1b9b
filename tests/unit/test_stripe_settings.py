"""The Stripe adapter's settings and amounts, without the network."""

from __future__ import annotations

import pytest

from adapters.payments.stripe.gateway import from_stripe_amount, to_stripe_amount
from domain.errors import InvalidInput
from domain.money import Money
from entrypoints.settings import Settings, SettingsError

KEYS = {"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"}


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_stripe_enabled_without_a_required_setting_stops_the_start_naming_it(missing: str) -> None:
    values = {"PAYMENT_PROVIDERS": "mock,stripe", **KEYS}
    del values[missing]
    with pytest.raises(SettingsError, match=f"^{missing} is required when PAYMENT_PROVIDERS enables stripe$"):
        Settings.from_mapping(values)


def test_stripe_settings_are_not_needed_while_it_is_not_enabled() -> None:
    assert Settings.from_mapping({}).payment_providers_enabled == ("mock",)


def test_stripe_enabled_with_its_keys_starts_and_the_default_is_the_first() -> None:
    settings = Settings.from_mapping({"PAYMENT_PROVIDERS": "stripe, mock", **KEYS})
    assert settings.payment_providers_enabled == ("stripe", "mock")
    assert settings.default_payment_provider == "stripe"


def test_a_bad_stripe_url_stops_the_start_naming_it() -> None:
    with pytest.raises(SettingsError, match="STRIPE_API_BASE must be an http"):
        Settings.from_mapping({"PAYMENT_PROVIDERS": "stripe", "STRIPE_API_BASE": "ftp://x", **KEYS})


@pytest.mark.parametrize(
    ("money", "stripe"),
    [
        (Money(29_980, "RUB"), 29_980),
        (Money(150_000, "JPY"), 1_500),
        (Money(100, "KRW"), 1),
        (Money(1, "USD"), 1),
    ],
)
def test_amounts_go_in_the_currencys_smallest_unit_and_come_back(money: Money, stripe: int) -> None:
    assert to_stripe_amount(money) == stripe
    assert from_stripe_amount(stripe, money.currency.lower()) == money


def test_a_fraction_of_a_zero_decimal_currency_cannot_be_sent() -> None:
    with pytest.raises(InvalidInput, match="JPY"):
        to_stripe_amount(Money(150_050, "JPY"))
