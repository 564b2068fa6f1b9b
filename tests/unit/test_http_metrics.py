"""The HTTP metrics' bulk publication writes what prometheus_client's own `observe` would."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from entrypoints.http.fast_path.http_metrics import HttpMetrics, observe_many
from entrypoints.http.metrics import DURATION, LATENCY_BUCKETS, REQUESTS

durations = st.lists(
    st.one_of(st.sampled_from(LATENCY_BUCKETS), st.floats(min_value=0, max_value=30, allow_nan=False)),
    max_size=60,
)


@given(durations)
def test_bulk_publication_equals_observing_one_by_one(seconds: list[float]) -> None:
    one_by_one, in_bulk = CollectorRegistry(), CollectorRegistry()
    reference = Histogram("latency", "l", buckets=LATENCY_BUCKETS, registry=one_by_one)
    bulk = Histogram("latency", "l", buckets=LATENCY_BUCKETS, registry=in_bulk)
    tally = HttpMetrics()
    for value in seconds:
        reference.observe(value)
        tally.observe("GET", "/x", 200, value)

    for recorded in tally._tallies.values():
        observe_many(bulk, recorded.total, recorded.buckets)

    assert _samples(in_bulk) == pytest.approx(_samples(one_by_one))


def _samples(registry: CollectorRegistry) -> dict[str, float]:
    lines = generate_latest(registry).decode().splitlines()
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in lines if not line.startswith("#"))
        if "_created" not in name
    }


def test_requests_reach_prometheus_only_when_published() -> None:
    metrics = HttpMetrics()
    labels = ("POST", "/unit-test/{id}", "201", "storefront")
    before = REQUESTS.labels(*labels)._value.get()
    sum_before = DURATION.labels(*labels)._sum.get()
    metrics.observe("POST", "/unit-test/{id}", 201, 0.003)
    metrics.observe("POST", "/unit-test/{id}", 201, 0.2)

    assert REQUESTS.labels(*labels)._value.get() == before
    metrics.publish()
    assert REQUESTS.labels(*labels)._value.get() == before + 2
    assert DURATION.labels(*labels)._sum.get() - sum_before == pytest.approx(0.203)
    metrics.publish()  # nothing new: publishing again adds nothing
    assert REQUESTS.labels(*labels)._value.get() == before + 2
