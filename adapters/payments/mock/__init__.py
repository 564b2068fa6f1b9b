"""The mock payment provider: a hosted checkout page of this app and Stripe-style signed webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.payments.mock.gateway import MockGateway

if TYPE_CHECKING:
    from adapters.payments.registry import GatewayConfig


def create_gateway(config: GatewayConfig) -> MockGateway:
    """The registry's factory (`adapters.payments.registry.GATEWAYS`)."""
    return MockGateway(config.webhook_secret, config.public_url, config.clock)
