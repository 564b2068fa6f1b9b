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

The outbox's backlog is not a counter of any process: each scrape reads it from the jobs
table (`application.jobs.run_jobs.ReadJobBacklog`), so every API process shows it, also with
`RUN_WORKER=false` and the jobs run by separate `storefront worker` processes:
`storefront_jobs_oldest_due_age_seconds` and `storefront_jobs_unfinished{kind,status}`. When
the database cannot be read the scrape answers without them (and says so at WARNING).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterator
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
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from application.jobs.run_jobs import JobBacklog

log = logging.getLogger("storefront.metrics")

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


def metrics_controller(
    publish: Callable[[], None], job_backlog: Callable[[], Awaitable[JobBacklog]] | None = None
) -> type[Controller]:
    """`GET /metrics`, publishing this process's tally first so that a scrape sees it whole,
    then the outbox's backlog as `job_backlog` reads it from the database."""

    class MetricsController(Controller):
        path = "/metrics"
        include_in_schema = False

        @get()
        async def scrape(self) -> Response[bytes]:
            publish()
            body = generate_latest(_registry())
            if job_backlog is not None:
                body += await _backlog_text(job_backlog)
            return Response(body, status_code=200, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return MetricsController


def _registry() -> Any:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def _backlog_text(read: Callable[[], Awaitable[JobBacklog]]) -> bytes:
    try:
        backlog = await read()
    except Exception as error:  # noqa: BLE001 - the other metrics are still worth answering
        log.warning("job backlog metrics left out: the jobs table cannot be read (%s)", type(error).__name__)
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_BacklogCollector(backlog))
    return generate_latest(registry)


class _BacklogCollector(Collector):
    def __init__(self, backlog: JobBacklog) -> None:
        self._backlog = backlog

    def collect(self) -> Iterator[Any]:
        yield GaugeMetricFamily(
            "storefront_jobs_oldest_due_age_seconds",
            "Seconds the oldest due background job has been waiting (0: none), from the jobs table",
            value=self._backlog.oldest_due_age_seconds,
        )
        unfinished = GaugeMetricFamily(
            "storefront_jobs_unfinished",
            "Background jobs not yet final, by kind and status (due, running), from the jobs table",
            labels=["kind", "status"],
        )
        for (kind, status), count in sorted(self._backlog.unfinished.items()):
            unfinished.add_metric([kind, status], count)
        yield unfinished
