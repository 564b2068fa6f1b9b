"""The benchmark: seed PostgreSQL, start the API and the floor, drive both with wrk, print the table.

uv run just bench                 # the full run (about ten minutes)
uv run just bench --smoke         # a second per scenario on a tiny seed (what the tests run)
uv run just bench --rounds 5 --seconds 20 --json results.json

PostgreSQL and Redis are the run's own (bench/services.py) unless --admin-url / --redis-url
name existing ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import load, payments, pgcluster, seed, services, webhooks
from bench.load import Load, Result
from bench.servers import PROJECT_ROOT, Server, api_server, floor_server, free_port

MiB = 1024 * 1024
DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
WORKERS = 2


class FeatureMissing(Exception):
    """The API does not serve what a scenario measures (yet)."""


@dataclass(frozen=True)
class Options:
    smoke: bool
    seconds: float
    warmup: float
    rounds: int
    admin_url: str  # "" until the private cluster runs, when `private_postgres`
    redis_url: str | None
    keep: bool
    json_path: Path | None
    database: str
    only: tuple[str, ...] = ()
    regenerate_floors: bool = False
    floors: bool = True
    baseline: str | None = None
    floors_dir: Path | None = None  # None: bench/floors/
    # Run on a PostgreSQL cluster / a redis-server of the run's own (bench/services.py).
    private_postgres: bool = False
    private_redis: bool = False
    # The API's Redis keys go under this prefix, unique to the run; they are deleted afterwards.
    redis_key_prefix: str = field(default_factory=lambda: f"storefront-bench:{secrets.token_hex(6)}:")

    def selects(self, scenario: str) -> bool:
        """Whether `--only` (parts of scenario names, any case) lets a scenario run."""
        return not self.only or any(part.lower() in scenario.lower() for part in self.only)

    @property
    def size(self) -> seed.SeedSize:
        return seed.SMOKE if self.smoke else seed.FULL


@dataclass
class Context:
    """What the scenarios need to know about the running API and its data."""

    api: Server
    options: Options
    secrets: Mapping[str, str]
    database_url: str
    size: seed.SeedSize
    tokens: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    work_dir: Path = Path()
    provider_url: str = ""  # the Stripe double's, when a payment scenario runs

    def bearer(self, who: str) -> tuple[tuple[str, str], ...]:
        return (("Authorization", f"Bearer {self.tokens[who]}"),)


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[Context], Load]
    floor: bool = False
    kind: str = "read"  # read | write | login | other
    # Prepared again before each round: its requests each use up a row (an order to pay, a
    # payment to refund, an event to settle).
    fresh: bool = False


# ---- scenarios -------------------------------------------------------------------

PRODUCTS = "/api/v1/products"


def list_products(ctx: Context) -> Load:
    return Load(path=f"{PRODUCTS}?limit=50")


def list_products_filtered(ctx: Context) -> Load:
    category = min(7, ctx.size.categories)
    return Load(path=f"{PRODUCTS}?category_id={category}&min_price=100&max_price=5000&sort=-price&limit=50")


def get_product(ctx: Context) -> Load:
    return Load(
        path=f"{PRODUCTS}/",
        script="product.lua",
        extra_env=(("BENCH_MAX_ID", str(ctx.size.products)),),
    )


def list_categories(ctx: Context) -> Load:
    return Load(path="/api/v1/categories/all")


def conditional_get(ctx: Context) -> Load:
    path = f"{PRODUCTS}?limit=50"
    first = http(ctx.api, "GET", path)
    etag = first.headers.get("etag")
    if not etag:
        raise FeatureMissing("catalog lists carry no ETag")
    again = http(ctx.api, "GET", path, headers={"If-None-Match": etag})
    if again.status != 304:
        raise FeatureMissing(f"If-None-Match answered {again.status}, not 304")
    return Load(path=path, headers=(("If-None-Match", etag),))


def me(ctx: Context) -> Load:
    return Load(path="/api/v1/auth/me", headers=ctx.bearer("heavy"))


def my_orders(ctx: Context) -> Load:
    path = "/api/v1/orders/me"
    answer = http(ctx.api, "GET", path, headers=dict(ctx.bearer("heavy")))
    if answer.status in (404, 405):
        raise FeatureMissing("GET /orders/me")
    return Load(path=path, headers=ctx.bearer("heavy"))


def admin_orders(ctx: Context) -> Load:
    """The back office's first page of orders to ship, over the heavy customer's orders."""
    path = "/api/v1/orders?status=paid&limit=50"
    answer = http(ctx.api, "GET", path, headers=dict(ctx.bearer("admin")))
    if answer.status in (404, 405):
        raise FeatureMissing("GET /orders")
    if answer.status != 200:
        raise RuntimeError(f"the admin order list answered {answer.status}: {answer.text[:300]}")
    return Load(path=path, headers=ctx.bearer("admin"))


def _place_order(who: str) -> Callable[[Context], Load]:
    def prepare(ctx: Context) -> Load:
        body = json.dumps({"items": [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 1}]})
        answer = http(ctx.api, "POST", "/api/v1/orders", headers=dict(ctx.bearer(who)), body=body)
        if answer.status in (404, 405):
            raise FeatureMissing("POST /orders")
        if answer.status != 201:
            raise RuntimeError(f"placing an order answered {answer.status}: {answer.text[:300]}")
        return Load(
            path="/api/v1/orders",
            script="order.lua",
            method="POST",
            headers=ctx.bearer(who),
            extra_env=(("BENCH_MAX_ID", str(ctx.size.products)),),
        )

    return prepare


TRACKED_CUSTOMERS = range(11, 19)  # 8 customers with no orders of their own in the seed


def place_order_tracked(ctx: Context) -> Load:
    """Orders of 2 random tracked-stock products (each order takes stock), sent as one of 8
    customers picked at random per request: the issue's "write path" measurement."""
    first, last = ctx.size.tracked_ids
    if last - first < 1:
        raise RuntimeError("the seed has no tracked-stock products")
    for n in TRACKED_CUSTOMERS:
        who = f"customer{n}"
        if who not in ctx.tokens:
            ctx.tokens[who] = log_in(ctx.api, seed.CUSTOMER_EMAIL.format(n), seed.CUSTOMER_PASSWORD)
    body = json.dumps(
        {"items": [{"product_id": first, "quantity": 1}, {"product_id": first + 1, "quantity": 1}]}
    )
    answer = http(ctx.api, "POST", "/api/v1/orders", headers=dict(ctx.bearer("customer11")), body=body)
    if answer.status in (404, 405):
        raise FeatureMissing("POST /orders")
    if answer.status != 201:
        raise RuntimeError(f"placing a tracked-stock order answered {answer.status}: {answer.text[:300]}")
    return Load(
        path="/api/v1/orders",
        script="order.lua",
        method="POST",
        extra_env=(
            ("BENCH_MIN_ID", str(first)),
            ("BENCH_MAX_ID", str(last)),
            ("BENCH_TOKENS", " ".join(ctx.tokens[f"customer{n}"] for n in TRACKED_CUSTOMERS)),
        ),
    )


def login(ctx: Context) -> Load:
    return Load(
        path="/api/v1/auth/login",
        script="login.lua",
        method="POST",
        # The smoke run checks that logins work, not how many fit: 8 at once at bcrypt cost 12
        # (APP_ENV=prod's least) on a slow or busy 2-core machine wait past the hashing
        # admission's second and are answered 503 by design, which the smoke test counts as errors.
        connections=2 if ctx.options.smoke else 8,
        extra_env=(
            ("BENCH_EMAIL_PATTERN", seed.CUSTOMER_EMAIL.replace("{}", "%d")),
            ("BENCH_PASSWORD", seed.CUSTOMER_PASSWORD),
            ("BENCH_MAX_ID", str(ctx.size.customers)),
        ),
    )


def login_flood(ctx: Context) -> Load:
    """Wrong passwords for random customers on FLOOD_CONNECTIONS connections, without pause."""
    return Load(
        path="/api/v1/auth/login",
        script="login.lua",
        method="POST",
        connections=FLOOD_CONNECTIONS,
        extra_env=(
            ("BENCH_EMAIL_PATTERN", seed.CUSTOMER_EMAIL.replace("{}", "%d")),
            ("BENCH_PASSWORD", "not the password"),
            ("BENCH_MAX_ID", str(ctx.size.customers)),
        ),
    )


def webhook_settlement(ctx: Context) -> Load:
    expected = 200 if ctx.options.smoke else 2_000
    count = max(expected, int(expected * ctx.options.seconds))
    try:
        requests_file = webhooks.prepare(ctx.database_url, ctx.secrets, count, ctx.work_dir)
    except webhooks.NotReady as error:
        raise FeatureMissing(str(error)) from None
    header, first_line = webhooks.first_request(requests_file)
    answer = http(ctx.api, "POST", webhooks.PATH, headers={header: first_line[0]}, body=first_line[1])
    if answer.status in (404, 405):
        raise FeatureMissing(f"POST {webhooks.PATH}")
    if answer.status != 200:
        raise RuntimeError(f"a prepared webhook answered {answer.status}: {answer.text[:300]}")
    return Load(
        path=webhooks.PATH,
        script="replay.lua",
        method="POST",
        extra_env=(("BENCH_REQUESTS_FILE", str(requests_file)), ("BENCH_REPLAY_HEADER", header)),
    )


PLACE_TRACKED = "place order, tracked stock (8 customers)"


def refund_request(ctx: Context) -> Load:
    """An admin's refund request of 0.01, each on a payment of its own (succeeded, 1 000.00):
    the payments are made just before, one per expected request."""
    from bench.capture import succeeded_payments

    pairs = asyncio.run(succeeded_payments(ctx.database_url, _rows_for(ctx, per_second=1_500)))
    first, last = pairs[0][0], pairs[-1][0]
    if last - first + 1 != len(pairs):
        raise RuntimeError(f"the prepared payments' ids are not consecutive ({first}..{last})")
    body = json.dumps({"amount": "0.01"})
    answer = http(ctx.api, "POST", f"/api/v1/payments/{first}/refunds", dict(ctx.bearer("admin")), body)
    if answer.status in (404, 405):
        raise FeatureMissing(f"POST /payments/{{id}}/refunds answered {answer.status}")
    if answer.status != 201:
        raise RuntimeError(f"a refund request answered {answer.status}: {answer.text[:300]}")
    return Load(
        path="/api/v1/payments/",
        script="sequence.lua",
        method="POST",
        body=body,
        headers=ctx.bearer("admin"),
        extra_env=(
            ("BENCH_MIN_ID", str(first + 1)),
            ("BENCH_MAX_ID", str(last)),
            ("BENCH_PATH_SUFFIX", "/refunds"),
        ),
    )


def _rows_for(ctx: Context, per_second: int) -> int:
    """How many rows a scenario that uses one per request needs for a warm-up and a round."""
    seconds = ctx.options.seconds + ctx.options.warmup
    return max(200, int(per_second * seconds))


def start_payment(connections: int) -> Callable[[Context], Load]:
    """The payer starts paying a pending order of their own through Stripe (the double, each
    answer 20 ms): each request on an order of its own."""

    def prepare(ctx: Context) -> Load:
        if not ctx.provider_url:
            raise FeatureMissing("the Stripe double is not running")
        if "payer" not in ctx.tokens:
            ctx.tokens["payer"] = log_in(
                ctx.api, seed.CUSTOMER_EMAIL.format(payments.PAYER), seed.CUSTOMER_PASSWORD
            )
        per_second = 1_500 if connections > 1 else 60
        first, last = payments.pending_orders(ctx.database_url, _rows_for(ctx, per_second))
        body = json.dumps({"provider": "stripe"})
        answer = http(ctx.api, "POST", f"/api/v1/payments/orders/{first}", dict(ctx.bearer("payer")), body)
        if answer.status in (404, 405, 422):
            raise FeatureMissing(f"POST /payments/orders/{{id}} with Stripe answered {answer.status}")
        if answer.status != 201 or json.loads(answer.text).get("provider") != "stripe":
            raise RuntimeError(f"starting a Stripe payment answered {answer.status}: {answer.text[:300]}")
        return Load(
            path="/api/v1/payments/orders/",
            script="sequence.lua",
            method="POST",
            body=body,
            headers=ctx.bearer("payer"),
            connections=connections,
            extra_env=(("BENCH_MIN_ID", str(first + 1)), ("BENCH_MAX_ID", str(last))),
        )

    return prepare


def stripe_alone(connections: int) -> Callable[[Context], Load]:
    """The Stripe double's own answer to the Checkout Session the app asks for (same form body,
    a new idempotency key each), straight from wrk: what the app's time is compared with."""

    def prepare(ctx: Context) -> Load:
        if not ctx.provider_url:
            raise FeatureMissing("the Stripe double is not running")
        per_second = 2_000 if connections > 1 else 60
        requests_file = payments.checkout_requests(_rows_for(ctx, per_second), ctx.work_dir)
        return Load(
            path="/v1/checkout/sessions",
            script="replay.lua",
            method="POST",
            headers=(
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", f"Bearer {payments.STRIPE_SECRET_KEY}"),
            ),
            connections=connections,
            extra_env=(
                ("BENCH_REQUESTS_FILE", str(requests_file)),
                ("BENCH_REPLAY_HEADER", "Idempotency-Key"),
            ),
            base_url=ctx.provider_url,
        )

    return prepare


SETTLEMENT = "webhook settlement"
REFUND = "refund request (0.01 of a succeeded payment)"
REFUND_JOBS = "refund jobs completed (1 storefront worker)"
REFUND_NO_WORKER = "refund request, no worker running"
REFUND_WORKER_JOBS = "refund jobs completed (1 storefront worker, backlog)"
START_PAYMENT = "start payment (stripe double 20 ms)"
START_PAYMENT_ONE = "start payment (stripe double 20 ms, 1 connection)"
STRIPE_ALONE = "start payment: stripe double alone"
STRIPE_ALONE_ONE = "start payment: stripe double alone, 1 connection"
JOB_ROWS = (REFUND_JOBS, REFUND_WORKER_JOBS)  # jobs completed per second, in the req/s column
# Each start-payment row beside the double's own answer at the same concurrency.
PROVIDER_OF = {START_PAYMENT: STRIPE_ALONE, START_PAYMENT_ONE: STRIPE_ALONE_ONE}
SCENARIOS = [
    Scenario("list products (limit 50)", list_products, floor=True),
    Scenario("list products filtered", list_products_filtered),
    Scenario("get product", get_product, floor=True),
    Scenario("list categories", list_categories, floor=True),
    Scenario("conditional GET (304)", conditional_get),
    Scenario("me", me),
    Scenario("my orders (10 000 orders)", my_orders),
    Scenario("admin order list (status=paid)", admin_orders),
    Scenario("place order (2 lines)", _place_order("heavy"), kind="write"),
    Scenario(PLACE_TRACKED, place_order_tracked, kind="write"),
    Scenario("login (8 connections)", login, kind="login"),
    Scenario(SETTLEMENT, webhook_settlement, kind="write", fresh=True),
    Scenario(REFUND, refund_request, kind="write", fresh=True),
    Scenario(START_PAYMENT, start_payment(64), floor=True, kind="write", fresh=True),
    Scenario(STRIPE_ALONE, stripe_alone(64), kind="other", fresh=True),
    Scenario(START_PAYMENT_ONE, start_payment(1), floor=True, kind="write", fresh=True),
    Scenario(STRIPE_ALONE_ONE, stripe_alone(1), kind="other", fresh=True),
]
STORM = "list products during logins"
FLOOD = "one user's logins under a login flood (100)"
FLOOD_CONNECTIONS = 100
SMALL_ORDER = "place order, new customer, small catalog"
READS_WITH_TARGET = ("list products (limit 50)", "get product", "list categories", "me")


# ---- HTTP helper -------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    text: str


def http(
    server: Server, method: str, path: str, headers: Mapping[str, str] | None = None, body: str | None = None
) -> Answer:
    request = urllib.request.Request(  # noqa: S310 - a local URL we built
        server.base_url + path,
        method=method,
        data=body.encode() if body is not None else None,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return Answer(response.status, _lower(response.headers), response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers), error.read().decode(errors="replace"))


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def log_in(server: Server, email: str, password: str) -> str:
    answer = http(
        server, "POST", "/api/v1/auth/login", body=json.dumps({"email": email, "password": password})
    )
    if answer.status != 200:
        raise RuntimeError(f"login as {email} answered {answer.status}: {answer.text[:300]}")
    token: str = json.loads(answer.text)["access_token"]
    return token


# ---- the run ----------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    results: list[Result] = field(default_factory=list)
    floor: list[Result] = field(default_factory=list)
    baseline: list[Result] = field(default_factory=list)
    missing: str | None = None

    def median(self, attr: str, floor: bool = False, baseline: bool = False) -> float:
        chosen = self.baseline if baseline else self.floor if floor else self.results
        values = [getattr(r, attr) for r in chosen]
        return statistics.median(values) if values else 0.0

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.results)


@dataclass
class Report:
    options: Options
    rows: dict[str, Row]
    peak_rss: dict[int, int]
    machine: str
    seconds_total: float = 0.0
    notes: list[str] = field(default_factory=list)

    def row(self, name: str) -> Row:
        return self.rows.setdefault(name, Row(name))


def api_env(options: Options, database_url: str, port: int, keys: Mapping[str, str]) -> dict[str, str]:
    env = {
        "APP_ENV": "prod",
        "DATABASE_URL": database_url,
        "SECRET_KEY": keys["secret_key"],
        "PAYMENT_WEBHOOK_SECRET": keys["webhook_secret"],
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": str(WORKERS),
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "warning",
        "RATE_LIMIT_LOGIN": "0",
        "RATE_LIMIT_REGISTER": "0",
        "RATE_LIMIT_API": "0",
        # The benchmark's customers place thousands of orders each and pay for none: no
        # limit (0). A high one would instead count thousands of pending orders per placement,
        # a cost production (limit 5: a count of at most 5 index entries) never pays.
        "ORDER_PENDING_LIMIT": "0",
        "ACCESS_TOKEN_EXPIRE_MINUTE": "240",
        "DB_POOL_SIZE": str(pool_size(options)),
        "BCRYPT_ROUNDS": "12",
        # Production with Redis runs its job workers as a service of their own (`storefront
        # worker`, compose's `worker`): the API processes run none (docs/performance.md, "Memory").
        "RUN_WORKER": "false",
    }
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
        env["REDIS_KEY_PREFIX"] = options.redis_key_prefix
    return env


def delete_redis_keys(options: Options) -> None:
    """Delete the keys the API wrote under the run's prefix (SCAN + DEL; nothing else is touched)."""
    if not options.redis_url:
        return
    import redis

    client = redis.Redis.from_url(options.redis_url)
    try:
        pattern = options.redis_key_prefix.replace("*", "\\*").replace("?", "\\?") + "*"
        batch = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(batch), 1000):
            client.delete(*batch[start : start + 1000])
    except redis.RedisError as error:
        say(f"could not delete the run's Redis keys under {options.redis_key_prefix}: {error}")
    finally:
        client.close()


def pool_size(options: Options) -> int:
    """Connections per worker and pool: production's default, or a few for the smoke run,
    which may share a PostgreSQL server with whatever else is running."""
    return 2 if options.smoke else 10


def pgbench_clients(options: Options) -> int:
    """The database floors' pgbench clients: 64, as wrk's connections (4 in a smoke run)."""
    from bench import floors

    return 4 if options.smoke else floors.CLIENTS


def connection_budget(options: Options) -> services.Budget:
    """The connections the run holds at once: ours and the baseline's API (one at a time for
    everything else), the floor app, pgbench."""
    return services.Budget(
        workers=WORKERS,
        pool_size=pool_size(options),
        apis=2 if options.baseline else 1,
        pgbench_clients=pgbench_clients(options) if options.floors else 0,
    )


class ConnectionsShort(RuntimeError):
    """The PostgreSQL server cannot take the connections the run needs (pgbench's clients)."""


def password_hash(env: Mapping[str, str]) -> str:
    """The customers' password hash, made by the application's own hasher and settings."""
    from application.ports import PasswordHasher
    from entrypoints.ioc import create_cli_container
    from entrypoints.settings import Settings

    async def make() -> str:
        container = create_cli_container(Settings.from_mapping(env))
        try:
            hasher = await container.get(PasswordHasher)
            hashed: str = await hasher.hash(seed.CUSTOMER_PASSWORD)
            return hashed
        finally:
            await container.close()

    return asyncio.run(make())


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start(WORKERS)
    try:
        yield server
    finally:
        server.stop()


def benchmark(options: Options, work_dir: Path) -> Report:
    started = time.monotonic()
    keys = {"secret_key": secrets.token_urlsafe(48), "webhook_secret": secrets.token_urlsafe(48)}
    report = Report(options, {}, {}, machine_description())
    stack = ExitStack()
    main_db = options.database
    small_db = main_db + "_small"
    port = free_port()
    say(f"seeding {main_db}: {options.size}")
    url = seed.database_url(options.admin_url, main_db)
    env = api_env(options, url, port, keys)
    hashed = password_hash(env)
    floor_missing = _capture_floors(options, keys, hashed, work_dir) if options.floors else {}
    if not options.private_postgres:
        _check_connections(options)
    seed.create(options.admin_url, main_db, options.size, hashed)
    try:
        provider_url = ""
        if any(options.selects(name) for name in (*PROVIDER_OF, *PROVIDER_OF.values())):
            provider_url = stack.enter_context(payments.stripe_double())
            env |= payments.stripe_env(provider_url)
            say(
                f"the Stripe double on {provider_url}, "
                f"each answer {payments.PROVIDER_LATENCY_SECONDS * 1000:.0f} ms"
            )
        api = api_server(env, port, work_dir / "api.log")
        floor = floor_server(
            seed.plain_dsn(url),
            WORKERS,
            free_port(),
            work_dir / "floor.log",
            pool_size(options),
            payments.floor_env(keys["secret_key"], options.redis_url, options.redis_key_prefix, provider_url),
        )
        with stack, running(api), running(floor), job_worker(env, work_dir / "worker-main.log"):
            say(f"API on {api.base_url} (workers {api.worker_pids()}), floor on {floor.base_url}")
            ctx = _signed_in_context(api, options, keys, url, work_dir, provider_url)
            loads = _prepare_all(ctx, report)
            base = (
                stack.enter_context(_baseline(options, keys, hashed, work_dir, loads, provider_url))
                if options.baseline
                else None
            )
            with _jobs_drained(url, REFUND in loads):
                _warm_up(ctx, floor, loads)
            if base is not None:
                say(f"warm-up of the baseline ({options.baseline})")
                with _jobs_drained(base.ctx.database_url, REFUND in base.loads):
                    for name, base_load in base.loads.items():
                        if name != SETTLEMENT:
                            load.run(base.ctx.api.base_url, base_load, options.warmup)
            for round_number in range(1, options.rounds + 1):
                say(f"round {round_number}/{options.rounds}")
                for scenario in SCENARIOS:
                    if scenario.name not in loads:
                        continue
                    the_load = loads[scenario.name]
                    if scenario.fresh:
                        the_load = scenario.prepare(ctx)  # fresh rows (events signed just now)
                    mark = payments.jobs_mark(url) if scenario.name == REFUND else None
                    result = load.run(api.base_url, the_load, options.seconds)
                    report.row(scenario.name).results.append(result)
                    api.sample_memory()
                    say(f"  {scenario.name}: {result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms")
                    if mark is not None:
                        _refund_jobs(url, mark, result, report)
                    if scenario.floor:
                        floor_load = scenario.prepare(ctx) if scenario.fresh else the_load
                        floor_result = load.run(floor.base_url, floor_load, options.seconds)
                        report.row(scenario.name).floor.append(floor_result)
                        say(f"  {scenario.name} (floor): {floor_result.rps:,.0f} req/s")
                    _database_floor(options, scenario.name, floor_missing, url, work_dir, report)
                    if base is not None and scenario.name in base.loads:
                        base_load = base.loads[scenario.name]
                        if scenario.fresh:
                            base_load = scenario.prepare(base.ctx)
                        with _jobs_drained(base.ctx.database_url, scenario.name == REFUND):
                            base_result = load.run(base.ctx.api.base_url, base_load, options.seconds)
                        report.row(scenario.name).baseline.append(base_result)
                        say(
                            f"  {scenario.name} (baseline {options.baseline}): {base_result.rps:,.0f} req/s, "
                            f"p99 {base_result.p99_ms:.1f} ms"
                        )
                _storm(options, api, loads, report)
                _login_flood(options, api, loads, report)
            report.peak_rss = api.sample_memory()
        _small_catalog(options, work_dir, keys, hashed, small_db, report)
        _refund_jobs_by_a_worker(options, env, url, work_dir, report)
    finally:
        delete_redis_keys(options)
        if not options.keep:
            asyncio.run(seed.drop_database(options.admin_url, main_db))
            asyncio.run(seed.drop_database(options.admin_url, small_db))
    report.seconds_total = time.monotonic() - started
    return report


def _signed_in_context(
    api: Server, options: Options, keys: Mapping[str, str], url: str, work_dir: Path, provider_url: str
) -> Context:
    """The scenarios' context for one API (ours or the baseline's): its heavy customer and its
    admin logged in."""
    ctx = Context(
        api,
        options,
        {"webhook": keys["webhook_secret"]},
        url,
        options.size,
        work_dir=work_dir,
        provider_url=provider_url,
    )
    ctx.tokens["heavy"] = log_in(api, seed.CUSTOMER_EMAIL.format(1), seed.CUSTOMER_PASSWORD)
    ctx.tokens["admin"] = log_in(api, seed.ADMIN_EMAIL, seed.CUSTOMER_PASSWORD)
    return ctx


@dataclass
class Baseline:
    ctx: Context
    loads: dict[str, Load]


@contextmanager
def _baseline(
    options: Options,
    keys: Mapping[str, str],
    hashed: str,
    work_dir: Path,
    loads: Mapping[str, Load],
    provider_url: str,
) -> Iterator[Baseline]:
    """The `--baseline` ref's API on a database of its own (its migrations, the same seed),
    with the loads of the scenarios both serve, its payments through the same Stripe double
    (`provider_url`, when one runs); everything removed afterwards."""
    from bench import baseline

    assert options.baseline is not None
    name = options.database + "_baseline"
    say(f"baseline: checking out {options.baseline} and syncing its environment")
    with baseline.checkout(options.baseline, work_dir) as code:
        say(f"baseline {options.baseline} = {code.commit[:12]}; seeding {name}")
        try:
            url = seed.create(
                options.admin_url, name, options.size, hashed, migrate=lambda u: baseline.migrate(code, u)
            )
            port = free_port()
            env = api_env(options, url, port, keys) | {
                "REDIS_KEY_PREFIX": options.redis_key_prefix + "baseline:"
            }
            if provider_url:
                env |= payments.stripe_env(provider_url)
            api = api_server(env, port, work_dir / "api-baseline.log", python=code.python, cwd=code.root)
            # Its own job worker, as ours has one beside it: the scenarios whose requests leave jobs
            # (refunds) then load the machine alike on both sides.
            worker_log = work_dir / "worker-baseline.log"
            with running(api), job_worker(env, worker_log, python=code.python, cwd=code.root):
                ctx = _signed_in_context(api, options, keys, url, work_dir, provider_url)
                base_loads: dict[str, Load] = {}
                for scenario in SCENARIOS:
                    if scenario.name not in loads:
                        continue
                    try:
                        base_loads[scenario.name] = scenario.prepare(ctx)
                    except FeatureMissing as missing:
                        say(f"  {scenario.name}: n/a on the baseline ({missing})")
                say(f"baseline API on {api.base_url}")
                yield Baseline(ctx, base_loads)
        finally:
            if not options.keep:
                asyncio.run(seed.drop_database(options.admin_url, name))


def _check_connections(options: Options) -> None:
    """On a server of someone else's (`--admin-url`): fail before seeding anything when it
    cannot take what the run holds at once (ConnectionsShort)."""
    from bench import floors

    budget = connection_budget(options)
    free = floors.free_connections(options.admin_url)
    if free < budget.required:
        raise ConnectionsShort(
            f"the server at --admin-url has {free} free connections; the run needs "
            f"{budget.required} with the pools full, {budget.total} to be safe ({budget.describe()}). "
            "Run without --admin-url (the bench's own cluster), or on a "
            "server with more room."
        )


def _capture_floors(options: Options, keys: Mapping[str, str], hashed: str, work_dir: Path) -> dict[str, str]:
    """Capture the write scenarios' statements and check them against bench/floors/ (raises
    floors.FloorOutdated); the scenarios that have no floor, with the reason."""
    from bench import capture, floors, pgcluster

    try:
        return capture.capture_all(
            options,
            keys,
            hashed,
            work_dir,
            options.regenerate_floors,
            options.floors_dir or floors.FLOORS_DIR,
        )
    except pgcluster.ClusterUnavailable as unavailable:
        say(f"no database floors: {unavailable}")
        return {spec.scenario: str(unavailable) for spec in capture.SPECS}


def _database_floor(
    options: Options, name: str, missing: Mapping[str, str], url: str, work_dir: Path, report: Report
) -> None:
    """The scenario's database floor (pgbench on its captured statements), right after it."""
    from bench import capture, floors

    spec = next((s for s in capture.SPECS if s.scenario == name), None)
    if spec is None or not options.floors or name in missing or report.rows[name].missing:
        return
    defines = capture.floor_defines(spec, url, options.size, options.seconds)
    clients = pgbench_clients(options)
    # Never fewer clients than the floor is defined with: a floor on 4 clients is no floor of 64.
    free = floors.free_connections(url)
    if free < clients:
        raise ConnectionsShort(
            f"{name}: pgbench needs {clients} connections for the database floor and the server "
            f"has {free} free (run without --admin-url: the bench's own cluster has room)"
        )
    directory = options.floors_dir or floors.FLOORS_DIR
    result = floors.run_pgbench(spec, url, defines, options.seconds, work_dir, clients, directory)
    report.row(name).floor.append(result)
    say(f"  {name} (database floor, pgbench): {result.rps:,.0f} tx/s, p99 {result.p99_ms:.1f} ms")


def _prepare_all(ctx: Context, report: Report) -> dict[str, Load]:
    loads: dict[str, Load] = {}
    for scenario in SCENARIOS:
        if not ctx.options.selects(scenario.name):
            continue
        try:
            loads[scenario.name] = scenario.prepare(ctx)
        except FeatureMissing as missing:
            report.row(scenario.name).missing = str(missing)
            say(f"  {scenario.name}: n/a (feature missing: {missing})")
            continue
        report.row(scenario.name)
        if scenario.name == REFUND:
            report.row(REFUND_JOBS)
    storm_loads = "login (8 connections)" in loads and "list products (limit 50)" in loads
    if storm_loads and ctx.options.selects(STORM):
        report.row(STORM)
    if ctx.options.selects(FLOOD):
        loads[FLOOD] = login_flood(ctx)
        report.row(FLOOD)
    return loads


def _warm_up(ctx: Context, floor: Server, loads: Mapping[str, Load]) -> None:
    options = ctx.options
    say(f"warm-up: {options.warmup:.0f} s per scenario")
    for scenario in SCENARIOS:
        if scenario.name in loads and scenario.name != "webhook settlement":
            load.run(ctx.api.base_url, loads[scenario.name], options.warmup)
            if scenario.floor:
                # A fresh scenario's rows were used up by the API's warm-up: new ones.
                floor_load = scenario.prepare(ctx) if scenario.fresh else loads[scenario.name]
                load.run(floor.base_url, floor_load, options.warmup)


@contextmanager
def _jobs_drained(database_url: str, refunds: bool) -> Iterator[None]:
    """With `refunds` (the block sends refund requests): wait, after the block, until every job it
    left is final. A backlog then drains on its own side's time, not during the next scenario or
    the other API's round (each API has its own job worker beside it)."""
    if not refunds:
        yield
        return
    mark = payments.jobs_mark(database_url)
    yield
    payments.wait_for_jobs(database_url, *mark)


def _refund_jobs(url: str, mark: tuple[int, float], requests: Result, report: Report) -> None:
    """The refund jobs of a round's requests, run by the `storefront worker` process running
    beside the API all along: jobs completed per second, from the first request until the last
    job is final."""
    done = payments.wait_for_jobs(url, *mark)
    report.row(REFUND_JOBS).results.append(
        Result(
            requests=done.succeeded,
            seconds=done.seconds,
            p50_ms=0,
            p99_ms=0,
            errors=done.jobs - done.succeeded,
        )
    )
    behind = done.seconds - requests.seconds
    say(
        f"  {REFUND_JOBS}: {done.succeeded:,} of {done.jobs:,} jobs succeeded in {done.seconds:.1f} s "
        f"({done.per_second:,.0f} jobs/s; the last {behind:.1f} s after the requests stopped)"
    )


@contextmanager
def job_worker(
    env: Mapping[str, str], log_path: Path, python: str | Path = sys.executable, cwd: Path = PROJECT_ROOT
) -> Iterator[None]:
    """One `storefront worker` process (the job worker service of production with Redis), of
    this checkout or another (`python`, `cwd`: the baseline's)."""
    with log_path.open("ab") as log:
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter (or the baseline's) and arguments
            [str(python), "-m", "entrypoints.cli", "worker"],
            cwd=cwd,
            env={**os.environ, **env, "RUN_WORKER": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _refund_jobs_by_a_worker(
    options: Options, env: Mapping[str, str], url: str, work_dir: Path, report: Report
) -> None:
    """Refund requests to the API with no worker (RUN_WORKER=false), so their jobs wait in the
    outbox; then one `storefront worker` process of its own drains them: jobs completed per
    second from its first completion to its last (its start-up left out)."""
    row = report.rows.get(REFUND)
    if not options.selects(REFUND_WORKER_JOBS) or row is None or row.missing:
        return
    port = free_port()
    api = api_server({**env, "PORT": str(port), "RUN_WORKER": "false"}, port, work_dir / "api-no-worker.log")
    with running(api):
        ctx = Context(api, options, {}, url, options.size, work_dir=work_dir)
        ctx.tokens["admin"] = log_in(api, seed.ADMIN_EMAIL, seed.CUSTOMER_PASSWORD)
        for _ in range(options.rounds):
            the_load = refund_request(ctx)
            mark = payments.jobs_mark(url)
            result = load.run(api.base_url, the_load, options.seconds)
            report.row(REFUND_NO_WORKER).results.append(result)
            say(f"  {REFUND_NO_WORKER}: {result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms")
            with job_worker(env, work_dir / "worker.log"):
                done = payments.wait_for_jobs(url, *mark)
            jobs = Result(
                requests=done.succeeded - 1,
                seconds=done.first_to_last,
                p50_ms=0,
                p99_ms=0,
                errors=done.jobs - done.succeeded,
            )
            report.row(REFUND_WORKER_JOBS).results.append(jobs)
            say(
                f"  {REFUND_WORKER_JOBS}: {done.succeeded:,} of {done.jobs:,} jobs succeeded, "
                f"{done.draining_per_second:,.0f} jobs/s"
            )
    # The refund-request floor runs the request's statements and nothing else: beside this row (no
    # worker settling refunds on the same two cores) it is like for like. It stays beside the
    # REFUND row too, where the goal was first measured.
    report.row(REFUND_NO_WORKER).floor = row.floor


def _storm(options: Options, api: Server, loads: Mapping[str, Load], report: Report) -> None:
    """Reads while logins keep the password hashing pool busy."""
    if STORM not in report.rows:
        return
    logins = load.start(api.base_url, loads["login (8 connections)"], options.seconds + 2)
    time.sleep(1)
    reads = load.run(api.base_url, loads["list products (limit 50)"], options.seconds)
    load.finish(logins)
    report.row(STORM).results.append(reads)
    say(f"  {STORM}: {reads.rps:,.0f} req/s, p99 {reads.p99_ms:.1f} ms")


def _login_flood(options: Options, api: Server, loads: Mapping[str, Load], report: Report) -> None:
    """One customer logging in again and again (one at a time) while a flood of wrong
    passwords keeps every hashing thread busy: each login answers 200, or 503 when it could
    not start hashing within a second. Both are expected answers (a 503 is not an error here:
    anything else stops the run); the progress line says how many were 503."""
    if FLOOD not in loads:
        return
    flood = load.start(api.base_url, loads[FLOOD], options.seconds + 2)
    time.sleep(1)
    body = json.dumps({"email": seed.CUSTOMER_EMAIL.format(1), "password": seed.CUSTOMER_PASSWORD})
    latencies: list[float] = []
    refused = 0
    started = time.monotonic()
    while time.monotonic() - started < options.seconds:
        sent = time.monotonic()
        answer = http(api, "POST", "/api/v1/auth/login", body=body)
        latencies.append(time.monotonic() - sent)
        if answer.status != 200:
            refused += 1
            if answer.status != 503 or "retry-after" not in answer.headers:
                raise RuntimeError(f"a login under the flood answered {answer.status}: {answer.text[:300]}")
    seconds = time.monotonic() - started
    flooded = load.finish(flood)
    latencies.sort()
    result = Result(
        requests=len(latencies),
        seconds=seconds,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[min(len(latencies) - 1, math.ceil(len(latencies) * 0.99) - 1)] * 1000,
        errors=0,
    )
    report.row(FLOOD).results.append(result)
    say(
        f"  {FLOOD}: {len(latencies)} logins, {refused} answered 503, p50 {result.p50_ms:.0f} ms, "
        f"p99 {result.p99_ms:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
        f"(the flood: {flooded.rps:,.0f} req/s, {flooded.by_kind[0]} answered 4xx/5xx)"
    )


def _small_catalog(
    options: Options, work_dir: Path, keys: Mapping[str, str], hashed: str, name: str, report: Report
) -> None:
    """Placing orders as a new customer on a tiny catalog: the baseline for "flat"."""
    row = report.rows.get("place order (2 lines)")
    if not options.selects(SMALL_ORDER):
        return
    if row is None or row.missing:
        report.row(SMALL_ORDER).missing = "POST /orders"
        return
    say(f"seeding {name}: {seed.SMALL_CATALOG}")
    port = free_port()
    url = seed.database_url(options.admin_url, name)
    env = api_env(options, url, port, keys)
    seed.create(options.admin_url, name, seed.SMALL_CATALOG, hashed)
    api = api_server(env, port, work_dir / "api-small.log")
    with running(api):
        ctx = Context(api, options, {}, url, seed.SMALL_CATALOG, work_dir=work_dir)
        ctx.tokens["new"] = log_in(api, seed.CUSTOMER_EMAIL.format(2), seed.CUSTOMER_PASSWORD)
        the_load = _place_order("new")(ctx)
        load.run(api.base_url, the_load, options.warmup)
        for _ in range(options.rounds):
            result = load.run(api.base_url, the_load, options.seconds)
            report.row(SMALL_ORDER).results.append(result)
            say(f"  {SMALL_ORDER}: {result.rps:,.0f} req/s")


# ---- output ---------------------------------------------------------------------------


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {sys.version.split()[0]}"


def render(report: Report) -> str:
    o = report.options
    lines = [
        f"storefront benchmark — {'smoke' if o.smoke else 'full'} run: "
        f"{o.rounds} round(s) × {o.seconds:.0f} s per scenario, wrk {load.THREADS} threads, "
        f"64 connections unless noted, {WORKERS} workers",
        f"machine: {report.machine}",
        f"services: {services_description(o)}",
        "",
        f"{'scenario':<46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'floor':>8} {'floor p99':>9} {'ours/floor':>10}",
        "-" * 111,
    ]
    for name, row in report.rows.items():
        if row.missing:
            lines.append(f"{name:<46} {'n/a (feature missing)':>24}")
            continue
        if name in JOB_ROWS:
            lines.append(f"{name:<46} {row.median('rps'):>8,.0f} {'jobs/s':>8} {'':>8} {row.errors:>7}")
            continue
        floor_rps = row.median("rps", floor=True)
        ratio = f"{row.median('rps') / floor_rps:.0%}" if row.floor and floor_rps else ""
        floor_text = f"{floor_rps:,.0f}" if row.floor else ""
        floor_p99 = f"{row.median('p99_ms', floor=True):.1f}" if row.floor else ""
        lines.append(
            f"{name:<46} {row.median('rps'):>8,.0f} {row.median('p50_ms'):>8.1f} "
            f"{row.median('p99_ms'):>8.1f} {row.errors:>7} {floor_text:>8} {floor_p99:>9} {ratio:>10}"
        )
    with_baseline = [row for row in report.rows.values() if row.baseline]
    if with_baseline:
        lines += [
            "",
            f"baseline: {o.baseline} (the same scenarios, same seed, interleaved by round)",
            f"{'scenario':<46} {'now req/s':>10} {'now p99':>8} {'base req/s':>10} "
            f"{'base p99':>8} {'now/base':>9}",
            "-" * 96,
        ]
        for row in with_baseline:
            now, then = row.median("rps"), row.median("rps", baseline=True)
            lines.append(
                f"{row.name:<46} {now:>10,.0f} {row.median('p99_ms'):>8.1f} {then:>10,.0f} "
                f"{row.median('p99_ms', baseline=True):>8.1f} {now / max(then, 1e-9):>8.2f}×"
            )
    lines += [f"note: {note}" for note in report.notes]
    added = provider_added(report)
    if added:
        lines += ["", "start payment beyond the provider's own answer (app minus the double alone, medians):"]
        lines += [f"  {text}" for text in added.values()]
    rss = ", ".join(f"{value / MiB:.0f} MiB" for value in report.peak_rss.values())
    lines += ["", f"peak RSS per worker: {rss or 'n/a'}", "", "targets:"]
    lines += [f"  {verdict}" for verdict in targets(report)]
    lines.append(f"\n(took {report.seconds_total:.0f} s; medians over rounds, errors summed)")
    return "\n".join(lines)


def services_description(options: Options) -> str:
    database = (
        f"PostgreSQL of the run's own (shared_buffers {pgcluster.SHARED_BUFFERS}, durable defaults)"
        if options.private_postgres
        else "PostgreSQL at --admin-url"
    )
    if options.private_redis:
        return f"{database}, Redis of the run's own"
    return f"{database}, Redis {'at --redis-url' if options.redis_url else 'none'}"


def provider_added(report: Report) -> dict[str, str]:
    """Per start-payment row: its p50 and p99 minus the Stripe double's own at the same
    number of connections (the app's time per request beyond the provider's answer); the same
    for the baseline's and the floor app's starts, and ours minus the floor's."""
    added: dict[str, str] = {}
    for ours, theirs in PROVIDER_OF.items():
        app, provider = report.rows.get(ours), report.rows.get(theirs)
        if not (app and provider and app.results and provider.results):
            continue
        p50, p99 = app.median("p50_ms"), app.median("p99_ms")
        base50, base99 = provider.median("p50_ms"), provider.median("p99_ms")
        added[ours] = (
            f"{ours}: p50 {p50:.1f} − {base50:.1f} = {p50 - base50:+.1f} ms, "
            f"p99 {p99:.1f} − {base99:.1f} = {p99 - base99:+.1f} ms"
        )
        if app.baseline:  # the --baseline ref's starts, through the same double
            then50, then99 = app.median("p50_ms", baseline=True), app.median("p99_ms", baseline=True)
            added[ours] += f"; baseline {then50 - base50:+.1f} ms, p99 {then99 - base99:+.1f} ms"
        if app.floor:  # the floor app's starts: the least the rules take (bench/floor_app.py)
            floor50, floor99 = app.median("p50_ms", floor=True), app.median("p99_ms", floor=True)
            added[ours] += (
                f"; floor {floor50 - base50:+.1f} ms, p99 {floor99 - base99:+.1f} ms"
                f" (ours − floor: p50 {p50 - floor50:+.1f} ms)"
            )
    return added


def targets(report: Report) -> list[str]:
    verdicts: list[str] = []

    def check(ok: bool, text: str) -> None:
        verdicts.append(f"{'met   ' if ok else 'MISSED'} {text}")

    rows = report.rows
    for name in READS_WITH_TARGET:
        row = rows.get(name)
        if row is None or row.missing:
            continue
        p99 = row.median("p99_ms")
        check(p99 < 150, f"{name}: p99 {p99:.1f} ms < 150 ms")
        if row.floor:
            ratio = row.median("rps") / max(row.median("rps", floor=True), 1e-9)
            check(ratio >= 0.6, f"{name}: {ratio:.0%} of the floor's req/s ≥ 60 %")
    order = rows.get("place order (2 lines)")
    if order and not order.missing:
        rps = order.median("rps")
        check(rps >= 600, f"place order: {rps:,.0f} orders/s ≥ 600")
        small = rows.get(SMALL_ORDER)
        if small and small.results:
            ratio = rps / max(small.median("rps"), 1e-9)
            check(
                ratio >= 0.9, f"place order is flat: 10 000-order customer at {ratio:.0%} of a new one ≥ 90 %"
            )
    storm = rows.get(STORM)
    idle = rows.get("list products (limit 50)")
    if storm and storm.results and idle and idle.results:
        ratio = storm.median("p99_ms") / max(idle.median("p99_ms"), 1e-9)
        check(ratio <= 2, f"reads' p99 during a login storm: {ratio:.1f}× idle ≤ 2×")
    flood = rows.get(FLOOD)
    if flood and flood.results:
        p99 = flood.median("p99_ms")
        check(p99 <= 2500, f"one user's login p99 under a login flood: {p99:,.0f} ms ≤ 2 500 ms")
    if report.peak_rss:
        peak = max(report.peak_rss.values()) / MiB
        check(peak <= 120, f"peak RSS per worker {peak:.0f} MiB ≤ 120 MiB")
    return verdicts


def as_json(report: Report) -> dict[str, Any]:
    return {
        "machine": report.machine,
        "options": {k: str(v) for k, v in asdict(report.options).items()},
        "peak_rss_bytes": list(report.peak_rss.values()),
        "rows": {
            name: {
                "missing": row.missing,
                "results": [asdict(r) | {"rps": r.rps} for r in row.results],
                "floor": [asdict(r) | {"rps": r.rps} for r in row.floor],
                "baseline": [asdict(r) | {"rps": r.rps} for r in row.baseline],
            }
            for name, row in report.rows.items()
        },
        "targets": targets(report),
        "provider_added": provider_added(report),
        "notes": report.notes,
    }


def add_service_arguments(parser: argparse.ArgumentParser, private: bool = False) -> None:
    """--admin-url and --redis-url: where the benchmark's database and the API's Redis are.
    With `private`, their default is None: servers of the run's own (bench/services.py)."""
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL") or (None if private else DEFAULT_ADMIN_URL),
        help="PostgreSQL URL of a role that may create databases, on an existing server (default: "
        + (
            "a private cluster of the run's own, sized for it)"
            if private
            else f"$BENCH_POSTGRES_URL, else {DEFAULT_ADMIN_URL})"
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", None if private else DEFAULT_REDIS_URL),
        help="an existing Redis for the API ('' to run without); its keys go under a prefix of the "
        "run's own, deleted afterwards (default: "
        + (
            f"a private redis-server when one is installed, else {DEFAULT_REDIS_URL})"
            if private
            else f"$BENCH_REDIS_URL, else {DEFAULT_REDIS_URL})"
        ),
    )
    parser.add_argument(
        "--redis-key-prefix",
        default=None,
        help="the API's REDIS_KEY_PREFIX (default: storefront-bench:<random>:)",
    )


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="1 s per scenario, tiny seed, one round")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per scenario (3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, ours then floor (3)")
    add_service_arguments(parser, private=True)
    parser.add_argument(
        "--database", help="name of the database to (re)create (storefront_bench, or _smoke with --smoke)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run only the scenarios whose name contains TEXT (any case; repeatable): --only 'get product'",
    )
    parser.add_argument(
        "--regenerate-floors",
        action="store_true",
        help="rewrite bench/floors/ (the write scenarios' pgbench scripts) from a new statement capture",
    )
    parser.add_argument(
        "--floors-dir", type=Path, help="where the floors' scripts and fingerprints are (bench/floors/)"
    )
    parser.add_argument(
        "--no-floors", action="store_true", help="neither capture statements nor run the database floors"
    )
    parser.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="also run the selected scenarios on this git ref's code (its own checkout, environment "
        "and database), interleaved by round, with the ratio now/baseline",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.warmup, args.rounds = 1, 1, 1
    private_redis = args.redis_url is None and services.redis_server_path() is not None
    if args.redis_url is None and not private_redis:
        args.redis_url = DEFAULT_REDIS_URL
    return Options(
        smoke=args.smoke,
        seconds=args.seconds,
        warmup=args.warmup,
        rounds=args.rounds,
        admin_url=args.admin_url or "",
        redis_url=None if private_redis else reachable_redis(args.redis_url or None),
        keep=args.keep,
        json_path=args.json,
        database=args.database or ("storefront_bench_smoke" if args.smoke else "storefront_bench"),
        only=tuple(args.only),
        regenerate_floors=args.regenerate_floors,
        floors=not args.no_floors,
        baseline=args.baseline,
        floors_dir=args.floors_dir,
        private_postgres=args.admin_url is None,
        private_redis=private_redis,
        **({"redis_key_prefix": args.redis_key_prefix} if args.redis_key_prefix else {}),
    )


def reachable_redis(url: str | None) -> str | None:
    """The Redis URL when it answers; without Redis the API keeps sessions and limits in memory."""
    if url is None:
        return None
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1
        ) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return url
    except OSError:
        pass
    say(f"Redis at {url} does not answer: the API runs without it")
    return None


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        load.wrk_path()
    except load.WrkMissing as missing:
        print(missing, file=sys.stderr)
        return 2
    from bench.floors import FloorOutdated

    with services.terminated_as_interrupt(), tempfile.TemporaryDirectory(prefix="storefront-bench-") as work:
        try:
            with ExitStack() as stack:
                if options.private_postgres:
                    budget = connection_budget(options)
                    cluster = stack.enter_context(services.postgres(budget))
                    options = replace(options, admin_url=cluster.admin_url)
                    say(
                        f"PostgreSQL of the run's own on port {cluster.port}: max_connections "
                        f"{services.max_connections(budget)} ({budget.describe()}), shared_buffers "
                        f"{pgcluster.SHARED_BUFFERS}, fsync and synchronous_commit at their defaults (on)"
                    )
                if options.private_redis:
                    options = replace(options, redis_url=stack.enter_context(services.redis()))
                    say(f"Redis of the run's own at {options.redis_url}")
                report = benchmark(options, Path(work))
        except FloorOutdated as outdated:
            print(f"\nBENCH FLOOR OUTDATED: {outdated}", file=sys.stderr)
            return 3
        except ConnectionsShort as short:
            print(f"\nBENCH CANNOT MEASURE: {short}", file=sys.stderr)
            return 4
        except KeyboardInterrupt:
            print(
                "\ninterrupted: servers stopped, the run's own PostgreSQL and Redis removed", file=sys.stderr
            )
            return 130
    print(render(report))
    if options.json_path:
        options.json_path.write_text(json.dumps(as_json(report), indent=2))
    return 0
