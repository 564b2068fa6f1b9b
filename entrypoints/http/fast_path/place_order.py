"""Placing an order answered in front of Litestar's router, plain requests only.

Measured (docs/performance.md, "Writes in front of the router"): in process, about
half of a tracked-stock order's CPU went to what surrounds the two use cases it runs
(`Authenticate`, `PlaceOrder`): Litestar's routing, its exception and route middleware, the
guard (which copies the route handler on every call), the handler's signature model and
keyword extraction, dishka's injection, the idempotency wrapper and the response's
serialisation. On two cores shared with PostgreSQL that CPU is what decides how many orders a
second the database gets to see. So this layer, the innermost of `wrap_router` beside the
catalog reads, answers `POST {prefix}/orders` itself when the request is plain:

- no query string and no root path;
- headers `common.plain_json_post` accepts: one bearer token, a JSON body of one stated length
  within `MAX_BODY_BYTES`, no `Origin`, no `Idempotency-Key` (a keyed placement goes through
  the route, which records it on the key), a plain `Host`;
- a body that decodes strictly as `OrderIn` (msgspec, the same type the route takes). A body it
  refuses is read by the route's own body gate (`parse_json`, `decode_value`), whose 400 or 422
  is answered as the route answers it, without reading the body twice.

A plain request runs what the route runs, in the route's order (`common.write_layer`): the
caller is authenticated by the same `Actor` provider the route's guard asks dishka for, in a
request scope of the same container, before any byte of the body is read (so 401, 403 and 503
are the same problems, and a caller who is refused sends no body to buffer); then the body, then
`PlaceOrder`; its answer is 201 with the `OrderOut` the route returns, its headers Litestar's.
A body that is not whole (a client that left, more bytes than the limit) or empty reaches the
router with the messages already read (`common.replaying`), and the router answers it as always.
An error is answered by the app's own exception handlers, as Litestar's exception middleware
answers it. `scope["path_template"]` is the route's, for metrics and the access log.
`tests/e2e/test_place_order_fast_path.py` holds the served forms to
Litestar's own answers, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from dishka import AsyncContainer

from application.orders.place_order import PlaceOrder
from application.ports import OrderOut
from domain.orders import ItemRequest
from entrypoints.http.bodies import decode_value, parse_json
from entrypoints.http.fast_path.common import Call, Write, signed_in, write_layer
from entrypoints.http.orders import OrderIn

_decoder = msgspec.json.Decoder(OrderIn)
_encoder = msgspec.json.Encoder()


def _items(body: bytes) -> list[ItemRequest]:
    """The order's lines: msgspec's typed decoder for the plain case; for a body it refuses, the
    route's own body gate (`parse_json`, then `decode_value` into `OrderIn`), which raises the
    InvalidInput the route answers, or gives what the route would take."""
    try:
        order_in = _decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError):
        order_in = decode_value(parse_json(body), OrderIn)
    return [ItemRequest(item.product_id, item.quantity) for item in order_in.items]


def place_order(
    container: AsyncContainer,
    prefix: str,
    exception_handlers: Mapping[type[Exception], Any],
    max_body: int,
) -> Any:
    """The layer for `wrap_router`: plain `POST {prefix}/orders`; errors are answered by
    `exception_handlers` (the app's own); bodies over `max_body` bytes go to the router."""
    path = f"{prefix}/orders"

    async def place(call: Call) -> bytes:
        assert call.actor is not None
        place_order = await call.requested.get(PlaceOrder)
        return _encoder.encode(OrderOut.of(await place_order(call.actor, call.data)))

    write = Write(
        template=path,
        status=201,
        match=lambda requested: True if requested == path else None,
        caller=signed_in,
        decode=_items,
        run=place,
    )
    return write_layer(container, exception_handlers, max_body, write)
