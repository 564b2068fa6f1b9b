"""Prometheus metrics at `/metrics`: HTTP requests by route template and status, plus the
business counters of `adapters.metrics.prometheus`.

With `PROMETHEUS_MULTIPROC_DIR` set (the `serve` command sets it when WORKERS > 1), the
controller aggregates the files of every worker, so one scrape sees the whole instance.
"""

from __future__ import annotations

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

# Seconds; most requests end well under 100 ms, bcrypt-bound logins around 250 ms.
LATENCY_BUCKETS: list[str | float] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]

http_metrics = PrometheusConfig(
    app_name="storefront",
    prefix="storefront_http",
    group_path=True,
    buckets=LATENCY_BUCKETS,
    exclude=["^/metrics"],
)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
