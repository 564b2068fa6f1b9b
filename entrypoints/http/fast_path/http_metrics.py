"""HTTP requests tallied in process, published to prometheus_client in bulk.

Measured (docs/performance.md, "Per-request framework work"): with one prometheus_client
update per event (in progress up and down, the count, the latency sum and its bucket: five
per request), HTTP metrics were ~20 % of a get-product request's CPU: in multi-worker mode
each update is a locked write to a memory-mapped file behind a check of the process id.
Here a request adds to plain dictionaries (`observe`, called by `edge` as it ends);
`publish` moves the tally into the metrics of `entrypoints.http.metrics` before every scrape
this process answers, once a second from a background task (off the request path), and at shutdown.

What it relies on in prometheus_client (pinned in pyproject.toml, held by
tests/unit/test_library_internals.py and tests/unit/test_http_metrics.py): a labelled
histogram keeps its sum in `_sum` and one non-cumulative value per bucket (`+Inf` last) in
`_buckets`, each with `inc(amount)`, in process memory and in multi-process files alike.
prometheus_client has no public bulk `observe`; counters and the gauge use the public API.
"""

from __future__ import annotations

import asyncio
import contextlib
from bisect import bisect_left
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from prometheus_client import Histogram

from entrypoints.http.metrics import (
    APP_NAME,
    DURATION,
    ERRORS,
    IN_PROGRESS,
    LATENCY_BUCKETS,
    REQUESTS,
)

PUBLISH_INTERVAL_SECONDS = 1.0

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
        self.in_flight = 0  # requests begun and not ended (`edge` counts them)

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
            observe_many(DURATION.labels(*labels), tally.total, tally.buckets)
        IN_PROGRESS.labels(APP_NAME).set(self.in_flight)

    def lifespan(self, _: Litestar) -> AbstractAsyncContextManager[None]:
        """Publishes every second (requests only tally) and once more at shutdown."""
        return _publishing(self)


def observe_many(histogram: Histogram, total: float, buckets: list[int]) -> None:
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
