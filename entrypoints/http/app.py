"""The Litestar application factory."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from dishka import AsyncContainer, Provider
from dishka.integrations.litestar import DishkaRouter
from litestar import Controller, Litestar
from litestar.openapi import OpenAPIConfig

from application.auth.bootstrap_admin import EnsureAdmin
from application.jobs.run_jobs import JobBacklog, ReadJobBacklog
from application.ports import Installation
from domain.errors import DomainError
from entrypoints.http.auth import AuthController, no_store_middleware
from entrypoints.http.bodies import CheckedRequest
from entrypoints.http.catalog import CategoryController, ProductController
from entrypoints.http.docs import docs_router, swagger_plugin
from entrypoints.http.fast_path import (
    HttpMetrics,
    catalog_reads,
    edge,
    freeze_start_up,
    lazy_request_scope,
    payment_starts,
    place_order,
    refund_requests,
    requests_unwound,
    share_container,
    webhooks,
    wrap_router,
)
from entrypoints.http.health import HealthController
from entrypoints.http.metrics import metrics_controller
from entrypoints.http.mock_checkout import MockCheckoutController
from entrypoints.http.money import TYPE_DECODERS, MoneySchemaPlugin
from entrypoints.http.openapi import COMPONENTS, declare_problem_responses
from entrypoints.http.orders import OrderController
from entrypoints.http.payments import OrderPaymentsController, PaymentController
from entrypoints.http.problems import exception_handlers
from entrypoints.http.rate_limit import rate_limit_middleware
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

    async def read_installation() -> None:
        """The installation id every provider reference carries, read once (the container keeps
        it); a database that does not answer yet is read again on first use."""
        try:
            await container.get(Installation)
        except Exception as error:
            if (kind := unavailable_dependency(error)) is None:
                raise
            startup_log.warning("the installation id is not read yet: the %s is unavailable", kind)

    api = DishkaRouter(
        API_PREFIX,
        route_handlers=_own_copies(
            AuthController,
            UserController,
            CategoryController,
            ProductController,
            OrderController,
            PaymentController,
            OrderPaymentsController,
        ),
    )
    # The mock provider's checkout pages exist only while PAYMENT_PROVIDERS enables it.
    pages = (MockCheckoutController,) if "mock" in settings.payment_providers_enabled else ()
    operations = DishkaRouter("/", route_handlers=_own_copies(HealthController, *pages))
    http_metrics = HttpMetrics()

    async def job_backlog() -> JobBacklog:
        async with container() as scope:
            return await (await scope.get(ReadJobBacklog))()

    errors = exception_handlers(unavailable_dependency)
    app = Litestar(
        route_handlers=[api, operations, metrics_controller(http_metrics.publish, job_backlog)],
        exception_handlers=errors,
        middleware=[text_guard_middleware, lazy_request_scope(container)],
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
        on_startup=[read_installation, bootstrap_admin],
        on_shutdown=[requests_unwound(http_metrics), container.close],
        lifespan=[
            order_expiry_lifespan(container, settings.order_expiry_interval_seconds, unavailable_dependency),
            *_job_worker(container, settings),
            http_metrics.lifespan,
        ],
        debug=False,
        # Logging is configured once per process by entrypoints.logs (JSON in prod), not per app.
        logging_config=None,
    )
    share_container(container, app)
    declare_problem_responses(app.openapi_schema, API_PREFIX)
    # Around the router: these see its own 404s and 405s too. The edge is outermost: the
    # arrival clock (a request's hashing-admission second starts as it arrives), the request
    # id that every answer carries, the access log and the HTTP metrics; a disabled limit is
    # not installed at all.
    wrap_router(
        app,
        [
            edge(http_metrics),
            # Every answer of the credential exchanges, errors and rate limits included: no-store.
            partial(
                no_store_middleware,
                paths=frozenset({f"{API_PREFIX}/auth/login", f"{API_PREFIX}/auth/refresh"}),
            ),
            *([partial(rate_limit_middleware, container=container)] if settings.api_rate_limited else []),
            # Innermost: plain catalog reads, order placements, webhook deliveries, refund
            # requests and payment starts answered without the router (fast_path.catalog_reads,
            # .place_order, .webhooks, .refunds, .payment_starts).
            catalog_reads(container, API_PREFIX, errors),
            place_order(container, API_PREFIX, errors, MAX_BODY_BYTES),
            webhooks(container, API_PREFIX, settings.payment_providers_enabled, errors, MAX_BODY_BYTES),
            refund_requests(container, API_PREFIX, errors, MAX_BODY_BYTES),
            payment_starts(container, API_PREFIX, errors, MAX_BODY_BYTES),
        ],
    )
    return app


def _job_worker(container: AsyncContainer, settings: Settings) -> list[Callable[[Any], Any]]:
    """The job worker's lifespan hook while `RUN_WORKER` is true; imported only then, so that an
    API process without a worker never loads the job library (taskiq)."""
    if not settings.run_worker:
        return []
    from entrypoints.jobs import job_worker_lifespan

    return [job_worker_lifespan(container, settings, unavailable_dependency)]


def _own_copies(*controllers: type[Controller]) -> list[type[Controller]]:
    """A subclass of each controller for this app alone.

    dishka's `DishkaRouter` injects by replacing the registered controller class's
    `get_route_handlers` with a wrapper around the previous one. On the shared classes every
    app built in one process would add a layer (each handler injected once per app so far)
    until registration overflows the stack; a throwaway subclass takes the layer instead."""
    return [type(c.__name__, (c,), {"__module__": c.__module__, "__doc__": c.__doc__}) for c in controllers]


def app_from_env() -> Litestar:
    """Entry point for ASGI servers: `uvicorn --factory entrypoints.http.app:app_from_env`.

    Runs once in every worker process, so it also sets up that process's logging, and freezes
    what start-up built out of the garbage collector's walks once the app has started
    (`fast_path.freeze_start_up`).
    """
    skip_httpx_command_line()
    skip_requests()
    settings = Settings.load()
    configure_logging(settings)
    app = create_app(settings)
    app.on_startup.append(freeze_start_up)
    return app


def skip_httpx_command_line() -> None:
    """httpx imports its command line (`httpx._main`: rich, pygments, click) whenever those are
    installed; a served worker never runs it, and it cost ~4 MiB of each worker's memory
    (docs/performance.md, "Read path, this round"). A `None` in `sys.modules` makes that
    import fail, which httpx expects (it then defines a `main` that says what to install)."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def skip_requests() -> None:
    """The Stripe SDK imports `requests` (with urllib3, charset_normalizer and certifi) as it is
    imported, to choose a default blocking HTTP client; the app never makes a blocking call, and
    its gateway gives the SDK its aiohttp client. It cost ~5 MiB of each worker's memory
    (docs/performance.md, "Starting a payment through Stripe"). A `None` in `sys.modules` makes
    that import fail, which the SDK expects (it then falls back to urllib). Nothing else a served
    worker runs imports `requests` (tests/unit/test_lazy_imports.py holds both)."""
    if "requests" not in sys.modules:
        sys.modules["requests"] = None  # type: ignore[assignment]
