"""The floor: the catalog's three busiest reads, and a payment start, with nothing in between.

Raw ASGI, asyncpg and msgspec, no framework, no DI, no ORM: the same queries and the same
JSON as the API's list-products, get-product and list-categories, so that the benchmark can
say how close the real application gets to what this machine can do at all.

    FLOOR_DATABASE_URL=postgresql://... uvicorn bench.floor_app:app --workers 2

With `FLOOR_SECRET_KEY` and `FLOOR_STRIPE_API_BASE` (and `FLOOR_REDIS_URL` when the API keeps
its sessions in Redis) it also answers `POST /api/v1/payments/orders/{id}`: the least any
implementation of the store's rules for starting a payment can do (`start_payment`).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg  # type: ignore[import-untyped]
import msgspec


class Category(msgspec.Struct):
    id: int
    name: str
    slug: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


class Product(msgspec.Struct, omit_defaults=True):
    id: int
    name: str
    description: str
    price: str
    currency: str
    category_id: int
    stock: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    category: Category | None = None


LIST_PRODUCTS = """
    SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.category_id, p.stock,
           p.is_active, p.created_at, p.updated_at
    FROM products p ORDER BY p.id LIMIT $1 OFFSET $2
"""
GET_PRODUCT = """
    SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.category_id, p.stock,
           p.is_active, p.created_at, p.updated_at,
           c.id, c.name, c.slug, c.is_active, c.created_at, c.updated_at
    FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $1
"""
LIST_CATEGORIES = (
    "SELECT id, name, slug, is_active, created_at, updated_at FROM categories ORDER BY id LIMIT $1 OFFSET $2"
)

encoder = msgspec.json.Encoder()
pool: asyncpg.Pool | None = None
redis: Any = None
stripe_client: Any = None

# Starting a payment, as the rules require and no less: the caller's row and session read at
# once; then one statement, atomic on its own (autocommit), that locks the order, inserts the
# payment unless the order is not the caller's, not pending or has an active payment (the
# partial unique index decides), and appends the timeline's event; the provider asked through
# its official SDK only after that commit (the payment's id is its idempotency key); its
# answer saved in one conditional statement before the checkout page is shown.
START = """
WITH o AS (
    SELECT id, user_id, status, total_minor, currency FROM orders WHERE id = $1 FOR UPDATE
), p AS (
    INSERT INTO payments (order_id, user_id, amount_minor, currency, provider, status,
                          refund_required, created_at, updated_at)
    SELECT o.id, o.user_id, o.total_minor, o.currency, 'stripe', 'created', false, $3, $3
    FROM o WHERE o.user_id = $2 AND o.status = 'pending'
    ON CONFLICT (order_id) WHERE status IN ('created', 'pending') DO NOTHING
    RETURNING id, order_id, amount_minor, currency
), e AS (
    INSERT INTO order_events (order_id, type, from_status, to_status, actor, detail, created_at)
    SELECT p.order_id, 'payment_started', NULL, NULL, 'customer', 'via stripe', $3 FROM p
)
SELECT id, order_id, amount_minor, currency FROM p
"""
SAVE_OPENED = """
UPDATE payments SET provider_payment_id = $2, checkout_url = $3, updated_at = $4
WHERE id = $1 AND status = 'created' AND provider_payment_id IS NULL
RETURNING id, order_id, amount_minor, currency, provider, status, provider_payment_id,
          checkout_url, fail_reason, refund_required, created_at, updated_at
"""
USER = "SELECT id, is_active FROM users WHERE id = $1"


class PaymentOut(msgspec.Struct, kw_only=True):
    id: int
    order_id: int
    amount: str
    currency: str
    provider: str
    status: str
    provider_payment_id: str | None
    checkout_url: str | None
    fail_reason: str | None
    refund_required: bool
    refunded_amount: str
    created_at: datetime
    updated_at: datetime


async def start_payment(headers: dict[bytes, bytes], order_id: int) -> tuple[int, bytes]:
    """The floor of `POST /api/v1/payments/orders/{id}` through Stripe (see `START`)."""
    import jwt

    assert pool is not None
    token = headers.get(b"authorization", b"")[len(b"Bearer ") :].decode()
    try:
        claims = jwt.decode(token, os.environ["FLOOR_SECRET_KEY"], algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return 401, b'{"status": 401}'
    user_id = int(claims["sub"])
    user_row = pool.fetchrow(USER, user_id)
    if redis is not None:
        prefix = os.environ.get("FLOOR_REDIS_PREFIX", "")
        user, owner = await asyncio.gather(user_row, redis.hget(f"{prefix}session:{claims['sid']}", "user"))
        if owner is None or int(owner) != user_id:
            return 401, b'{"status": 401}'
    else:
        user = await user_row
    if user is None or not user["is_active"]:
        return 401, b'{"status": 401}'
    now = datetime.now(UTC)
    started = await pool.fetchrow(START, order_id, user_id, now)
    if started is None:
        return 409, b'{"status": 409}'
    # The SDK's cheapest call: its untyped one, the answer's JSON read as is (no StripeObjects).
    answer = await stripe_client.raw_request_async(
        "post",
        "/v1/checkout/sessions",
        mode="payment",
        line_items=[
            {
                "quantity": 1,
                "price_data": {
                    "currency": started["currency"].lower(),
                    "unit_amount": started["amount_minor"],
                    "product_data": {"name": f"Order {order_id}"},
                },
            }
        ],
        client_reference_id=str(started["id"]),
        metadata={"payment_id": str(started["id"]), "order_id": str(order_id)},
        success_url="http://127.0.0.1/",
        cancel_url="http://127.0.0.1/",
        idempotency_key=f"storefront-floor-payment-{started['id']}",
    )
    session = answer.data
    row = await pool.fetchrow(SAVE_OPENED, started["id"], session["id"], session["url"], datetime.now(UTC))
    payment = PaymentOut(
        id=row["id"],
        order_id=row["order_id"],
        amount=price(row["amount_minor"]),
        currency=row["currency"],
        provider=row["provider"],
        status=row["status"],
        provider_payment_id=row["provider_payment_id"],
        checkout_url=row["checkout_url"],
        fail_reason=row["fail_reason"],
        refund_required=row["refund_required"],
        refunded_amount="0.00",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    return 201, encoder.encode(payment)


async def start_providers() -> None:
    """The payment start's Redis client and Stripe SDK client, when their settings are given."""
    global redis, stripe_client
    if os.environ.get("FLOOR_REDIS_URL"):
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(os.environ["FLOOR_REDIS_URL"])
    if os.environ.get("FLOOR_STRIPE_API_BASE"):
        import aiohttp
        import stripe

        stripe.enable_telemetry = False
        timeout = aiohttp.ClientTimeout(total=10)
        stripe_client = stripe.StripeClient(
            os.environ["FLOOR_STRIPE_SECRET_KEY"],
            base_addresses={"api": os.environ["FLOOR_STRIPE_API_BASE"]},
            max_network_retries=0,
            http_client=stripe.AIOHTTPClient(timeout=timeout, session=aiohttp.ClientSession(timeout=timeout)),
        )


async def no_reset(_: Any) -> None:
    """Read-only SELECTs leave no session state: skip the reset query (the API's read pool does too)."""


def price(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def product(row: Any) -> Product:
    return Product(row[0], row[1], row[2], price(row[3]), *row[4:10])


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
                pool = await asyncpg.create_pool(
                    os.environ["FLOOR_DATABASE_URL"], min_size=1, max_size=size, reset=no_reset
                )
                await start_providers()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if pool is not None:
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert pool is not None
    path: str = scope["path"].rstrip("/")
    query = dict(parse_qsl(scope["query_string"].decode()))
    limit = int(query.get("limit", 50))
    offset = int(query.get("offset", 0))
    status, body = 200, b""
    if path == "/api/v1/products":
        rows = await pool.fetch(LIST_PRODUCTS, limit, offset)
        body = encoder.encode([product(row) for row in rows])
    elif path.startswith("/api/v1/products/"):
        row = await pool.fetchrow(GET_PRODUCT, int(path.rsplit("/", 1)[1]))
        if row is None:
            status, body = 404, b'{"status": 404}'
        else:
            found = product(row)
            found.category = Category(*row[10:16])
            body = encoder.encode(found)
    elif path == "/api/v1/categories/all":
        rows = await pool.fetch(LIST_CATEGORIES, limit, offset)
        body = encoder.encode([Category(*row) for row in rows])
    elif path.startswith("/api/v1/payments/orders/") and scope["method"] == "POST" and stripe_client:
        while (await receive()).get("more_body"):
            pass  # the body names the provider: Stripe is the only one here
        status, body = await start_payment(dict(scope["headers"]), int(path.rsplit("/", 1)[1]))
    elif path == "/health/live":
        body = b'{"status": "ok"}'
    else:
        status, body = 404, b'{"status": 404}'
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
