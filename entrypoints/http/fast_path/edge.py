"""The work every request gets around Litestar's router, in one ASGI layer.

Four concerns wrap the router (`around_router` says why there): the hashing-admission
clock (`request_arrived`), the request id and security headers
(`entrypoints.http.middleware`), the access log (`entrypoints.http.access_log`) and the
HTTP metrics (`http_metrics`). As four middlewares they cost four coroutine frames, four
`send` wrappers and two clocks per request; here they share one of each, each concern's
rules staying in its own module. Measured (docs/performance.md, "Read path, this
round"): `GET /health/live` in process, medians of three alternating rounds on a loaded
machine, 167 → 114 µs of CPU per request (with the other changes of that round).

The order of effects is the four middlewares' (outermost first): the arrival clock starts,
the request id is fixed and put in `scope["state"]`, and as the answer starts its status is
noted and its headers get the request id and `NOSNIFF` (and the framing ban on HTML);
when the request ends, the metrics count it (scrapes of `/metrics` aside) and the access
log writes its line (only when enabled at INFO or below).

A client that leaves before its answer starts (the server passes `http.disconnect` while the
body is read) is counted and logged with status 499, nginx's "client closed request": what the
app answered then (Litestar's 500 for a body cut short) reached nobody, and is no server fault.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from entrypoints.http.access_log import UNMATCHED_ROUTE, access_log, log_request
from entrypoints.http.fast_path.http_metrics import HttpMetrics
from entrypoints.http.fast_path.request_ids import new_request_id
from entrypoints.http.middleware import answer_headers, callers_request_id, request_id_header
from entrypoints.ioc.security import arrival_ended, arrival_started

CLIENT_CLOSED_REQUEST = 499
"""The status counted and logged for a request whose client left before its answer (nginx's)."""


def edge(metrics: HttpMetrics) -> Callable[[ASGIApp], ASGIApp]:
    """The layer for `wrap_router`: outermost, so that it sees every answer."""

    def layer(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            arrival = arrival_started()
            request_id = callers_request_id(scope) or new_request_id()
            state = scope.get("state")
            if state is None:
                state = scope["state"] = {}
            state["request_id"] = request_id
            id_header = request_id_header(request_id)
            status = 500
            answered = left = False

            async def edge_receive() -> ReceiveMessage:
                nonlocal left
                message = await receive()
                if message["type"] == "http.disconnect" and not answered:
                    left = True
                return message

            async def edge_send(message: Message) -> None:
                nonlocal status, answered
                if message["type"] == "http.response.start":
                    status = CLIENT_CLOSED_REQUEST if left else message["status"]
                    answered = True
                    message["headers"] = answer_headers(message.get("headers", ()), id_header)
                await send(message)

            counted = not scope["path"].startswith("/metrics")
            if counted:
                metrics.in_flight += 1
            try:
                await app(scope, edge_receive, edge_send)
            finally:
                if left:
                    status = CLIENT_CLOSED_REQUEST
                arrival_ended(arrival)
                seconds = time.perf_counter() - started
                route = str(scope.get("path_template") or UNMATCHED_ROUTE)
                if counted:
                    metrics.in_flight -= 1
                    metrics.observe(scope["method"], route, status, seconds)
                if access_log.isEnabledFor(logging.INFO):  # no line goes above INFO
                    log_request(scope, route, status, seconds)

        return middleware

    return layer
