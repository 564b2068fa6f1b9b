"""Sessions and rate limits: in Redis when `REDIS_URL` is set, else in process memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from dishka import Provider, Scope, provide

from adapters.memory.no_rate_limits import NoRateLimits
from adapters.memory.sessions import MemorySessionStore
from adapters.redis.client import RedisLink
from adapters.redis.sessions import RedisSessionStore
from application.counted_rate_limiter import CountedRateLimiter
from application.ports import Clock, Metrics, RateLimit, RateLimiter, SessionStore
from entrypoints.settings import Settings


class RedisAdapters(Provider):
    scope = Scope.APP

    @provide
    async def redis_link(self, settings: Settings) -> AsyncIterator[RedisLink]:
        link = RedisLink(settings.redis_url)
        yield link
        await link.close()

    @provide
    def session_store(self, settings: Settings, clock: Clock, link: RedisLink) -> SessionStore:
        ttl = timedelta(days=settings.refresh_token_expire_days)
        if link.client is None:
            return MemorySessionStore(clock, ttl)
        return RedisSessionStore(link.client, ttl, settings.redis_key_prefix)

    @provide
    def rate_limiter(self, settings: Settings, link: RedisLink, metrics: Metrics) -> RateLimiter:
        configured = {
            RateLimit.FAILED_LOGINS: settings.rate_limit_login,
            RateLimit.REGISTRATIONS: settings.rate_limit_register,
            RateLimit.API_REQUESTS: settings.rate_limit_api,
        }
        if all(text.strip() == "0" for text in configured.values()):
            # Every limit off: the limits library is not even loaded (memory per worker).
            return CountedRateLimiter(NoRateLimits(), metrics)
        from adapters.rate_limits import LimitsRateLimiter, parse_limits

        limits = parse_limits(configured)
        if link.client is None or link.url is None:
            return CountedRateLimiter(LimitsRateLimiter.in_memory(limits), metrics)
        return CountedRateLimiter(
            LimitsRateLimiter.on_redis(link.client, link.url, limits, settings.redis_key_prefix), metrics
        )
