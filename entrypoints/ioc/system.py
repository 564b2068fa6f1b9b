"""Process-wide basics: the settings, the clock, the business metrics, the readiness probe."""

from __future__ import annotations

from dishka import Provider, Scope, from_context, provide

from adapters.clock import SystemUtcClock
from adapters.metrics.prometheus import PrometheusMetrics
from adapters.readiness import ServiceReadiness
from adapters.redis.client import RedisLink
from adapters.sql.database import Database
from application.ports import Clock, Metrics, Readiness
from entrypoints.settings import Settings


class SystemAdapters(Provider):
    scope = Scope.APP

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide
    def clock(self) -> Clock:
        return SystemUtcClock()

    @provide
    def metrics(self) -> Metrics:
        return PrometheusMetrics()

    @provide
    def readiness(self, db: Database, redis: RedisLink) -> Readiness:
        return ServiceReadiness(db, redis)
