"""Prometheus metrics at `/metrics`: HTTP requests by route template and status, plus the
business counters of `adapters.metrics.prometheus`.

With `PROMETHEUS_MULTIPROC_DIR` set (the `serve` command sets it when WORKERS > 1), every
update of a prometheus_client metric is a locked write to a memory-mapped file, and the
`/metrics` handler aggregates the files of every worker, so one scrape sees the whole
instance.

Those writes cost a fifth of a catalog read's CPU when made on every request (five per
request: in-progress up and down, the count, the latency sum and its bucket). So requests
are tallied in plain dictionaries here and published to prometheus_client in bulk: before
every scrape this process answers, once a second by a background task, and at shutdown.
A scrape can therefore see another worker's last second a second late — far inside any
scrape interval — and never loses a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from bisect import bisect_left
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from litestar import Controller, Litestar, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

APP_NAME = "storefront"
PREFIX = "storefront_http"
UNMATCHED_ROUTE = "<unmatched>"
# Seconds; most requests end well under 100 ms, bcrypt-bound logins around 250 ms.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PUBLISH_INTERVAL_SECONDS = 1.0
_LABELS = ("method", "path", "status_code", "app_name")

REQUESTS = Counter(f"{PREFIX}_requests_total", "Total requests", _LABELS)
ERRORS = Counter(f"{PREFIX}_requests_error_total", "Total requests answered with a 5xx status", _LABELS)
DURATION = Histogram(
    f"{PREFIX}_request_duration_seconds", "Request duration, in seconds", _LABELS, buckets=LATENCY_BUCKETS
)
IN_PROGRESS = Gauge(
    f"{PREFIX}_requests_in_progress",
    "Requests being served, as of each worker's last publication",
    ("app_name",),
    multiprocess_mode="livesum",
)

_RouteKey = tuple[str, str, int]  # method, route template, status


class _Tally:
    """What one route and status saw since the last publication."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        # One slot per bucket bound plus +Inf; not cumulative, as prometheus_client stores them.
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)


class HttpMetrics:
    """The per-process tally of HTTP requests and its publication to prometheus_client."""

    def __init__(self) -> None:
        self._tallies: dict[_RouteKey, _Tally] = {}
        self._in_flight = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = _Tally()
        tally.count += 1
        tally.total += seconds
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def publish(self) -> None:
        """Move the tally into prometheus_client (and, in multi-process mode, its files)."""
        tallies, self._tallies = self._tallies, {}
        for (method, route, status), tally in tallies.items():
            labels = (method, route, str(status), APP_NAME)
            REQUESTS.labels(*labels).inc(tally.count)
            if status >= 500:
                ERRORS.labels(*labels).inc(tally.count)
            _observe_many(DURATION.labels(*labels), tally.total, tally.buckets)
        IN_PROGRESS.labels(APP_NAME).set(self._in_flight)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Counts every HTTP request but scrapes of `/metrics`, by route template (bounded labels)."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"].startswith("/metrics"):
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500
            method: str = scope["method"]

            async def send_and_note_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            self._in_flight += 1
            try:
                await app(scope, receive, send_and_note_status)
            finally:
                self._in_flight -= 1
                route = str(scope.get("path_template") or UNMATCHED_ROUTE)
                self.observe(method, route, status, time.perf_counter() - started)

        return middleware

    def lifespan(self, _: Litestar) -> AbstractAsyncContextManager[None]:
        """Publishes every second (requests only tally) and once more at shutdown."""
        return _publishing(self)


def _observe_many(histogram: Histogram, total: float, buckets: list[int]) -> None:
    """Add many observations at once: what `observe` does one by one, bucket by bucket.

    prometheus_client has no bulk observe; this writes the same two kinds of values
    (`_sum`, and each non-cumulative `_buckets` slot) that `observe` writes.
    tests/unit/test_http_metrics.py checks it against `observe` itself.
    """
    histogram._sum.inc(total)
    for slot, count in enumerate(buckets):
        if count:
            histogram._buckets[slot].inc(count)


@asynccontextmanager
async def _publishing(metrics: HttpMetrics) -> AsyncIterator[None]:
    async def every_second() -> None:
        while True:
            await asyncio.sleep(PUBLISH_INTERVAL_SECONDS)
            metrics.publish()

    task = asyncio.create_task(every_second(), name="http-metrics")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        metrics.publish()


def metrics_controller(publish: Callable[[], None]) -> type[Controller]:
    """`GET /metrics`, publishing this process's tally first so that a scrape sees it whole."""

    class MetricsController(Controller):
        path = "/metrics"
        include_in_schema = False

        @get()
        async def scrape(self) -> Response[bytes]:
            publish()
            return Response(
                generate_latest(_registry()), status_code=200, headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

    return MetricsController


def _registry() -> Any:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
