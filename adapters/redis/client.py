"""One Redis connection pool per process, shared by the session store and the rate limiter."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

TIMEOUT_SECONDS = 2.0
# Connections open at once. A request past it waits (up to TIMEOUT_SECONDS) for one to be
# returned instead of failing at once: a burst of a hundred logins is not an outage.
MAX_CONNECTIONS = 100


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a REDIS_URL (scheme, port, database number), or None."""
    try:
        parse_url(url)
    except ValueError as error:
        return f"is not a valid Redis URL: {error}"
    parts = urlsplit(url)
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        return f"is not a valid Redis URL: the database must be a number, not {database!r}"
    return None


def once_more_on_a_broken_connection() -> Retry:
    """A command whose connection turns out broken (closed by the server or by a proxy after an
    idle timeout, `CLIENT KILL`, a restart) is sent once more on a new connection, at once; so is
    the health check's `PING`. A timeout is not retried: the command may still be running.

    Without it, a pooled connection that Redis had closed while idle failed the next request
    that took it with a 503. Every command the app sends may run twice: reads, the session
    scripts (each gives the same answer when repeated, `adapters/redis/sessions.py`) and the
    rate limiter's counters (a repeat counts one request twice: the limit errs strict)."""
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


class RedisLink:
    """The process's Redis client, or none when `REDIS_URL` is unset (embedded mode)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.client: Redis | None = (
            Redis(
                connection_pool=BlockingConnectionPool.from_url(
                    url,
                    max_connections=MAX_CONNECTIONS,
                    timeout=TIMEOUT_SECONDS,
                    socket_timeout=TIMEOUT_SECONDS,
                    socket_connect_timeout=TIMEOUT_SECONDS,
                    health_check_interval=30,
                    retry=once_more_on_a_broken_connection(),
                )
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
