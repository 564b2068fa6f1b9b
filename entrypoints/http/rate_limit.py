"""The overall per-IP limit on the API, before any routing or body parsing."""

from __future__ import annotations

import logging

import msgspec
from dishka import AsyncContainer
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from application.ports import RateLimit, RateLimiter
from domain.errors import DependencyUnavailable, TooManyRequests
from entrypoints.http.schemas import Problem

EXEMPT_PREFIXES = ("/health", "/docs", "/metrics")
log = logging.getLogger("storefront.http")


def rate_limit_middleware(app: ASGIApp, container: AsyncContainer) -> ASGIApp:
    """429 with `Retry-After` past `RATE_LIMIT_API` requests per client IP.

    Health checks, metrics and the API docs are not counted. When the limit store cannot
    be reached the request goes through (fail open): this limit sheds load, it
    guards no secret, and an outage of Redis must not take the catalog down.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["path"].startswith(EXEMPT_PREFIXES):
            await app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else ""
        try:
            limiter = await container.get(RateLimiter)
            await limiter.hit(RateLimit.API_REQUESTS, ip)
        except TooManyRequests as error:
            await _refuse(send, error)
            return
        except DependencyUnavailable:
            log.warning("rate-limit store unavailable; request let through")
        await app(scope, receive, send)

    return middleware


async def _refuse(send: Send, error: TooManyRequests) -> None:
    body = msgspec.json.encode(Problem(title="Too Many Requests", status=429, detail=error.message))
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(max(1, error.retry_after)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
