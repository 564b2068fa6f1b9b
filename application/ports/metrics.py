"""The business events operators watch, counted through a port.

Use cases report an event after its transaction has committed (a rolled-back or
replayed request counts nothing); the adapter decides where the count goes
(Prometheus in the app, a plain in-memory tally in tests).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Literal, Protocol

PaymentOutcome = Literal["succeeded", "failed", "canceled"]
WebhookRejection = Literal["signature", "unknown_payment", "amount_mismatch", "invalid"]
RateLimitName = Literal["login", "register", "api"]
JobOutcome = Literal["succeeded", "retried", "dead"]


class Metrics(Protocol):
    @abstractmethod
    def order_placed(self) -> None: ...

    @abstractmethod
    def order_cancelled(self) -> None:
        """Cancelled by its owner or an admin (expiry is counted by `orders_expired`)."""

    @abstractmethod
    def orders_expired(self, count: int) -> None:
        """Pending orders the app cancelled itself after the payment deadline."""

    @abstractmethod
    def payment_settled(self, outcome: PaymentOutcome) -> None:
        """A webhook moved a payment into a final status (repeats count nothing)."""

    @abstractmethod
    def webhook_rejected(self, reason: WebhookRejection) -> None:
        """A webhook answered with an error: bad signature, unknown payment, amount mismatch…"""

    @abstractmethod
    def rate_limited(self, limit: RateLimitName) -> None:
        """A request refused with 429 by one of the RATE_LIMIT_* limits."""

    @abstractmethod
    def job_finished(self, kind: str, outcome: JobOutcome) -> None:
        """An attempt of a background job ended: done, to be retried, or given up (dead)."""


class NoMetrics(Metrics):
    """Counts nothing: the default for code paths nobody watches (CLI, scripts)."""

    def order_placed(self) -> None:
        pass

    def order_cancelled(self) -> None:
        pass

    def orders_expired(self, count: int) -> None:
        pass

    def payment_settled(self, outcome: PaymentOutcome) -> None:
        pass

    def webhook_rejected(self, reason: WebhookRejection) -> None:
        pass

    def rate_limited(self, limit: RateLimitName) -> None:
        pass

    def job_finished(self, kind: str, outcome: JobOutcome) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
