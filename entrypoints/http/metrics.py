"""Prometheus metrics at `/metrics`: HTTP requests by route template and status, plus the
business counters of `adapters.metrics.prometheus`.

With `PROMETHEUS_MULTIPROC_DIR` set (the `serve` command sets it when WORKERS > 1), every
update of a prometheus_client metric is a locked write to a memory-mapped file, and the
`/metrics` handler aggregates the files of every worker, so one scrape sees the whole
instance.

Requests are not written to these metrics one by one: `entrypoints.http.fast_path.HttpMetrics`
tallies them in process and publishes in bulk (before every scrape this process answers,
once a second, and at shutdown). A scrape can therefore see another worker's last second a
second late — far inside any scrape interval — and never loses a count.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from litestar import Controller, Response, get
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
