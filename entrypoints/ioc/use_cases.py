"""The use cases: one per action, built fresh for each request (the read-only catalog ones once)."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide

from application.auth.authenticate import Authenticate
from application.auth.bootstrap_admin import EnsureAdmin
from application.auth.current_user import GetCurrentUser
from application.auth.login import LogIn
from application.auth.logout import LogOut
from application.auth.refresh import RefreshSession
from application.auth.register import RegisterCustomer
from application.auth.reset_password import ResetPassword
from application.auth.users import ActivateUser, DeactivateUser, ListUsers
from application.catalog.browse_categories import GetCategory, ListCategories
from application.catalog.browse_products import GetProduct, ListProducts
from application.catalog.create_category import CreateCategory
from application.catalog.create_product import CreateProduct
from application.catalog.deactivate_category import DeactivateCategory
from application.catalog.deactivate_product import DeactivateProduct
from application.catalog.update_category import UpdateCategory
from application.catalog.update_product import UpdateProduct
from application.jobs.run_jobs import ReadJobBacklog
from application.orders.browse_orders import GetOrder, ListMyOrders, ListOrders
from application.orders.cancel_order import CancelOrder
from application.orders.deliver_order import DeliverOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.order_events import ListOrderEvents
from application.orders.place_order import PlaceOrder
from application.orders.ship_order import ShipOrder
from application.payments.providers import ListProviders
from application.payments.read_payments import GetCheckout, GetPayment, ListOrderPayments, ListPayments
from application.payments.refunds import ExecuteRefund, ListRefunds, RequestRefund, RetryRefund
from application.payments.settle_webhook import SettleWebhook
from application.payments.start_payment import StartPayment
from application.ports import Clock, Metrics, PaymentGateways, UnitOfWork
from entrypoints.settings import Settings


class UseCases(Provider):
    scope = Scope.REQUEST

    # accounts and sessions
    register = provide(RegisterCustomer)
    log_in = provide(LogIn)
    authenticate = provide(Authenticate)
    current_user = provide(GetCurrentUser)
    ensure_admin = provide(EnsureAdmin)
    refresh_session = provide(RefreshSession)
    log_out = provide(LogOut)
    list_users = provide(ListUsers)
    deactivate_user = provide(DeactivateUser)
    reset_password = provide(ResetPassword)
    activate_user = provide(ActivateUser)

    # catalog
    list_categories = provide(ListCategories, scope=Scope.APP)  # stateless over the APP-wide read model
    get_category = provide(GetCategory, scope=Scope.APP)  # stateless over the APP-wide read model
    create_category = provide(CreateCategory)
    update_category = provide(UpdateCategory)
    deactivate_category = provide(DeactivateCategory)
    list_products = provide(ListProducts, scope=Scope.APP)  # stateless over the APP-wide read model
    get_product = provide(GetProduct, scope=Scope.APP)  # stateless over the APP-wide read model
    update_product = provide(UpdateProduct)
    deactivate_product = provide(DeactivateProduct)

    @provide
    def create_product(self, uow: UnitOfWork, clock: Clock, settings: Settings) -> CreateProduct:
        return CreateProduct(uow, clock, settings.store_currency)

    # One provider line (or method) per use case, by area: a list, alike by shape across areas.
    # orders
    list_my_orders = provide(ListMyOrders)
    list_orders = provide(ListOrders)
    get_order = provide(GetOrder)
    cancel_order = provide(CancelOrder)
    ship_order = provide(ShipOrder)
    deliver_order = provide(DeliverOrder)
    list_order_events = provide(ListOrderEvents)

    @provide
    def place_order(self, uow: UnitOfWork, clock: Clock, settings: Settings, metrics: Metrics) -> PlaceOrder:
        return PlaceOrder(
            uow, clock, settings.store_currency, metrics, pending_limit=settings.order_pending_limit
        )

    @provide
    def expire_orders(
        self, uow: UnitOfWork, clock: Clock, settings: Settings, metrics: Metrics
    ) -> ExpireOrders:
        timeout = timedelta(seconds=settings.order_payment_timeout_seconds)
        return ExpireOrders(uow, clock, timeout, metrics=metrics)

    # payments
    start_payment = provide(StartPayment)
    get_payment = provide(GetPayment)
    list_order_payments = provide(ListOrderPayments)
    list_payments = provide(ListPayments)
    get_checkout = provide(GetCheckout)
    list_providers = provide(ListProviders)

    @provide
    def settle_webhook(
        self, uow: UnitOfWork, gateways: PaymentGateways, clock: Clock, metrics: Metrics
    ) -> SettleWebhook:
        return SettleWebhook(uow, gateways, clock, metrics)

    # refunds (their jobs' use cases are bound by `entrypoints.ioc.jobs`)
    request_refund = provide(RequestRefund)
    list_refunds = provide(ListRefunds)
    execute_refund = provide(ExecuteRefund)
    retry_refund = provide(RetryRefund)
    read_job_backlog = provide(ReadJobBacklog)
