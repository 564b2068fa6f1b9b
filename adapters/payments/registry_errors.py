"""What every adapter's settings parsing raises (re-exported by `adapters.payments.registry`)."""

from __future__ import annotations

from collections.abc import Mapping


class GatewaySettingsError(ValueError):
    """An enabled provider's settings are missing or wrong; the message is one line naming the
    variable."""


def required(values: Mapping[str, str], name: str, provider: str) -> str:
    """The value of variable `name`, or GatewaySettingsError naming it."""
    value = values.get(name, "").strip()
    if not value:
        raise GatewaySettingsError(f"{name} is required when PAYMENT_PROVIDERS enables {provider}")
    return value
