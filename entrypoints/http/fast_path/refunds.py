"""Refund requests answered in front of Litestar's router, plain requests only.

Measured (docs/performance.md, "Writes in front of the router"): as for order placements, a
refund request spent a large share of its CPU around its use case (`RequestRefund`): routing,
the admin guard, Litestar's middleware and signature model, dishka's injection. So this layer,
the innermost of `wrap_router` beside the other writes, answers
`POST {prefix}/payments/{payment_id}/refunds` itself when:

- `payment_id` is ASCII digits without a leading zero, at most `MAX_DB_ID`;
- there is no query string and no root path, and the headers are ones
  `common.plain_json_post` accepts with a bearer token (a JSON body of one stated length within
  `max_body`, no `Origin`, no `Idempotency-Key`: a keyed request goes through the route, which
  records it on the key);
- the body is read by the app's body gate (`bodies.parse_json`) and converted strictly to the
  route's `RefundIn` (`bodies.decode_value`, with the money decoding every route uses): the
  route's own steps, so a body either refuses is answered with their 400 or 422 after the
  caller's check, as the route answers it.

A plain request runs what the route runs, in the route's order (`common.write_layer`): the
caller from the `Actor` provider the guard asks dishka for and the guard's own check
(`Actor.ensure_admin`), before any byte of the body is read; then the body and `RequestRefund`;
the answer is 201 with the route's `RefundOut`. A body that is not whole or empty, and any other
request, reaches the router with what was read of the body (`common.replaying`); errors are
answered by the app's own exception handlers. `scope["path_template"]` is the route's.
`tests/e2e/test_refund_request_fast_path.py` holds the served forms to Litestar's own answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from dishka import AsyncContainer

from application.ids import MAX_DB_ID
from application.payments.refunds import RequestRefund
from application.ports import RefundOut
from domain.users import Actor
from entrypoints.http.bodies import decode_value, parse_json
from entrypoints.http.fast_path.common import Call, Write, plain_number, write_layer
from entrypoints.http.payments import RefundIn

_SUFFIX = "/refunds"
_encoder = msgspec.json.Encoder()


def _refund_in(body: bytes) -> RefundIn:
    """The route's `RefundIn`, read by the app's body gate and converted strictly with its money
    decoding; a body either refuses raises their InvalidInput, answered as the route answers it."""
    return decode_value(parse_json(body), RefundIn)


def refund_requests(
    container: AsyncContainer, prefix: str, exception_handlers: Mapping[type[Exception], Any], max_body: int
) -> Any:
    """The layer for `wrap_router`: plain `POST {prefix}/payments/{payment_id}/refunds`; errors are
    answered by `exception_handlers` (the app's own); bodies over `max_body` bytes go to the router."""
    payments = f"{prefix}/payments/"

    def payment_of(path: str) -> int | None:
        if not path.startswith(payments) or not path.endswith(_SUFFIX):
            return None
        return plain_number(path[len(payments) : -len(_SUFFIX)].encode(), 0, MAX_DB_ID)

    async def refund(call: Call) -> bytes:
        assert call.actor is not None
        request_refund = await call.requested.get(RequestRefund)
        refunded = await request_refund(call.actor, call.parameter, call.data.amount, call.data.reason)
        return _encoder.encode(RefundOut.of(refunded))

    write = Write(
        template=f"{prefix}/payments/{{payment_id}}/refunds",
        status=201,
        match=payment_of,
        caller=Actor.ensure_admin,
        decode=_refund_in,
        run=refund,
    )
    return write_layer(container, exception_handlers, max_body, write)
