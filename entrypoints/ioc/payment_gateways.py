"""The payment gateways `PAYMENT_PROVIDERS` enables, built once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.payments.registry import GatewayConfig, create_gateways
from application.ports import Clock, PaymentGateways
from entrypoints.settings import Settings


def public_base_url(settings: Settings) -> str:
    """Where customers reach this app: `PUBLIC_URL`, else the address it listens on."""
    return settings.public_base_url


def gateway_config(settings: Settings, clock: Clock) -> GatewayConfig:
    return GatewayConfig(
        settings.payment_webhook_secret,
        public_base_url(settings),
        clock,
        settings.provider_values,
        settings.is_prod,
    )


class PaymentGatewayAdapters(Provider):
    @provide(scope=Scope.APP)
    async def gateways(self, settings: Settings, clock: Clock) -> AsyncIterator[PaymentGateways]:
        """Closed with the container: their HTTP sessions' connections end with the process."""
        gateways = create_gateways(
            settings.payment_providers_enabled,
            settings.default_payment_provider,
            gateway_config(settings, clock),
        )
        yield gateways
        await gateways.aclose()
