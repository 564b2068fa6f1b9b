"""Data and services for the payment scenarios: pending orders to pay, the Stripe double with a
fixed latency, requests straight to it, and the refund jobs' progress in the outbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import asyncpg  # type: ignore[import-untyped]

from bench.seed import CURRENCY, plain_dsn

PAYER = 4  # customer4: the orders paid through the Stripe double are theirs
ORDER_MINOR = 2_000
STRIPE_SECRET_KEY = "sk_test_bench"
STRIPE_WEBHOOK_SECRET = "whsec_bench"
PROVIDER_LATENCY_SECONDS = 0.020


@contextmanager
def stripe_double(latency_seconds: float = PROVIDER_LATENCY_SECONDS) -> Iterator[str]:
    """The Stripe API double (tests/doubles/stripe.py) on a free port, each answer taking
    `latency_seconds`; yields its base URL. It runs in a thread of this process, which only
    waits on wrk meanwhile."""
    from tests.doubles.stripe import StripeDouble

    double = StripeDouble(
        secret_key=STRIPE_SECRET_KEY, webhook_secret=STRIPE_WEBHOOK_SECRET, latency_seconds=latency_seconds
    ).start()
    try:
        yield double.url
    finally:
        double.stop()


def stripe_env(base_url: str) -> dict[str, str]:
    """The API's settings for `PAYMENT_PROVIDERS=mock,stripe` against the double."""
    return {
        "PAYMENT_PROVIDERS": "mock,stripe",
        "STRIPE_API_BASE": base_url,
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    }


def floor_env(secret_key: str, redis_url: str | None, redis_prefix: str, stripe_url: str) -> dict[str, str]:
    """The floor app's settings for its payment start (bench/floor_app.py): the API's token key,
    its Redis and key prefix (sessions), the Stripe double; none without the double."""
    if not stripe_url:
        return {}
    env = {
        "FLOOR_SECRET_KEY": secret_key,
        "FLOOR_STRIPE_API_BASE": stripe_url,
        "FLOOR_STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
    }
    if redis_url:
        env |= {"FLOOR_REDIS_URL": redis_url, "FLOOR_REDIS_PREFIX": redis_prefix}
    return env


def pending_orders(database_url: str, count: int) -> tuple[int, int]:
    """`count` pending orders of the payer (one line of 20.00 each), consecutive ids: (first, last)."""

    async def insert() -> tuple[int, int]:
        conn = await asyncpg.connect(plain_dsn(database_url))
        try:
            async with conn.transaction():
                await conn.execute("LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE")  # consecutive ids
                rows = await conn.fetch(
                    """
                    WITH placed AS (
                        INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at)
                        SELECT $1, 'pending', $2, $3, now(), now() FROM generate_series(1, $4)
                        RETURNING id
                    ), lines AS (
                        INSERT INTO order_lines (order_id, product_id, product_name, quantity,
                                                 unit_price_minor)
                        SELECT placed.id, 1, (SELECT name FROM products WHERE id = 1), 1, $2 FROM placed
                    )
                    SELECT min(id) AS first, max(id) AS last, count(*) AS n FROM placed
                    """,
                    PAYER,
                    ORDER_MINOR,
                    CURRENCY,
                    count,
                )
        finally:
            await conn.close()
        first, last, n = rows[0]["first"], rows[0]["last"], rows[0]["n"]
        if last - first + 1 != n:
            raise RuntimeError(f"the pending orders' ids are not consecutive ({first}..{last}, {n})")
        return first, last

    return asyncio.run(insert())


def checkout_requests(count: int, work_dir: Path) -> Path:
    """`count` Checkout Session requests as the app sends them, each with its own idempotency
    key: "key<TAB>form body" lines for replay.lua, straight to the double."""
    path = work_dir / f"checkout-sessions-{uuid.uuid4().hex[:8]}.tsv"
    with path.open("w") as out:
        for n in range(1, count + 1):
            body = urlencode(
                {
                    "mode": "payment",
                    "line_items[0][price_data][currency]": CURRENCY.lower(),
                    "line_items[0][price_data][unit_amount]": str(ORDER_MINOR),
                    "line_items[0][price_data][product_data][name]": f"Order {n}",
                    "line_items[0][quantity]": "1",
                    "client_reference_id": str(n),
                    "metadata[payment_id]": str(n),
                    "metadata[order_id]": str(n),
                    "success_url": "http://127.0.0.1/",
                    "cancel_url": "http://127.0.0.1/",
                }
            )
            out.write(f"bench-{path.stem}-{n}\t{body}\n")
    return path


# ---- the refund jobs --------------------------------------------------------------------


@dataclass(frozen=True)
class JobsDone:
    jobs: int
    succeeded: int
    seconds: float  # from `since` (the first request) to the last job's completion
    first_to_last: float  # from the first job's completion to the last's

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds if self.seconds else 0.0

    @property
    def draining_per_second(self) -> float:
        """Jobs completed per second once the first was: a worker's pace on a backlog."""
        return (self.succeeded - 1) / self.first_to_last if self.first_to_last else 0.0


def jobs_mark(database_url: str) -> tuple[int, float]:
    """The last job id so far, and the database's clock now (epoch seconds)."""

    async def read() -> tuple[int, float]:
        conn = await asyncpg.connect(plain_dsn(database_url))
        try:
            row = await conn.fetchrow(
                "SELECT coalesce(max(id), 0) AS id, extract(epoch FROM clock_timestamp()) AS now FROM jobs"
            )
        finally:
            await conn.close()
        return int(row["id"]), float(row["now"])

    return asyncio.run(read())


def wait_for_jobs(database_url: str, after_id: int, since: float, timeout: float = 300) -> JobsDone:
    """Wait until every job after `after_id` is final (succeeded or dead), polling every 50 ms;
    the seconds run from `since` (the database's clock) to the last job's `updated_at`."""

    async def wait() -> JobsDone:
        conn = await asyncpg.connect(plain_dsn(database_url))
        try:
            deadline = time.monotonic() + timeout
            while True:
                row = await conn.fetchrow(
                    """
                    SELECT count(*) AS jobs,
                           count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                           count(*) FILTER (WHERE status IN ('succeeded', 'dead')) AS final,
                           extract(epoch FROM max(updated_at)) AS last,
                           extract(epoch FROM min(updated_at)) AS first
                    FROM jobs WHERE id > $1
                    """,
                    after_id,
                )
                if row["final"] == row["jobs"] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        if row["final"] != row["jobs"]:
            raise RuntimeError(
                f"{row['jobs'] - row['final']} of {row['jobs']} jobs still not final after {timeout:.0f} s"
            )
        last = float(row["last"]) if row["last"] is not None else since
        first = float(row["first"]) if row["first"] is not None else since
        return JobsDone(
            jobs=row["jobs"],
            succeeded=row["succeeded"],
            seconds=max(last - since, 1e-6),
            first_to_last=max(last - first, 1e-6),
        )

    return asyncio.run(wait())
