from __future__ import annotations

import pytest

from adapters.payments.mock.gateway import MockGateway
from entrypoints.ioc.payment_gateways import public_base_url
from entrypoints.settings import Settings, SettingsError


def test_the_mock_provider_is_the_default() -> None:
    assert Settings.from_mapping({}).payment_provider == "mock"


def test_an_unknown_payment_provider_stops_the_start_naming_the_known_ones() -> None:
    with pytest.raises(SettingsError, match=r"PAYMENT_PROVIDER 'stripe' is not a known provider \(mock\)"):
        Settings.from_mapping({"PAYMENT_PROVIDER": "stripe"})


def test_checkout_pages_are_linked_from_the_public_url_else_the_listening_address() -> None:
    assert (
        public_base_url(Settings.from_mapping({"HOST": "0.0.0.0", "PORT": "9000"})) == "http://0.0.0.0:9000"
    )
    assert (
        public_base_url(Settings.from_mapping({"PUBLIC_URL": "https://shop.example"}))
        == "https://shop.example"
    )


async def test_the_container_gives_the_gateway_that_payment_provider_names() -> None:
    from application.ports import PaymentGateway
    from entrypoints.ioc import create_cli_container

    container = create_cli_container(Settings.from_mapping({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"}))
    try:
        assert isinstance(await container.get(PaymentGateway), MockGateway)
    finally:
        await container.close()
