"""What the app does off the libraries' public paths, each piece for a measured reason.

Everything here either buys back CPU that `uv run python -m bench.cpu` and the benchmark
measured (docs/performance.md, "Per-request framework work": µs of CPU per get-product
request 180 → 110 for the round that introduced them) or works around a missing public
hook; each module's docstring gives its measurement or its reason, and names the library
internals it leans on. Those libraries are pinned to the versions checked in
pyproject.toml, and tests/unit/test_library_internals.py fails when the internals change.

- `http_metrics`: HTTP metrics tallied in process, published in bulk (~20 % of a catalog
  read's CPU; prometheus_client's histogram internals).
- `request_scope`: dishka's request scope entered on the first request-scoped dependency
  (~7 %; dishka's Litestar injection calls only `get` on `request.state.dishka_container`).
- `catalog_answer`: catalog GETs answered by a bare ASGI app with prebuilt headers
  (~5 %; Litestar passes a returned ASGI app through untouched).
- `catalog_reads`: plain GETs of a product, the product list and the category list
  answered in front of Litestar's router (get product 247 → 152 µs of CPU in process).
- `place_order`, `webhooks`, `refunds`, `payment_starts`: plain order placements, webhook
  deliveries, refund requests and payment starts answered in front of Litestar's router by the
  same providers and use cases (tracked orders 1 364 → 1 109 µs of CPU in process;
  docs/performance.md, "Writes in front of the router" and "Payment starts in front of the
  router"); anything else is handed to the router with its body.
- `common`: what those layers share (which requests are plain, reading and handing on a body,
  answering an error with the app's own exception handlers).
- `edge`: the arrival clock, request id and security headers, access log and HTTP metrics
  in one layer around the router (as four middlewares: 20–50 µs of a request's CPU).
- `request_ids`: request ids from the fast PRNG instead of `uuid4()` (~3 %; no internals).
- `around_router`: the one place that wraps Litestar's router, for the middleware that
  must see requests no route matches (no public hook; Litestar's `asgi_handler`).

- `collector`: what start-up built frozen out of the garbage collector's full collections, in
  served workers (each full collection had stopped a worker for 130–170 ms: most of the write
  path's p99).

Kept out after measuring: raised collector thresholds (no measurable change in rate);
Litestar's public `ASGIResponse` in place of `CatalogAnswer` (~15 µs more per answer).
"""

from entrypoints.http.fast_path.around_router import wrap_router
from entrypoints.http.fast_path.catalog_answer import CatalogAnswer
from entrypoints.http.fast_path.catalog_reads import catalog_reads
from entrypoints.http.fast_path.collector import freeze_start_up
from entrypoints.http.fast_path.edge import edge, requests_unwound
from entrypoints.http.fast_path.http_metrics import HttpMetrics
from entrypoints.http.fast_path.payment_starts import payment_starts
from entrypoints.http.fast_path.place_order import place_order
from entrypoints.http.fast_path.refunds import refund_requests
from entrypoints.http.fast_path.request_ids import new_request_id
from entrypoints.http.fast_path.request_scope import lazy_request_scope, share_container
from entrypoints.http.fast_path.webhooks import webhooks

__all__ = [
    "CatalogAnswer",
    "HttpMetrics",
    "catalog_reads",
    "edge",
    "freeze_start_up",
    "lazy_request_scope",
    "new_request_id",
    "payment_starts",
    "place_order",
    "refund_requests",
    "requests_unwound",
    "share_container",
    "webhooks",
    "wrap_router",
]
