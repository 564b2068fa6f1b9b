"""One log line per request: id, method, route template, status, duration, user."""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.logs import ACCESS_LOGGER

UNMATCHED_ROUTE = "<unmatched>"
# Probes and scrapes arrive every few seconds; they are logged only at DEBUG.
_QUIET_ROUTES = frozenset({"/health/live", "/health/ready", "/metrics"})


def remember_user(scope: Scope | dict[str, Any], user_id: int) -> None:
    """Record the authenticated user in the request scope, for the access log line."""
    scope.setdefault("state", {})["user_id"] = user_id


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    log = logging.getLogger(ACCESS_LOGGER)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not log.isEnabledFor(logging.INFO):
            # No line goes above INFO: with INFO off (or ACCESS_LOG=false) there is nothing to time or note.
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note_status)
        finally:
            route = str(scope.get("path_template") or UNMATCHED_ROUTE)
            state: dict[str, Any] = scope.get("state", {})
            level = logging.DEBUG if route in _QUIET_ROUTES and status < 400 else logging.INFO
            if log.isEnabledFor(level):
                client = scope.get("client")
                log.log(
                    level,
                    "%s %s %s",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "request_id": state.get("request_id"),
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "user_id": state.get("user_id"),
                        "client": client[0] if client else None,
                    },
                )

    return middleware
