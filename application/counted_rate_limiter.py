"""Refusals of any rate limiter, counted for the operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from application.ports import Metrics, RateLimit, RateLimiter
from domain.errors import TooManyRequests


class CountedRateLimiter(RateLimiter):
    """A rate limiter that reports every refusal to `Metrics` (decorates any RateLimiter)."""

    def __init__(self, inner: RateLimiter, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def hit(self, limit: RateLimit, key: str) -> None:
        await self._counted(self._inner.hit, limit, key)

    async def count(self, limit: RateLimit, key: str) -> None:
        await self._inner.count(limit, key)

    async def ensure_open(self, limit: RateLimit, key: str) -> None:
        await self._counted(self._inner.ensure_open, limit, key)

    async def _counted(
        self, check: Callable[[RateLimit, str], Awaitable[None]], limit: RateLimit, key: str
    ) -> None:
        try:
            await check(limit, key)
        except TooManyRequests:
            self._metrics.rate_limited(limit.value)
            raise

    async def give_back(self, limit: RateLimit, key: str) -> None:
        await self._inner.give_back(limit, key)
