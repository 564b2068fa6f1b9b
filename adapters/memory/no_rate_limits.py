"""The rate limiter while every limit is off (`RATE_LIMIT_LOGIN`, `_REGISTER`, `_API` all 0).

With every limit off there is nothing to count, and the `limits` library (about 3 MiB per
process) need not be loaded at all (docs/performance.md, "Read path, this round")."""

from __future__ import annotations

from application.ports import RateLimit, RateLimiter


class NoRateLimits(RateLimiter):
    """Counts nothing and refuses nothing."""

    async def hit(self, limit: RateLimit, key: str) -> None:
        return None

    async def count(self, limit: RateLimit, key: str) -> None:
        return None

    async def ensure_open(self, limit: RateLimit, key: str) -> None:
        return None

    async def give_back(self, limit: RateLimit, key: str) -> None:
        return None
