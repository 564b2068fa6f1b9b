"""CPU per request, in process: the API and the floor called as ASGI apps, no server, no load generator.

    uv run python -m bench.cpu                  # seeds storefront_bench_cpu, prints µs per request
    uv run python -m bench.cpu --requests 5000
    uv run python -m bench.cpu --payments --requests 600   # payment starts through Stripe (the double)

Where `uv run just bench` measures the whole machine (server, PostgreSQL and wrk on two cores),
this counts only the Python process's own CPU time (`time.process_time`) per request, one request
after another: the part that framework and application code decide, with the noise of the
machine mostly gone. The API is built as production builds it (`APP_ENV=prod`, multi-process
Prometheus files, Redis sessions when Redis answers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from bench import seed
from bench.run import add_service_arguments, reachable_redis

AsgiApp = Callable[..., Coroutine[Any, Any, None]]
ORDER = json.dumps({"items": [{"product_id": 5, "quantity": 1}, {"product_id": 77, "quantity": 2}]}).encode()
_TRACKED_FIRST = seed.FULL.tracked_ids[0]
# Two tracked-stock products, listed in descending id order (the use case sorts them).
TRACKED_ORDER = json.dumps(
    {
        "items": [
            {"product_id": _TRACKED_FIRST + 9, "quantity": 1},
            {"product_id": _TRACKED_FIRST + 3, "quantity": 1},
        ]
    }
).encode()


async def call(
    app: AsgiApp, method: str, path: str, query: bytes = b"", headers: Any = (), body: bytes = b""
) -> Any:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        # As an HTTP server passes them: a body comes with its length.
        "headers": [
            (b"host", b"bench"),
            *headers,
            *([(b"content-length", b"%d" % len(body))] if body else []),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()  # a client that never disconnects
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def start(app: AsgiApp) -> Callable[[], Awaitable[None]]:
    """Run the app's lifespan start-up; returns what shuts it down."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {started}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await task

    return stop


async def measure(app: AsgiApp, requests: int, method: str, path: str, *args: Any) -> float:
    """µs of this process's CPU per request, after a warm-up; fails on an error status."""
    status, body = await call(app, method, path, *args)
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {body[:200]!r}")
    for _ in range(min(200, requests)):
        await call(app, method, path, *args)
    begun = time.process_time()
    for _ in range(requests):
        await call(app, method, path, *args)
    return (time.process_time() - begun) / requests * 1e6


_DOUBLE = """
import sys, time
from bench.payments import STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
from tests.doubles.stripe import StripeDouble
double = StripeDouble(secret_key=STRIPE_SECRET_KEY, webhook_secret=STRIPE_WEBHOOK_SECRET).start()
print(double.url, flush=True)
sys.stdin.read()
"""


async def start_payments(
    app: AsgiApp, bearer: Any, first: int, last: int, profile: str = ""
) -> tuple[float, float]:
    """µs of this process's CPU and of wall time per `POST /payments/orders/{id}` (Stripe, the
    double answering at once in a process of its own), each order paid once, one after another;
    the first fifth of the orders warm up."""
    headers = [*bearer, (b"content-type", b"application/json")]
    body = json.dumps({"provider": "stripe"}).encode()
    warm = first + (last - first + 1) // 5

    async def pay(order_id: int) -> None:
        status, answer = await call(app, "POST", f"/api/v1/payments/orders/{order_id}", b"", headers, body)
        if status >= 300:
            raise RuntimeError(f"start payment of order {order_id}: {status} {answer[:200]!r}")

    for order_id in range(first, warm):
        await pay(order_id)
    begun, wall = time.process_time(), time.perf_counter()
    if profile:
        import cProfile

        with cProfile.Profile(time.process_time) as profiler:
            for order_id in range(warm, last + 1):
                await pay(order_id)
        profiler.dump_stats(profile)
    else:
        for order_id in range(warm, last + 1):
            await pay(order_id)
    count = last + 1 - warm
    return (time.process_time() - begun) / count * 1e6, (time.perf_counter() - wall) / count * 1e6


async def run(
    env: Mapping[str, str],
    floor_dsn: str,
    requests: int,
    only: str = "",
    profile: str = "",
    to_pay: tuple[int, int] = (0, 0),
) -> list[tuple[str, float, float | None]]:
    from bench import floor_app, payments
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    app: Any = create_app(Settings.from_mapping(env))
    stop_api = await start(app)
    os.environ["FLOOR_DATABASE_URL"] = floor_dsn
    stop_floor = await start(floor_app.app)
    try:
        customer = payments.PAYER if only == "payments" else 1
        login = json.dumps(
            {"email": seed.CUSTOMER_EMAIL.format(customer), "password": seed.CUSTOMER_PASSWORD}
        )
        _, body = await call(
            app, "POST", "/api/v1/auth/login", b"", [(b"content-type", b"application/json")], login.encode()
        )
        bearer = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
        rows: list[tuple[str, float, float | None]] = []
        json_bearer = [*bearer, (b"content-type", b"application/json")]
        orders = max(1, requests // 5)
        if only == "payments":
            cpu, wall = await start_payments(app, bearer, *to_pay, profile)
            return [("start payment (CPU)", cpu, None), ("start payment (wall, 1 at a time)", wall, None)]
        if only == "orders":
            for name, body in (
                ("place order (2 lines)", ORDER),
                ("place order, tracked stock", TRACKED_ORDER),
            ):
                rows.append(
                    (name, await measure(app, orders, "POST", "/api/v1/orders", b"", json_bearer, body), None)
                )
            if profile:
                import cProfile

                with cProfile.Profile(time.process_time) as profiler:
                    await measure(app, orders, "POST", "/api/v1/orders", b"", json_bearer, TRACKED_ORDER)
                profiler.dump_stats(profile)
            return rows
        for name, path, query in (
            ("GET /health/live", "/health/live", b""),
            ("list products (limit 50)", "/api/v1/products", b"limit=50"),
            ("get product", "/api/v1/products/123", b""),
            ("list categories", "/api/v1/categories/all", b""),
        ):
            ours = await measure(app, requests, "GET", path, query)
            rows.append((name, ours, await measure(floor_app.app, requests, "GET", path, query)))
        rows.append(("me", await measure(app, requests, "GET", "/api/v1/auth/me", b"", bearer), None))
        history = await measure(app, max(1, requests // 5), "GET", "/api/v1/orders/me", b"", bearer)
        rows.append(("my orders (first 50 of 10 000)", history, None))
        for name, body in (("place order (2 lines)", ORDER), ("place order, tracked stock", TRACKED_ORDER)):
            rows.append(
                (name, await measure(app, orders, "POST", "/api/v1/orders", b"", json_bearer, body), None)
            )
        return rows
    finally:
        await stop_floor()
        await stop_api()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per route (2000)")
    add_service_arguments(parser)
    parser.add_argument("--database", default="storefront_bench_cpu")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--orders", action="store_true", help="only the place-order rows")
    parser.add_argument(
        "--payments",
        action="store_true",
        help="only payment starts through Stripe (the double, no latency, in a process of its own)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="with --orders: cProfile of tracked orders (--payments: of payment starts) to this file",
    )
    args = parser.parse_args(argv)

    # Before anything imports prometheus_client: the workers' multi-process mode, as in production.
    metrics_dir = tempfile.mkdtemp(prefix="storefront-bench-cpu-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from bench.run import Options, api_env, delete_redis_keys, password_hash

    url = seed.database_url(args.admin_url, args.database)
    keys = {"secret_key": secrets.token_urlsafe(48), "webhook_secret": secrets.token_urlsafe(48)}
    options = Options(
        smoke=False,
        seconds=0,
        warmup=0,
        rounds=0,
        admin_url=args.admin_url,
        redis_url=reachable_redis(args.redis_url or None),
        keep=args.keep,
        json_path=None,
        database=args.database,
        **({"redis_key_prefix": args.redis_key_prefix} if args.redis_key_prefix else {}),
    )
    env = api_env(options, url, 8000, keys)  # no server listens: the app is called directly
    double = None
    if args.payments:
        from bench.payments import pending_orders, stripe_env

        double = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _DOUBLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert double.stdout is not None
        env = {**env, **stripe_env(double.stdout.readline().strip())}
    seed.create(args.admin_url, args.database, seed.FULL, password_hash(env))
    try:
        import uvloop

        only = "payments" if args.payments else "orders" if args.orders else ""
        to_pay = pending_orders(url, args.requests) if args.payments else (0, 0)
        rows = uvloop.run(run(env, seed.plain_dsn(url), args.requests, only, args.profile, to_pay))
    finally:
        if double is not None:
            double.communicate("")
        delete_redis_keys(options)
        if not args.keep:
            asyncio.run(seed.drop_database(args.admin_url, args.database))
    print(f"CPU per request, in process ({args.requests} requests per route; µs, lower is better)\n")
    print(f"{'route':<28} {'ours':>8} {'floor':>8} {'ours/floor':>11}")
    for name, ours, floor in rows:
        floor_text = f"{floor:8.0f}" if floor is not None else f"{'':>8}"
        ratio = f"{ours / floor:10.1f}×" if floor else ""
        print(f"{name:<28} {ours:8.0f} {floor_text} {ratio:>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
