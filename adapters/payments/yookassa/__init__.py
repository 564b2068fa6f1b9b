"""The YooKassa payment provider: its hosted confirmation page, notifications read back from its API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.payments.yookassa.gateway import YooKassaGateway
from adapters.payments.yookassa.settings import YooKassaSettings

if TYPE_CHECKING:
    from adapters.payments.registry import GatewayConfig


def create_gateway(config: GatewayConfig) -> YooKassaGateway:
    """The registry's factory (`adapters.payments.registry.GATEWAYS`); GatewaySettingsError
    naming the variable when a `YOOKASSA_…` setting is missing or wrong."""
    return YooKassaGateway(YooKassaSettings.from_values(config.values, config.public_url))
