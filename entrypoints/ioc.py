"""The composition root: which adapter serves which port, and for how long."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

from dishka import AsyncContainer, Provider, Scope, from_context, make_async_container, provide
from dishka.integrations.litestar import LitestarProvider
from litestar import Request

from adapters.clock import SystemUtcClock
from adapters.memory.sessions import MemorySessionStore
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.rate_limits import LimitsRateLimiter, parse_limits
from adapters.redis.client import RedisLink
from adapters.redis.sessions import RedisSessionStore
from adapters.security.passwords import BcryptPasswordHasher
from adapters.security.tokens import JwtTokenIssuer
from adapters.sql.account_reads import AsyncpgAccountReadModel
from adapters.sql.catalog_reads import AsyncpgCatalogReadModel, ReadPool, SqlCatalogReadModel
from adapters.sql.database import Database, create_engine
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.order_reads import AsyncpgOrderReadModel
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.auth.accounts import AccountsInUnitOfWork
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
from application.counted_rate_limiter import CountedRateLimiter
from application.orders.browse_orders import GetOrder, ListMyOrders, ListOrders
from application.orders.change_status import CancelOrder, DeliverOrder, ShipOrder
from application.orders.expire_orders import ExpireOrders
from application.orders.place_order import PlaceOrder
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import (
    AccountReadModel,
    CatalogReadModel,
    Clock,
    IdempotencyStore,
    Metrics,
    OrderReadModel,
    PasswordHasher,
    RateLimit,
    RateLimiter,
    SessionStore,
    TokenIssuer,
    UnitOfWork,
)
from domain.users import Actor
from entrypoints.http.access_log import remember_user
from entrypoints.http.idempotency import IdempotentRequests
from entrypoints.payments_ioc import PaymentProvider
from entrypoints.settings import Settings


class InfrastructureProvider(Provider):
    """Process-wide adapters: pools, engines, keys."""

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return SystemUtcClock()

    @provide(scope=Scope.APP)
    def metrics(self) -> Metrics:
        return PrometheusMetrics()

    @provide(scope=Scope.APP)
    async def database(self, settings: Settings) -> AsyncIterator[Database]:
        db = Database(create_engine(settings.database_url, pool_size=settings.db_pool_size))
        yield db
        await db.dispose()

    @provide(scope=Scope.APP)
    def password_hasher(self, settings: Settings) -> Iterator[PasswordHasher]:
        hasher = BcryptPasswordHasher(
            rounds=settings.bcrypt_rounds,
            workers=settings.password_hash_threads,
        )
        yield hasher
        hasher.close()

    @provide(scope=Scope.APP)
    def token_issuer(self, settings: Settings, clock: Clock) -> TokenIssuer:
        return JwtTokenIssuer(
            secret=settings.secret_key,
            algorithm=settings.algorithm,
            access_ttl=timedelta(minutes=settings.access_token_expire_minute),
            clock=clock,
        )

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self, db: Database) -> UnitOfWork:
        return SqlUnitOfWork(db)

    @provide(scope=Scope.APP)
    async def read_pool(self, settings: Settings) -> AsyncIterator[ReadPool]:
        """asyncpg connections for the read models on PostgreSQL, opened on first use: half as many
        as the unit-of-work pool (reads hold a connection for one statement only)."""
        pool = ReadPool(settings.database_url, max(2, settings.db_pool_size // 2))
        yield pool
        await pool.close()

    @provide(scope=Scope.APP)
    def catalog_reads(self, db: Database, pool: ReadPool) -> CatalogReadModel:
        """PostgreSQL reads the catalog through asyncpg directly; other databases through SQLAlchemy."""
        if db.engine.dialect.name == "postgresql":
            return AsyncpgCatalogReadModel(pool)
        return SqlCatalogReadModel(db)

    @provide(scope=Scope.REQUEST)
    def account_reads(self, db: Database, pool: ReadPool, uow: UnitOfWork) -> AccountReadModel:
        if db.engine.dialect.name == "postgresql":
            return AsyncpgAccountReadModel(pool)
        return AccountsInUnitOfWork(uow)

    @provide(scope=Scope.REQUEST)
    def order_reads(self, db: Database, pool: ReadPool, uow: UnitOfWork) -> OrderReadModel:
        """PostgreSQL reads order history through asyncpg directly; other databases through the
        unit of work's repository."""
        if db.engine.dialect.name == "postgresql":
            return AsyncpgOrderReadModel(pool)
        return RepositoryOrderReadModel(uow)


class UseCaseProvider(Provider):
    """One use case per action, built fresh for each request."""

    scope = Scope.REQUEST

    register = provide(RegisterCustomer)
    log_in = provide(LogIn)
    authenticate = provide(Authenticate)
    current_user = provide(GetCurrentUser)
    ensure_admin = provide(EnsureAdmin)
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


class SessionsProvider(Provider):
    """Sessions and rate limits: in Redis when `REDIS_URL` is set, else in process memory."""

    @provide(scope=Scope.APP)
    async def redis_link(self, settings: Settings) -> AsyncIterator[RedisLink]:
        link = RedisLink(settings.redis_url)
        yield link
        await link.close()

    @provide(scope=Scope.APP)
    def session_store(self, settings: Settings, clock: Clock, link: RedisLink) -> SessionStore:
        ttl = timedelta(days=settings.refresh_token_expire_days)
        if link.client is None:
            return MemorySessionStore(clock, ttl)
        return RedisSessionStore(link.client, ttl, settings.redis_key_prefix)

    @provide(scope=Scope.APP)
    def rate_limiter(self, settings: Settings, link: RedisLink, metrics: Metrics) -> RateLimiter:
        limits = parse_limits(
            {
                RateLimit.FAILED_LOGINS: settings.rate_limit_login,
                RateLimit.REGISTRATIONS: settings.rate_limit_register,
                RateLimit.API_REQUESTS: settings.rate_limit_api,
            }
        )
        if link.client is None or link.url is None:
            return CountedRateLimiter(LimitsRateLimiter.in_memory(limits), metrics)
        return CountedRateLimiter(
            LimitsRateLimiter.on_redis(link.client, link.url, limits, settings.redis_key_prefix), metrics
        )

    refresh_session = provide(RefreshSession, scope=Scope.REQUEST)
    log_out = provide(LogOut, scope=Scope.REQUEST)
    list_users = provide(ListUsers, scope=Scope.REQUEST)
    deactivate_user = provide(DeactivateUser, scope=Scope.REQUEST)
    reset_password = provide(ResetPassword, scope=Scope.REQUEST)
    activate_user = provide(ActivateUser, scope=Scope.REQUEST)


class OrderProvider(Provider):
    """Orders, stock and idempotency keys."""

    scope = Scope.REQUEST

    list_my_orders = provide(ListMyOrders)
    list_orders = provide(ListOrders)
    get_order = provide(GetOrder)
    cancel_order = provide(CancelOrder)
    ship_order = provide(ShipOrder)
    deliver_order = provide(DeliverOrder)
    idempotent_requests = provide(IdempotentRequests)

    @provide(scope=Scope.APP)
    def idempotency_store(self, db: Database) -> IdempotencyStore:
        return SqlIdempotencyStore(db)

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


class HttpProvider(Provider):
    """What only an HTTP request can supply: the acting user."""

    @provide(scope=Scope.REQUEST)
    async def actor(self, request: Request, authenticate: Authenticate) -> Actor:  # type: ignore[type-arg]
        actor = await authenticate(bearer_token(request.headers.get("authorization")))
        remember_user(request.scope, actor.user_id)
        return actor


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def app_providers() -> list[Provider]:
    return [
        InfrastructureProvider(),
        UseCaseProvider(),
        SessionsProvider(),
        OrderProvider(),
        PaymentProvider(),
    ]


def create_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The container for the HTTP app; `overrides` replace bindings (tests use this)."""
    return make_async_container(
        *app_providers(), HttpProvider(), LitestarProvider(), *overrides, context={Settings: settings}
    )


def create_cli_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    return make_async_container(*app_providers(), *overrides, context={Settings: settings})
