"""Stripe (`stripe`): hosted Stripe Checkout through the official SDK, signed webhooks, refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.payments.stripe.gateway import StripeGateway
from adapters.payments.stripe.settings import StripeSettings

if TYPE_CHECKING:
    from adapters.payments.registry import GatewayConfig


def create_gateway(config: GatewayConfig) -> StripeGateway:
    """The registry's factory (`adapters.payments.registry.GATEWAYS`); GatewaySettingsError
    naming the variable when a `STRIPE_…` setting is missing or wrong."""
    return StripeGateway(StripeSettings.from_values(config.values, config.public_url), config.clock)
