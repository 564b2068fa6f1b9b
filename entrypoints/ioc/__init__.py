"""The composition root: which adapter serves which port, and for how long.

Providers by layer: `UseCases` (the application), the outbound adapters (`SystemAdapters`,
`DatabaseAdapters`, `ReadModelAdapters`, `SecurityAdapters`, `RedisAdapters`,
`PaymentGatewayAdapters`), `HttpRequestScope` for what only the HTTP app supplies, and the job
worker's own (`worker_providers`) only in a process that runs a job worker.
"""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from dishka.integrations.litestar import LitestarProvider

from adapters.outages import unavailable_dependency
from entrypoints.ioc.database import DatabaseAdapters
from entrypoints.ioc.http import HttpRequestScope
from entrypoints.ioc.payment_gateways import PaymentGatewayAdapters
from entrypoints.ioc.read_models import ReadModelAdapters
from entrypoints.ioc.redis import RedisAdapters
from entrypoints.ioc.security import SecurityAdapters
from entrypoints.ioc.system import SystemAdapters
from entrypoints.ioc.use_cases import UseCases
from entrypoints.settings import Settings

__all__ = [
    "app_providers",
    "create_cli_container",
    "create_container",
    "unavailable_dependency",
    "worker_providers",
]


def app_providers() -> list[Provider]:
    """Every binding the HTTP app and the command line share."""
    return [
        SystemAdapters(),
        DatabaseAdapters(),
        ReadModelAdapters(),
        SecurityAdapters(),
        RedisAdapters(),
        PaymentGatewayAdapters(),
        UseCases(),
    ]


def worker_providers() -> list[Provider]:
    """The job worker's bindings (taskiq, the outbox's settings, the job use cases), imported
    here: a process without a job worker never loads the job library."""
    from entrypoints.ioc.jobs import JobAdapters

    return [JobAdapters()]


def create_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The container for the HTTP app, with the job worker's bindings while `RUN_WORKER` is
    true; `overrides` replace bindings (tests use this)."""
    jobs = worker_providers() if settings.run_worker else []
    return make_async_container(
        *app_providers(),
        *jobs,
        HttpRequestScope(),
        LitestarProvider(),
        *overrides,
        context={Settings: settings},
    )


def create_cli_container(settings: Settings, *overrides: Provider, worker: bool = False) -> AsyncContainer:
    """The container of a command; `worker=True` for `storefront worker` (the job bindings)."""
    jobs = worker_providers() if worker else []
    return make_async_container(*app_providers(), *jobs, *overrides, context={Settings: settings})
