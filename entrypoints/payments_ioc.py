"""The payments part of the composition root: the gateway `PAYMENT_PROVIDER` names, and the use cases."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.payments.registry import GatewayConfig, create_gateway
from application.payments.read_payments import GetCheckout, GetPayment, ListOrderPayments, ListPayments
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import Clock, Metrics, PaymentGateway, UnitOfWork
from entrypoints.settings import Settings


def public_base_url(settings: Settings) -> str:
    """Where customers reach this app: `PUBLIC_URL`, else the address it listens on."""
    return settings.public_base_url


class PaymentProvider(Provider):
    """Payments: one gateway per process, chosen by name; use cases per request."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def gateway(self, settings: Settings, clock: Clock) -> PaymentGateway:
        config = GatewayConfig(settings.payment_webhook_secret, public_base_url(settings), clock)
        return create_gateway(settings.payment_provider, config)

    start_payment = provide(StartPayment)
    get_payment = provide(GetPayment)
    list_order_payments = provide(ListOrderPayments)
    list_payments = provide(ListPayments)

    @provide
    def settle_webhook(
        self, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, metrics: Metrics
    ) -> SettleWebhook:
        return SettleWebhook(uow, gateway, clock, metrics)

    get_checkout = provide(GetCheckout)
