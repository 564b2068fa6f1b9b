"""Signed mock-provider webhooks, each a new event for a fresh pending payment, made beforehand."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import msgspec

from bench.seed import CURRENCY, plain_dsn, table_columns

PATH = "/api/v1/payments/webhook/mock"
PAYER_ID = 3
AMOUNT_MINOR = 1000


class NotReady(Exception):
    """The schema or the signing code for payments is not there."""


def prepare(database_url: str, keys: Mapping[str, str], count: int, work_dir: Path) -> Path:
    """`count` pending payments (each on its own pending order) and one signed event for each."""
    try:
        from adapters.payments.mock.signature import HEADER, sign
    except ImportError:
        raise NotReady("the mock payment provider") from None
    secret = keys["webhook"]
    batch = secrets.token_hex(4)
    payment_ids = asyncio.run(pending_payments(database_url, count, batch))
    timestamp = int(time.time())
    path = work_dir / f"webhooks-{batch}.tsv"
    with path.open("w") as out:
        for provider_payment_id in payment_ids:
            body = msgspec.json.encode(
                {
                    "event_id": f"evt_bench_{uuid.uuid4().hex}",
                    "provider_payment_id": provider_payment_id,
                    "status": "succeeded",
                    "amount": f"{AMOUNT_MINOR // 100}.{AMOUNT_MINOR % 100:02d}",
                    "currency": CURRENCY,
                }
            )
            out.write(f"{sign(secret, timestamp, body)}\t{body.decode()}\n")
    (work_dir / "webhook-header").write_text(HEADER)
    return path


def first_request(path: Path) -> tuple[str, tuple[str, str]]:
    """The header name, and the first prepared (header value, body): used to probe the route."""
    header = (path.parent / "webhook-header").read_text()
    with path.open() as lines:
        value, body = next(lines).rstrip("\n").split("\t", 1)
    return header, (value, body)


async def pending_payments(database_url: str, count: int, batch: str) -> list[str]:
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        if not await table_columns(conn, "payments"):
            raise NotReady("the payments table")
        rows = await conn.fetch(
            """
            WITH placed AS (
                INSERT INTO orders (user_id, status, total_minor, currency, created_at, updated_at)
                SELECT $1, 'pending', $2, $3, now(), now() FROM generate_series(1, $4)
                RETURNING id
            ), lines AS (
                INSERT INTO order_lines (order_id, product_id, product_name, quantity, unit_price_minor)
                SELECT placed.id, 1, (SELECT name FROM products WHERE id = 1), 1, $2 FROM placed
            )
            INSERT INTO payments (order_id, user_id, amount_minor, currency, provider, provider_payment_id,
                                  status, refund_required, created_at, updated_at)
            SELECT id, $1, $2, $3, 'mock', 'bench_' || $5 || '_' || id, 'pending', false, now(), now()
            FROM placed
            RETURNING provider_payment_id
            """,
            PAYER_ID,
            AMOUNT_MINOR,
            CURRENCY,
            count,
            batch,
        )
    finally:
        await conn.close()
    return [row["provider_payment_id"] for row in rows]
