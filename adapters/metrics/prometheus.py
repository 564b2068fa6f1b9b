"""Business counters in Prometheus, beside the HTTP metrics of the app.

The counters are module-level (a Prometheus registry refuses a name twice), so every
app built in one process shares them. With `PROMETHEUS_MULTIPROC_DIR` set before the
first import, prometheus_client keeps them in files that `/metrics` aggregates over
all worker processes.
"""

from __future__ import annotations

from prometheus_client import Counter

from application.ports import JobOutcome, Metrics, PaymentOutcome, RateLimitName, WebhookRejection

ORDERS_PLACED = Counter("storefront_orders_placed", "Orders placed")
ORDERS_CANCELLED = Counter("storefront_orders_cancelled", "Orders cancelled by their owner or an admin")
ORDERS_EXPIRED = Counter("storefront_orders_expired", "Pending orders cancelled at their payment deadline")
PAYMENTS_SETTLED = Counter("storefront_payments_settled", "Payments that reached a final status", ["outcome"])
WEBHOOKS_REJECTED = Counter(
    "storefront_webhooks_rejected", "Payment webhooks answered with an error", ["reason"]
)
RATE_LIMITED = Counter("storefront_rate_limited", "Requests refused by a rate limit", ["limit"])

# Attempts made by this process (or, with PROMETHEUS_MULTIPROC_DIR, by the processes of this
# instance): a `storefront worker` process shows its own at WORKER_METRICS_PORT. The backlog's
# gauges are read from the jobs table at each scrape instead (`entrypoints.http.metrics`).
JOBS_FINISHED = Counter(
    "storefront_jobs", "Attempts of background jobs by kind and outcome", ["kind", "outcome"]
)


class PrometheusMetrics(Metrics):
    def order_placed(self) -> None:
        ORDERS_PLACED.inc()

    def order_cancelled(self) -> None:
        ORDERS_CANCELLED.inc()

    def orders_expired(self, count: int) -> None:
        if count > 0:
            ORDERS_EXPIRED.inc(count)

    def payment_settled(self, outcome: PaymentOutcome) -> None:
        PAYMENTS_SETTLED.labels(outcome=outcome).inc()

    def webhook_rejected(self, reason: WebhookRejection) -> None:
        WEBHOOKS_REJECTED.labels(reason=reason).inc()

    def rate_limited(self, limit: RateLimitName) -> None:
        RATE_LIMITED.labels(limit=limit).inc()

    def job_finished(self, kind: str, outcome: JobOutcome) -> None:
        JOBS_FINISHED.labels(kind=kind, outcome=outcome).inc()
