"""The floor: the catalog's three busiest reads with nothing in between.

Raw ASGI, asyncpg and msgspec, no framework, no DI, no ORM: the same queries and the same
JSON as the API's list-products, get-product and list-categories, so that the benchmark can
say how close the real application gets to what this machine can do at all.

    FLOOR_DATABASE_URL=postgresql://... uvicorn bench.floor_app:app --workers 2
"""

from __future__ import annotations

import os
from datetime import datetime
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
