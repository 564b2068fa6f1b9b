"""The YooKassa client against the double: exact amounts, errors in the domain's words, settings."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.payments.registry_errors import GatewaySettingsError
from adapters.payments.yookassa.client import Amount, YooKassaClient
from adapters.payments.yookassa.settings import (
    DEFAULT_TRUSTED_NETWORKS,
    YooKassaSettings,
    is_trusted,
    parse_networks,
)
from application.ports import ProviderCredentialsRefused
from domain.errors import Conflict, DependencyUnavailable, InvalidInput, NotAuthenticated
from domain.money import Money
from tests.doubles.yookassa import SECRET_KEY, SHOP_ID, YooKassaDouble


@pytest.fixture
def yookassa() -> Iterator[YooKassaDouble]:
    with YooKassaDouble() as double:
        yield double


def _client(double: YooKassaDouble, timeout: float = 10.0, key: str = SECRET_KEY) -> YooKassaClient:
    return YooKassaClient(SHOP_ID, key, double.api_url, timeout)


def _body(value: str) -> dict[str, object]:
    return {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://shop.example/"},
    }


# ---- amounts -------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=10**17))
@settings(max_examples=200)
def test_amounts_go_out_exactly_from_minor_units(minor: int) -> None:
    amount = Amount.of(Money(minor, "RUB"))
    assert Decimal(amount.value) * 100 == minor
    assert amount.money() == Money(minor, "RUB")


def test_149_90_round_trips_as_a_string() -> None:
    assert Amount.of(Money(14990, "RUB")) == Amount("149.90", "RUB")
    assert Amount("149.90", "RUB").money() == Money(14990, "RUB")


@pytest.mark.parametrize("value", ["1.001", "1e2", "-1.00", " 1.00", "1,00", "NaN"])
def test_an_amount_that_is_not_exact_money_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        Amount(value, "RUB").money()


async def test_the_api_sees_the_exact_string(yookassa: YooKassaDouble) -> None:
    payment = await _client(yookassa).create_payment(_body("149.90"), "storefront-payment-1")
    assert payment.amount == Amount("149.90", "RUB")
    assert b'"value":"149.90"' in yookassa.posts("/v3/payments")[0].body


# ---- errors --------------------------------------------------------------------------------


async def test_5xx_is_dependency_unavailable_and_a_retry_with_the_key_resumes(
    yookassa: YooKassaDouble,
) -> None:
    yookassa.fail_next(1)
    with pytest.raises(DependencyUnavailable):
        await _client(yookassa).create_payment(_body("10.00"), "storefront-payment-2")
    first = await _client(yookassa).create_payment(_body("10.00"), "storefront-payment-2")
    again = await _client(yookassa).create_payment(_body("10.00"), "storefront-payment-2")
    assert first.id == again.id
    assert len(yookassa.payments) == 1


async def test_a_dropped_connection_is_dependency_unavailable(yookassa: YooKassaDouble) -> None:
    yookassa.unreachable = True
    with pytest.raises(DependencyUnavailable):
        await _client(yookassa).get_payment("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")


async def test_a_closed_port_is_dependency_unavailable(yookassa: YooKassaDouble) -> None:
    client = _client(yookassa)
    yookassa.stop()
    with pytest.raises(DependencyUnavailable):
        await client.get_payment("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")


async def test_a_silent_provider_times_out(yookassa: YooKassaDouble) -> None:
    yookassa.delay = 1.0
    with pytest.raises(DependencyUnavailable, match="in time"):
        await _client(yookassa, timeout=0.2).get_payment("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")


async def test_a_refusal_is_a_conflict_with_yookassas_description(yookassa: YooKassaDouble) -> None:
    with pytest.raises(Conflict, match="Amount value is invalid"):
        await _client(yookassa).create_payment(_body("1.001"), "storefront-payment-3")


async def test_wrong_credentials_are_the_shops_misconfiguration_naming_them(yookassa: YooKassaDouble) -> None:
    with pytest.raises(ProviderCredentialsRefused, match="401"):
        await _client(yookassa, key="wrong").create_payment(_body("1.00"), "storefront-payment-4")
    with pytest.raises(ProviderCredentialsRefused, match="401"):
        await _client(yookassa, key="wrong").get_payment("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")


async def test_an_object_yookassa_does_not_know_is_not_believed(yookassa: YooKassaDouble) -> None:
    with pytest.raises(NotAuthenticated):
        await _client(yookassa).get_payment("2d8a4b5e-000f-5000-8000-1a2b3c4d5e6f")


@pytest.mark.parametrize("object_id", ["../refunds/x", "a/b", "x?y", "", "a" * 65, "%2e%2e"])
async def test_ids_that_would_change_the_path_never_reach_a_url(
    yookassa: YooKassaDouble, object_id: str
) -> None:
    with pytest.raises(ValueError, match="object id"):
        await _client(yookassa).get_payment(object_id)
    assert yookassa.requests == []


# ---- settings and trusted networks ---------------------------------------------------------

REQUIRED = {"YOOKASSA_SHOP_ID": SHOP_ID, "YOOKASSA_SECRET_KEY": SECRET_KEY}


@pytest.mark.parametrize("missing", ["YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY"])
def test_each_required_setting_is_named_when_missing(missing: str) -> None:
    values = {k: v for k, v in REQUIRED.items() if k != missing}
    with pytest.raises(GatewaySettingsError, match=missing):
        YooKassaSettings.from_values(values, "https://shop.example")


def test_defaults() -> None:
    built = YooKassaSettings.from_values(REQUIRED, "https://shop.example/")
    assert built.api_url == "https://api.yookassa.ru/v3"
    assert built.return_url == "https://shop.example/"
    assert built.trusted_networks == parse_networks(",".join(DEFAULT_TRUSTED_NETWORKS))


@pytest.mark.parametrize(
    ("name", "value"),
    [("YOOKASSA_TRUSTED_NETWORKS", "185.71.76.1/27"), ("YOOKASSA_TRUSTED_NETWORKS", "nope"),
     ("YOOKASSA_TRUSTED_NETWORKS", " , "), ("YOOKASSA_API_URL", "ftp://x"),
     ("YOOKASSA_RETURN_URL", "/relative")],
)  # fmt: skip
def test_wrong_values_are_named(name: str, value: str) -> None:
    with pytest.raises(GatewaySettingsError, match=name):
        YooKassaSettings.from_values({**REQUIRED, name: value}, "https://shop.example")


DEFAULT = parse_networks(",".join(DEFAULT_TRUSTED_NETWORKS))


@pytest.mark.parametrize(
    "address",
    ["185.71.76.0", "185.71.76.31", "185.71.77.5", "77.75.153.127", "77.75.156.11", "77.75.156.35",
     "77.75.154.200", "2a02:5180::1", "2a02:5180:0:1509::17", "::ffff:185.71.76.10"],
)  # fmt: skip
def test_yookassas_published_addresses_are_trusted(address: str) -> None:
    assert is_trusted(address, DEFAULT)


@pytest.mark.parametrize(
    "address",
    ["185.71.76.32", "77.75.153.128", "77.75.156.12", "127.0.0.1", "10.0.0.1", "2a02:5181::1", "::1",
     "::ffff:127.0.0.1", "", None, "not-an-ip", "185.71.76.1, 127.0.0.1"],
)  # fmt: skip
def test_other_senders_are_not(address: str | None) -> None:
    assert not is_trusted(address, DEFAULT)
