"""Capturing the write scenarios' statements on a private cluster, and preparing their floors.

`capture_all` runs the API (one worker, configured like the bench's) against a small seeded
database on a private PostgreSQL cluster that logs every statement, sends each write scenario's
request a few times, and checks the captures against bench/floors/ (or rewrites them with
`--regenerate-floors`). `floor_defines` prepares the bench database for a floor run and
returns the pgbench variables (`-D`) the scenario's script needs.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from bench import floors, pgcluster, seed, webhooks
from bench.floors import Capture, FloorMissing, FloorSpec
from bench.run import (
    PLACE_TRACKED,
    REFUND,
    SETTLEMENT,
    TRACKED_CUSTOMERS,
    Options,
    api_env,
    http,
    log_in,
    say,
)
from bench.servers import Server, api_server, free_port

CAPTURE_DB = "storefront_capture"

_TAKEN_IDS = (r"SELECT .* AS new_order_id, .* AS new_line_ids FROM products ", "\\aset")

PLACE_ORDER = FloorSpec(
    name="place-order-tracked",
    scenario=PLACE_TRACKED,
    prelude="""
\\set x random(:tracked_first, :tracked_last)
\\set y random(:tracked_first, :tracked_last - 1)
\\set y :y + case when :y >= :x then 1 else 0 end
\\set product_a least(:x, :y)
\\set product_b greatest(:x, :y)
\\set user_id random(:customer_first, :customer_last)
""",
    # The order's and its lines' ids are taken by the products read (adapters/sql/hot_path.py,
    # `_ORDERABLE`): one row per product, each carrying them (`\\aset` keeps the last row's).
    generated={"new_order_id": _TAKEN_IDS, "new_line_ids": _TAKEN_IDS},
)

# Each client settles its own pending payments, one after the other (k counts its transactions):
# no two transactions settle the same payment while there are enough of them.
SETTLE = FloorSpec(
    name="webhook-settlement",
    scenario=SETTLEMENT,
    prelude="""
\\set k :k + 1
\\set payment_id :payment_first + (:client_id + (:k - 1) * :clients) % :payment_count
\\set order_id :payment_id + :order_offset
\\set provider_payment_id :payment_id
""",
)

REFUND_REQUEST = FloorSpec(
    name="refund-request",
    scenario=REFUND,
    prelude="""
\\set payment_id random(:payment_first, :payment_last)
\\set order_id :payment_id + :order_offset
""",
    generated={"refund_id": floors.inserted_into("refunds", "refund_")},
    # The floor's refunds are the database's work only: their jobs (keyed md5(random()), the
    # app's are `storefront-refund-<id>`) are buried, or the bench's job worker would carry
    # thousands of them out during the scenarios that follow and load the machine they share.
    afterwards="UPDATE jobs SET status = 'dead', locked_until = NULL, locked_by = NULL"
    " WHERE status IN ('due', 'running') AND key !~ '^storefront-'",
)

SPECS = (PLACE_ORDER, SETTLE, REFUND_REQUEST)


@dataclass
class CaptureContext:
    api: Server
    url: str
    keys: Mapping[str, str]
    work_dir: Path
    tokens: dict[str, str]


def _dsn(url: str) -> str:
    return seed.plain_dsn(url)


async def _fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, *args)
        return rows
    finally:
        await conn.close()


def _token(ctx: CaptureContext, n: int) -> str:
    who = f"customer{n}"
    if who not in ctx.tokens:
        ctx.tokens[who] = log_in(ctx.api, seed.CUSTOMER_EMAIL.format(n), seed.CUSTOMER_PASSWORD)
    return ctx.tokens[who]


def _place_order_request(ctx: CaptureContext) -> Callable[[int], dict[str, str]]:
    first, last = seed.SMOKE.tracked_ids
    # Inputs no two captures share, and whose remainders do not line up with each other.
    pairs = [(3, 17), (8, 30), (21, 40), (5, 11), (26, 44)]
    for n in TRACKED_CUSTOMERS[: len(pairs)]:
        _token(ctx, n)  # log in before the captures: a login is not part of the request

    def request(i: int) -> dict[str, str]:
        user = TRACKED_CUSTOMERS[i]
        a, b = first + pairs[i][0], first + pairs[i][1]
        assert b <= last
        body = json.dumps({"items": [{"product_id": a, "quantity": 1}, {"product_id": b, "quantity": 1}]})
        answer = http(
            ctx.api, "POST", "/api/v1/orders", {"Authorization": f"Bearer {_token(ctx, user)}"}, body
        )
        if answer.status in (404, 405):
            raise FloorMissing("POST /orders")
        if answer.status != 201:
            raise RuntimeError(f"capture: placing an order answered {answer.status}: {answer.text[:300]}")
        order = json.loads(answer.text)
        return {
            "user_id": str(user),
            "product_a": str(a),
            "product_b": str(b),
            "new_order_id": str(order["id"]),
            "new_line_ids": "{" + ",".join(str(item["id"]) for item in order["items"]) + "}",
        }

    return request


def _settlement_request(ctx: CaptureContext) -> Callable[[int], dict[str, str]]:
    try:
        requests_file = webhooks.prepare(ctx.url, {"webhook": ctx.keys["webhook_secret"]}, 5, ctx.work_dir)
    except webhooks.NotReady as error:
        raise FloorMissing(str(error)) from None
    header = (ctx.work_dir / "webhook-header").read_text()
    lines = [line.rstrip("\n").split("\t", 1) for line in requests_file.read_text().splitlines()]
    ids = {
        row["provider_payment_id"]: (row["id"], row["order_id"])
        for row in asyncio.run(_fetch(ctx.url, "SELECT id, order_id, provider_payment_id FROM payments"))
    }

    def request(i: int) -> dict[str, str]:
        value, body = lines[i]
        answer = http(ctx.api, "POST", webhooks.PATH, {header: value}, body)
        if answer.status in (404, 405):
            raise FloorMissing(f"POST {webhooks.PATH}")
        if answer.status != 200:
            raise RuntimeError(f"capture: a webhook answered {answer.status}: {answer.text[:300]}")
        provider_payment_id = json.loads(body)["provider_payment_id"]
        payment_id, order_id = ids[provider_payment_id]
        return {
            "payment_id": str(payment_id),
            "order_id": str(order_id),
            "provider_payment_id": provider_payment_id,
        }

    return request


def _refund_request(ctx: CaptureContext) -> Callable[[int], dict[str, str]]:
    ids = asyncio.run(succeeded_payments(ctx.url, 5))
    admin = log_in(ctx.api, seed.ADMIN_EMAIL, seed.CUSTOMER_PASSWORD)  # before the captures

    def request(i: int) -> dict[str, str]:
        payment_id, order_id = ids[i]
        answer = http(
            ctx.api,
            "POST",
            f"/api/v1/payments/{payment_id}/refunds",
            {"Authorization": f"Bearer {admin}"},
            json.dumps({"amount": "0.01"}),
        )
        if answer.status in (404, 405):
            raise FloorMissing(f"POST /payments/{{id}}/refunds answered {answer.status}")
        if answer.status != 201:
            raise RuntimeError(f"capture: a refund request answered {answer.status}: {answer.text[:300]}")
        refund = json.loads(answer.text)
        return {"payment_id": str(payment_id), "order_id": str(order_id), "refund_id": str(refund["id"])}

    return request


REQUESTS: dict[str, Callable[[CaptureContext], Callable[[int], dict[str, str]]]] = {
    PLACE_ORDER.name: _place_order_request,
    SETTLE.name: _settlement_request,
    REFUND_REQUEST.name: _refund_request,
}


async def succeeded_payments(url: str, count: int) -> list[tuple[int, int]]:
    """`count` succeeded payments of 10.00 by the webhook payer, each on its own paid order;
    (payment id, order id) pairs, consecutive ids in both."""
    rows = await _fetch(
        url,
        """
        WITH placed AS (
            INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at)
            SELECT $1, 'paid', $2, $3, now(), now() FROM generate_series(1, $4)
            RETURNING id
        ), lines AS (
            INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_minor)
            SELECT placed.id, 1, (SELECT name FROM products WHERE id = 1), 1, $2 FROM placed
        )
        INSERT INTO payments (order_id, user_id, amount_minor, currency, provider, provider_payment_id,
                              status, refund_required, created_at, updated_at)
        SELECT id, $1, $2, $3, 'mock', 'bench_paid_' || $5 || '_' || id, 'succeeded', false, now(), now()
        FROM placed ORDER BY id
        RETURNING id, order_id
        """,
        webhooks.PAYER_ID,
        webhooks.AMOUNT_MINOR * 100,
        seed.CURRENCY,
        count,
        secrets.token_hex(4),
    )
    return sorted((row["id"], row["order_id"]) for row in rows)


async def _distinct_sequences(url: str) -> None:
    """Start every sequence at its own millions, so that no two kinds of id share a value."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        names = [
            r["sequencename"] for r in await conn.fetch("SELECT sequencename FROM pg_sequences ORDER BY 1")
        ]
        for n, name in enumerate(names, start=1):
            await conn.execute(f'ALTER SEQUENCE "{name}" RESTART WITH {n * 1_000_000 + 7}')
        await conn.execute(f"ALTER DATABASE \"{CAPTURE_DB}\" SET log_statement = 'all'")
    finally:
        await conn.close()


def capture_all(
    options: Options,
    keys: Mapping[str, str],
    password_hash: str,
    work_dir: Path,
    regenerate: bool,
    directory: Path = floors.FLOORS_DIR,
) -> dict[str, str]:
    """Capture every selected write scenario and check (or rewrite) its floor. Returns the
    scenarios whose floor is missing a feature, with the reason; raises FloorOutdated."""
    specs = [spec for spec in SPECS if options.selects(spec.scenario)]
    missing: dict[str, str] = {}
    if not specs:
        return missing
    say(f"capturing the statements of {len(specs)} write scenario(s) on a private PostgreSQL")
    with pgcluster.private_cluster() as cluster:
        url = seed.create(cluster.admin_url, CAPTURE_DB, seed.SMOKE, password_hash)
        asyncio.run(_distinct_sequences(url))
        port = free_port()
        env = api_env(options, url, port, keys) | {
            "WORKERS": "1",
            "DB_POOL_SIZE": "2",
            # No background expiry pass inside a capture.
            "ORDER_EXPIRY_INTERVAL_SECONDS": "3600",
            # Nor the job worker: the refund jobs of the warm-up requests ran while the captured
            # ones were sent (their statements interleaved, no two captures agreed). The request's
            # own statements do not depend on it; the jobs are measured on their own rows.
            "RUN_WORKER": "false",
        }
        api = api_server(env, port, work_dir / "api-capture.log")
        api.start(1)
        try:
            ctx = CaptureContext(api, url, keys, work_dir, {})
            for spec in specs:
                try:
                    request = REQUESTS[spec.name](ctx)
                    request(3)  # warm: connections, prepared statements, type introspection
                    request(4)
                    tokens = []
                    values: list[dict[str, str]] = []
                    for i in range(floors.CAPTURES):
                        token = f"{spec.name}-{i}"
                        with floors.marked(_dsn(url), token):
                            values.append(request(i))
                        tokens.append(token)
                except FloorMissing as feature:
                    missing[spec.scenario] = str(feature)
                    say(f"  {spec.scenario}: no floor (feature missing: {feature})")
                    continue
                entries = floors.wait_for_marker(cluster.log_entries, tokens[-1])
                captures = [
                    Capture(floors.statements_between(entries, CAPTURE_DB, token), v)
                    for token, v in zip(tokens, values, strict=True)
                ]
                (work_dir / f"capture-{spec.name}.json").write_text(floors.dump_json(captures))
                captures = floors.agreed(captures, spec.scenario)
                if regenerate:
                    floors.write(spec, captures, directory)
                    say(f"  {spec.scenario}: floor written ({len(captures[0].statements)} statements)")
                else:
                    floors.check(spec, captures, directory)
                    say(f"  {spec.scenario}: statements match the floor ({len(captures[0].statements)})")
        finally:
            api.stop()
    return missing


# ---- preparing the bench database for a floor run -----------------------------------------


def floor_defines(spec: FloorSpec, database_url: str, size: seed.SeedSize, seconds: float) -> dict[str, int]:
    """Prepare the bench database for one floor run of `spec`; the pgbench -D variables."""
    if spec is PLACE_ORDER:
        first, last = size.tracked_ids
        return {
            "tracked_first": first,
            "tracked_last": last,
            "customer_first": TRACKED_CUSTOMERS[0],
            "customer_last": TRACKED_CUSTOMERS[-1],
        }
    if spec is SETTLE:
        count = max(2_000, int(3_000 * seconds))
        first, offset = asyncio.run(_floor_pending_payments(database_url, count))
        return {"k": 0, "payment_first": first, "payment_count": count, "order_offset": offset}
    if spec is REFUND_REQUEST:
        pairs = asyncio.run(succeeded_payments(database_url, 2_000))
        offsets = {order - payment for payment, order in pairs}
        if len(offsets) != 1 or pairs[-1][0] - pairs[0][0] != len(pairs) - 1:
            raise RuntimeError("the floor's succeeded payments do not have consecutive ids")
        return {"payment_first": pairs[0][0], "payment_last": pairs[-1][0], "order_offset": offsets.pop()}
    raise ValueError(spec.name)


async def _floor_pending_payments(url: str, count: int) -> tuple[int, int]:
    """`count` pending payments whose provider id is their own id (what the floor's script
    sends), on orders whose ids are the payments' plus one offset: (first payment id, offset)."""
    batch = secrets.token_hex(4)
    await webhooks.pending_payments(url, count, batch)
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows = await conn.fetch(
            "UPDATE payments SET provider_payment_id = id::text WHERE provider_payment_id LIKE $1"
            " RETURNING id, order_id",
            f"bench\\_{batch}\\_%",
        )
    finally:
        await conn.close()
    ids = sorted(row["id"] for row in rows)
    offsets = {row["order_id"] - row["id"] for row in rows}
    if len(ids) != count or ids[-1] - ids[0] != count - 1 or len(offsets) != 1:
        raise RuntimeError("the floor's pending payments do not have consecutive ids")
    return ids[0], offsets.pop()
