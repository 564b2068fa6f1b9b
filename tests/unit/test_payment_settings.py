from __future__ import annotations

import pytest

from adapters.payments.mock.gateway import MockGateway
from entrypoints.ioc.payment_gateways import public_base_url
from entrypoints.settings import Settings, SettingsError


def test_the_mock_provider_is_the_default() -> None:
    settings = Settings.from_mapping({})
    assert settings.payment_providers_enabled == ("mock",)
    assert settings.default_payment_provider == "mock"


def test_an_unknown_payment_provider_stops_the_start_naming_the_known_ones() -> None:
    with pytest.raises(
        SettingsError, match=r"PAYMENT_PROVIDERS names 'paypal', not a known provider \(.*mock"
    ):
        Settings.from_mapping({"PAYMENT_PROVIDERS": "mock,paypal"})


def test_the_default_provider_must_be_enabled() -> None:
    with pytest.raises(
        SettingsError, match=r"PAYMENT_PROVIDER 'stripe' is not enabled \(PAYMENT_PROVIDERS: mock\)"
    ):
        Settings.from_mapping({"PAYMENT_PROVIDER": "stripe"})


def test_a_provider_named_twice_stops_the_start() -> None:
    with pytest.raises(SettingsError, match="PAYMENT_PROVIDERS names a provider twice"):
        Settings.from_mapping({"PAYMENT_PROVIDERS": "mock, mock"})


def test_checkout_pages_are_linked_from_the_public_url_else_the_listening_address() -> None:
    assert (
        public_base_url(Settings.from_mapping({"HOST": "0.0.0.0", "PORT": "9000"})) == "http://0.0.0.0:9000"
    )
    assert (
        public_base_url(Settings.from_mapping({"PUBLIC_URL": "https://shop.example"}))
        == "https://shop.example"
    )


async def test_the_container_gives_the_gateways_that_payment_providers_enables() -> None:
    from application.ports import PaymentGateways
    from entrypoints.ioc import create_cli_container

    container = create_cli_container(Settings.from_mapping({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}))
    try:
        gateways = await container.get(PaymentGateways)
        assert list(gateways.names) == ["mock"]
        assert gateways.default == "mock"
        assert isinstance(gateways.get("mock"), MockGateway)
        assert gateways.get("stripe") is None
    finally:
        await container.close()
