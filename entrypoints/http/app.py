"""The Litestar application factory."""

from __future__ import annotations

import gc
import logging

from dishka import Provider
from dishka.integrations.litestar import DishkaRouter
from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from application.auth.bootstrap_admin import EnsureAdmin
from domain.errors import DomainError
from entrypoints.http.access_log import access_log_middleware
from entrypoints.http.auth import AuthController, no_store_middleware
from entrypoints.http.bodies import CheckedRequest
from entrypoints.http.catalog import CategoryController, ProductController
from entrypoints.http.docs import docs_router, swagger_plugin
from entrypoints.http.health import HealthController
from entrypoints.http.metrics import HttpMetrics, metrics_controller
from entrypoints.http.middleware import request_id_middleware
from entrypoints.http.mock_checkout import MockCheckoutController
from entrypoints.http.money import TYPE_DECODERS, MoneySchemaPlugin
from entrypoints.http.openapi import COMPONENTS, declare_problem_responses
from entrypoints.http.orders import OrderController
from entrypoints.http.payments import OrderPaymentsController, PaymentController
from entrypoints.http.problems import exception_handlers
from entrypoints.http.rate_limit import rate_limit_middleware
from entrypoints.http.request_scope import setup_request_scope
from entrypoints.http.text_guard import text_guard_middleware
from entrypoints.http.users import UserController
from entrypoints.ioc import create_container, unavailable_dependency
from entrypoints.logs import configure_logging
from entrypoints.order_expiry import order_expiry_lifespan
from entrypoints.settings import Settings
from entrypoints.startup import admin_problem

startup_log = logging.getLogger("storefront.startup")
API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, *overrides: Provider) -> Litestar:
    settings = settings or Settings.load()
    container = create_container(settings, *overrides)

    async def bootstrap_admin() -> None:
        """`serve` has already ensured the admin before starting the server (and refused to
        start when it could not); here it is idempotent, and a failure is one log line."""
        if not settings.admin_email:
            return
        try:
            async with container() as request_container:
                ensure_admin = await request_container.get(EnsureAdmin)
                await ensure_admin(settings.admin_email, settings.admin_password)
        except DomainError as error:
            startup_log.error("ADMIN_EMAIL: no administrator ensured: %s", admin_problem(error))
        except Exception as error:
            if (kind := unavailable_dependency(error)) is None:
                raise
            startup_log.error("ADMIN_EMAIL: no administrator ensured: the %s is unavailable", kind)

    api = DishkaRouter(
        API_PREFIX,
        route_handlers=[
            AuthController,
            UserController,
            CategoryController,
            ProductController,
            OrderController,
            PaymentController,
            OrderPaymentsController,
        ],
    )
    operations = DishkaRouter("/", route_handlers=[HealthController, MockCheckoutController])
    http_metrics = HttpMetrics()
    app = Litestar(
        route_handlers=[api, operations, metrics_controller(http_metrics.publish)],
        exception_handlers=exception_handlers(unavailable_dependency),
        middleware=[text_guard_middleware],
        request_max_body_size=MAX_BODY_BYTES,
        # Every body is judged as it is first read; every money value decoded by one rule.
        request_class=CheckedRequest,
        type_decoders=TYPE_DECODERS,
        plugins=[MoneySchemaPlugin()],
        openapi_config=OpenAPIConfig(
            title="storefront",
            version="1.0.0",
            description="Online-store API: accounts, catalog, orders and payments.",
            openapi_router=docs_router(),
            components=COMPONENTS,
            render_plugins=[swagger_plugin()],
        ),
        on_startup=[bootstrap_admin],
        on_shutdown=[container.close],
        lifespan=[
            order_expiry_lifespan(container, settings.order_expiry_interval_seconds, unavailable_dependency),
            http_metrics.lifespan,
        ],
        debug=False,
        # Logging is configured once per process by entrypoints.logs (JSON in prod), not per app.
        logging_config=None,
    )
    setup_request_scope(container, app)
    declare_problem_responses(app.openapi_schema, API_PREFIX)
    if settings.api_rate_limited:
        app.asgi_handler = rate_limit_middleware(app.asgi_handler, container)
    app.asgi_handler = http_metrics.middleware(app.asgi_handler)
    # Every answer of the credential exchanges, errors and rate limits included: no-store.
    app.asgi_handler = no_store_middleware(
        app.asgi_handler, frozenset({f"{API_PREFIX}/auth/login", f"{API_PREFIX}/auth/refresh"})
    )
    # Outermost, so that even the router's own 404 and 405 carry the request id.
    app.asgi_handler = request_id_middleware(access_log_middleware(app.asgi_handler))
    return app


def app_from_env() -> Litestar:
    """Entry point for ASGI servers: `uvicorn --factory entrypoints.http.app:app_from_env`.

    Runs once in every worker process, so it also sets up that process's logging.
    """
    settings = Settings.load()
    configure_logging(settings)
    app = create_app(settings)
    app.on_startup.append(_freeze_startup_heap)
    return app


def _freeze_startup_heap() -> None:
    """Exempt what start-up built (modules, the app, its pools: most of a worker's heap)
    from garbage collection: every full collection would walk it again, and those pauses
    land on the requests in flight as tail latency. Serving processes only: in one that
    builds many apps (the tests), frozen garbage would never be freed."""
    gc.collect()
    gc.freeze()
