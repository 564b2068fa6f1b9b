from __future__ import annotations

from dataclasses import dataclass

from application.ports import PaymentGateways


@dataclass(frozen=True, slots=True)
class EnabledProvider:
    name: str
    default: bool


class ListProviders:
    """The enabled payment providers, in `PAYMENT_PROVIDERS` order, the default one marked
    (`GET /api/v1/payments/providers`, open to anyone; docs/payments.md)."""

    def __init__(self, gateways: PaymentGateways) -> None:
        self._gateways = gateways

    async def __call__(self) -> list[EnabledProvider]:
        return [EnabledProvider(name, name == self._gateways.default) for name in self._gateways.names]
