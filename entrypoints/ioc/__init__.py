"""The composition root: which adapter serves which port, and for how long.

Providers by layer: `UseCases` (the application), the outbound adapters (`SystemAdapters`,
`DatabaseAdapters`, `ReadModelAdapters`, `SecurityAdapters`, `RedisAdapters`,
`PaymentGatewayAdapters`), and `HttpRequestScope` for what only the HTTP app supplies.
"""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from dishka.integrations.litestar import LitestarProvider

from adapters.outages import unavailable_dependency
from entrypoints.ioc.database import DatabaseAdapters
from entrypoints.ioc.http import HttpRequestScope
from entrypoints.ioc.jobs import JobAdapters
from entrypoints.ioc.payment_gateways import PaymentGatewayAdapters
from entrypoints.ioc.read_models import ReadModelAdapters
from entrypoints.ioc.redis import RedisAdapters
from entrypoints.ioc.security import SecurityAdapters
from entrypoints.ioc.system import SystemAdapters
from entrypoints.ioc.use_cases import UseCases
from entrypoints.settings import Settings

__all__ = ["app_providers", "create_cli_container", "create_container", "unavailable_dependency"]


def app_providers() -> list[Provider]:
    """Every binding the HTTP app and the command line share."""
    return [
        SystemAdapters(),
        DatabaseAdapters(),
        ReadModelAdapters(),
        SecurityAdapters(),
        RedisAdapters(),
        PaymentGatewayAdapters(),
        JobAdapters(),
        UseCases(),
    ]


def create_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """The container for the HTTP app; `overrides` replace bindings (tests use this)."""
    return make_async_container(
        *app_providers(), HttpRequestScope(), LitestarProvider(), *overrides, context={Settings: settings}
    )


def create_cli_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    return make_async_container(*app_providers(), *overrides, context={Settings: settings})
