"""Payment gateways by name. Adding a provider: one adapter class and one line in `GATEWAYS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.payments.mock.gateway import MockGateway
from application.ports import Clock, PaymentGateway


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """What any gateway may need from the settings."""

    webhook_secret: str
    public_url: str
    clock: Clock


GatewayFactory = Callable[[GatewayConfig], PaymentGateway]

GATEWAYS: dict[str, GatewayFactory] = {
    "mock": lambda config: MockGateway(config.webhook_secret, config.public_url, config.clock),
}


class UnknownProvider(LookupError):
    pass


def create_gateway(name: str, config: GatewayConfig) -> PaymentGateway:
    try:
        factory = GATEWAYS[name]
    except KeyError:
        known = ", ".join(sorted(GATEWAYS))
        raise UnknownProvider(f"PAYMENT_PROVIDER {name!r} is not a known provider (known: {known})") from None
    return factory(config)
