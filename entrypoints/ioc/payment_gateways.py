"""The payment gateway `PAYMENT_PROVIDER` names: one per process."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.payments.registry import GatewayConfig, create_gateway
from application.ports import Clock, PaymentGateway
from entrypoints.settings import Settings


def public_base_url(settings: Settings) -> str:
    """Where customers reach this app: `PUBLIC_URL`, else the address it listens on."""
    return settings.public_base_url


class PaymentGatewayAdapters(Provider):
    @provide(scope=Scope.APP)
    def gateway(self, settings: Settings, clock: Clock) -> PaymentGateway:
        config = GatewayConfig(settings.payment_webhook_secret, public_base_url(settings), clock)
        return create_gateway(settings.payment_provider, config)
