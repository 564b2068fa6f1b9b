"""An in-memory tally of business events, for tests and the embedded mode."""

from __future__ import annotations

from collections import Counter

from application.ports import JobOutcome, Metrics, PaymentOutcome, RateLimitName, WebhookRejection


class MemoryMetrics(Metrics):
    """`counts` maps an event name (with its label after a colon) to how often it happened."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def order_placed(self) -> None:
        self.counts["orders_placed"] += 1

    def order_cancelled(self) -> None:
        self.counts["orders_cancelled"] += 1

    def orders_expired(self, count: int) -> None:
        self.counts["orders_expired"] += count

    def payment_settled(self, outcome: PaymentOutcome) -> None:
        self.counts[f"payments_settled:{outcome}"] += 1

    def webhook_rejected(self, reason: WebhookRejection) -> None:
        self.counts[f"webhooks_rejected:{reason}"] += 1

    def rate_limited(self, limit: RateLimitName) -> None:
        self.counts[f"rate_limited:{limit}"] += 1

    def job_finished(self, kind: str, outcome: JobOutcome) -> None:
        self.counts[f"jobs:{kind}:{outcome}"] += 1
