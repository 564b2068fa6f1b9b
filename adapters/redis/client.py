"""One Redis connection pool per process, shared by the session store and the rate limiter."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

TIMEOUT_SECONDS = 2.0


class RedisLink:
    """The process's Redis client, or none when `REDIS_URL` is unset (embedded mode)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.client: Redis | None = (
            Redis.from_url(
                url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
                health_check_interval=30,
            )
            if url
            else None
        )

    async def state(self) -> str | None:
        """`ok` or `unavailable`; None when no Redis is configured."""
        if self.client is None:
            return None
        try:
            await asyncio.wait_for(self.client.ping(), TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - whatever the failure, the answer is "not ready"
            return "unavailable"
        return "ok"

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
