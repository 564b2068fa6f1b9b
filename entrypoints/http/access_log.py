"""One log line per request: id, method, route template, status, duration, user.

`entrypoints.http.fast_path.edge` times every request and calls `log_request` as it ends,
when the access logger is enabled at INFO (`ACCESS_LOG=false` or a higher level: no line,
and nothing is noted for one).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.types import HTTPScope, Scope

from entrypoints.logs import ACCESS_LOGGER

UNMATCHED_ROUTE = "<unmatched>"
# Probes and scrapes arrive every few seconds; they are logged only at DEBUG.
_QUIET_ROUTES = frozenset({"/health/live", "/health/ready", "/metrics"})

access_log = logging.getLogger(ACCESS_LOGGER)


def remember_user(scope: Scope | dict[str, Any], user_id: int) -> None:
    """Record the authenticated user in the request scope, for the access log line."""
    scope.setdefault("state", {})["user_id"] = user_id


def log_request(scope: HTTPScope, route: str, status: int, seconds: float) -> None:
    """The access log line of a request that ended (`route`: its template, or UNMATCHED_ROUTE)."""
    level = logging.DEBUG if route in _QUIET_ROUTES and status < 400 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    state: dict[str, Any] = scope.get("state", {})
    client = scope.get("client")
    access_log.log(
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
            "duration_ms": round(seconds * 1000, 2),
            "user_id": state.get("user_id"),
            "client": client[0] if client else None,
        },
    )
