"""Rate limits over the `limits` library: in process memory, or in Redis for every instance.

Registrations use a moving window (exact: "20 within any hour"); the per-IP API
limit uses the cheaper sliding-window counter. Failed logins use a fixed window
that opens at the first attempt (the counter's expiry is set by the increment
that creates it): a login reserves its slot with one atomic increment-and-check
(`INCRBY` in a Lua script on Redis, under a per-key lock in memory) before the
password is checked, and a login that does not fail gives its slot back with a
decrement. A moving window cannot give one entry back through the library.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.aio.strategies import (
    RateLimiter as Strategy,
)
from limits.errors import StorageError
from redis.asyncio import Redis

from application.ports import RateLimit, RateLimiter
from domain.errors import DependencyUnavailable, TooManyRequests

T = TypeVar("T")

_MESSAGES = {
    RateLimit.FAILED_LOGINS: "too many failed logins for this account from this address",
    RateLimit.REGISTRATIONS: "too many registrations from this address",
    RateLimit.API_REQUESTS: "too many requests from this address",
}


def parse_limits(settings: Mapping[RateLimit, str]) -> dict[RateLimit, RateLimitItem | None]:
    """`"5/minute"` → a limit; `"0"` → off."""
    return {name: None if text.strip() == "0" else parse(text) for name, text in settings.items()}


class LimitsRateLimiter(RateLimiter):
    def __init__(self, storage: Storage, limits: Mapping[RateLimit, RateLimitItem | None]) -> None:
        self._storage = storage
        self._limits = dict(limits)
        self._strategies: dict[RateLimit, Strategy] = {
            RateLimit.FAILED_LOGINS: FixedWindowRateLimiter(storage),
            RateLimit.REGISTRATIONS: MovingWindowRateLimiter(storage),
            RateLimit.API_REQUESTS: SlidingWindowCounterRateLimiter(storage),
        }

    @classmethod
    def in_memory(cls, limits: Mapping[RateLimit, RateLimitItem | None]) -> LimitsRateLimiter:
        return cls(MemoryStorage(), limits)

    @classmethod
    def on_redis(
        cls,
        client: Redis,
        url: str,
        limits: Mapping[RateLimit, RateLimitItem | None],
        prefix: str = "storefront:",
    ) -> LimitsRateLimiter:
        """Counts in Redis through the client's own connection pool, under `<prefix>limits:`."""
        storage = RedisStorage(
            f"async+{url}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=f"{prefix}limits",
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
        return cls(storage, limits)

    async def hit(self, limit: RateLimit, key: str) -> None:
        await self._check(limit, key, take=True)

    async def count(self, limit: RateLimit, key: str) -> None:
        item = self._limits.get(limit)
        if item is not None:
            strategy = self._strategies[limit]
            await _reach(lambda: strategy.hit(item, limit.value, key))

    async def ensure_open(self, limit: RateLimit, key: str) -> None:
        await self._check(limit, key, take=False)

    async def _check(self, limit: RateLimit, key: str, *, take: bool) -> None:
        """Refuse when `limit` is spent for `key`; `take`: count this request too."""
        item = self._limits.get(limit)
        if item is None:
            return
        strategy = self._strategies[limit]
        check = strategy.hit if take else strategy.test
        if not await _reach(lambda: check(item, limit.value, key)):
            await self._refuse(limit, item, key)

    async def give_back(self, limit: RateLimit, key: str) -> None:
        item = self._limits.get(limit)
        if item is None:
            return
        if not isinstance(self._strategies[limit], FixedWindowRateLimiter):
            raise ValueError(f"the {limit.value} limit cannot give a hit back")
        counter = item.key_for(limit.value, key)
        left = await _reach(lambda: self._storage.incr(counter, item.get_expiry(), amount=-1))
        if left < 0:  # the window had passed meanwhile: do not start the next one in credit
            await _reach(lambda: self._storage.incr(counter, item.get_expiry(), amount=1))

    async def _refuse(self, limit: RateLimit, item: RateLimitItem, key: str) -> None:
        strategy = self._strategies[limit]
        stats = await _reach(lambda: strategy.get_window_stats(item, limit.value, key))
        wait = math.ceil(stats.reset_time - time.time())
        raise TooManyRequests(_MESSAGES[limit], retry_after=min(max(1, wait), item.get_expiry()))

    async def ping(self) -> bool:
        return bool(await _reach(self._storage.check))


async def _reach(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except StorageError as error:
        raise DependencyUnavailable("the rate-limit store is unavailable, retry shortly") from error
