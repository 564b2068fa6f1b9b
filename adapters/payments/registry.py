"""Payment gateways by name. Adding a provider: one adapter package `adapters/payments/<name>/`
whose `__init__` defines `create_gateway(config)`, and one line in `GATEWAYS`.

A factory takes the `GatewayConfig` and returns its adapter. It parses and checks its own
settings from `config.values` (the environment, `.env` included) and raises `GatewaySettingsError`
with one line naming the variable when a required one is missing or wrong. Building must be
cheap and offline: start-up builds every enabled gateway once to check its settings.

`GATEWAYS` names each factory by its import path, and a provider's package (with its SDK:
`stripe` alone is about 9 MiB per process) is imported only when that provider is built, that
is only when `PAYMENT_PROVIDERS` enables it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from adapters.payments.registry_errors import GatewaySettingsError, required
from application.ports import Clock, PaymentGateway, PaymentGateways

log = logging.getLogger("storefront.payments")


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """What any gateway may need: the app's shared settings and the raw variables of its own."""

    webhook_secret: str  # PAYMENT_WEBHOOK_SECRET (the mock provider's)
    public_url: str  # PUBLIC_URL, else the address the app listens on; no trailing slash
    clock: Clock
    # The environment (and `.env`), names as given: each adapter reads its own `<NAME>_…` variables.
    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    is_prod: bool = False


GatewayFactory = Callable[[GatewayConfig], PaymentGateway]

# name → "module:function", the provider's `GatewayFactory`, imported on first use.
GATEWAYS: dict[str, str] = {
    "mock": "adapters.payments.mock:create_gateway",
    "stripe": "adapters.payments.stripe:create_gateway",
    "yookassa": "adapters.payments.yookassa:create_gateway",
}

__all__ = ["GATEWAYS", "GatewayConfig", "GatewaySettingsError", "Gateways", "create_gateways", "required"]


class UnknownProvider(LookupError):
    pass


def create_gateway(name: str, config: GatewayConfig) -> PaymentGateway:
    try:
        path = GATEWAYS[name]
    except KeyError:
        known = ", ".join(sorted(GATEWAYS))
        raise UnknownProvider(f"{name!r} is not a known payment provider (known: {known})") from None
    return gateway_factory(path)(config)


def gateway_factory(path: str) -> GatewayFactory:
    """The factory `path` ("package.module:function") names, its module imported now."""
    module, _, function = path.partition(":")
    return cast(GatewayFactory, getattr(importlib.import_module(module), function))


class Gateways(PaymentGateways):
    """The enabled gateways, in `PAYMENT_PROVIDERS` order; `default` is one of them."""

    def __init__(self, gateways: Sequence[PaymentGateway], default: str | None = None) -> None:
        if not gateways:
            raise ValueError("at least one payment provider must be enabled")
        self._by_name = {gateway.name: gateway for gateway in gateways}
        self._names = tuple(gateway.name for gateway in gateways)
        self._default = default or self._names[0]
        if self._default not in self._by_name:
            raise ValueError(f"the default provider {self._default!r} is not enabled")

    @property
    def names(self) -> Sequence[str]:
        return self._names

    @property
    def default(self) -> str:
        return self._default

    def get(self, name: str) -> PaymentGateway | None:
        return self._by_name.get(name)

    async def aclose(self) -> None:
        """Close what the gateways keep open (an HTTP session per gateway that has one); one that
        fails to close is logged and the others are still closed."""
        for gateway in self._by_name.values():
            close = getattr(gateway, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:
                log.warning("payment gateway %s did not close cleanly", gateway.name, exc_info=True)


def create_gateways(names: Sequence[str], default: str | None, config: GatewayConfig) -> Gateways:
    """Every enabled provider's gateway; UnknownProvider or GatewaySettingsError otherwise."""
    return Gateways([create_gateway(name, config) for name in names], default)
