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

A request still running when the server's graceful shutdown ends (`SHUTDOWN_TIMEOUT_SECONDS`)
is cancelled by uvicorn, which then answered it with a plain-text 500 and logged a traceback.
Its transaction has rolled back as the cancellation unwound it, so nothing of it was written:
it is answered here instead, before uvicorn can, with a problem+json 503 and `Retry-After`, so
that the client retries it on another instance (`SHUTTING_DOWN`); the app's shutdown waits for
such requests to unwind before it closes the pools (`requests_unwound`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from entrypoints.http.access_log import UNMATCHED_ROUTE, access_log, log_request
from entrypoints.http.fast_path.http_metrics import HttpMetrics
from entrypoints.http.fast_path.request_ids import new_request_id
from entrypoints.http.middleware import answer_headers, callers_request_id, request_id_header
from entrypoints.http.problems import PROBLEM_JSON
from entrypoints.http.schemas import Problem
from entrypoints.ioc.security import arrival_ended, arrival_started

CLIENT_CLOSED_REQUEST = 499
"""The status counted and logged for a request whose client left before its answer (nginx's)."""

_SHUTTING_DOWN_BODY = msgspec.json.encode(
    Problem(
        title="Service Unavailable",
        status=503,
        detail=(
            "the server is shutting down and did not finish this request: nothing of it was kept; retry it"
        ),
    )
)
SHUTTING_DOWN: tuple[Message, Message] = (
    {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(_SHUTTING_DOWN_BODY)).encode()),
            (b"retry-after", b"1"),
        ],
    },
    {"type": "http.response.body", "body": _SHUTTING_DOWN_BODY, "more_body": False},
)
"""The answer to a request cancelled by the end of the server's graceful shutdown."""


UNWIND_SECONDS = 2.0
"""How long the app's shutdown waits for cancelled requests to unwind and answer (`requests_unwound`)."""


def requests_unwound(metrics: HttpMetrics) -> Callable[[], Awaitable[None]]:
    """A shutdown hook, run before the pools close: wait (up to UNWIND_SECONDS) until every request
    the edge counts has ended.

    uvicorn cancels the requests still running when its graceful shutdown runs out and goes
    straight on to the app's shutdown, without waiting for them. A cancelled request still rolls
    back its transaction and is answered `SHUTTING_DOWN` as it unwinds; without this wait the
    process could exit first, and the client saw its connection dropped instead.
    """

    async def wait() -> None:
        deadline = time.monotonic() + UNWIND_SECONDS
        # Polled once at shutdown: an Event would cost every request a check as it ends.
        while metrics.in_flight > 0 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    return wait


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
            except asyncio.CancelledError:
                if answered or left:
                    raise
                # The server's graceful shutdown ran out (see the module): answered, and ended here.
                for message in SHUTTING_DOWN:
                    await edge_send(dict(message))  # type: ignore[arg-type]
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
