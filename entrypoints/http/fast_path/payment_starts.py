"""Payment starts answered in front of Litestar's router, plain requests only.

Measured (docs/performance.md, "Payment starts in front of the router"): one start at a time
spends its time in its provider's answer, its round trips and the app's own CPU, and a share of
that CPU went around the use case (`StartPayment`): routing, the guard, Litestar's middleware
and signature model, dishka's injection, the idempotency wrapper. So this layer, the innermost
of `wrap_router` beside the other writes, answers `POST {prefix}/payments/orders/{order_id}`
itself when:

- `order_id` is ASCII digits without a leading zero, at most `MAX_DB_ID`;
- there is no query string and no root path, and the headers are ones `common.plain_json_post`
  accepts with a bearer token (a JSON body of one stated length within `max_body`, no `Origin`,
  no `Idempotency-Key`: a keyed start goes through the route, which records it on the key);
- the body is read by the app's body gate (`bodies.parse_json`) and converted strictly to the
  route's `StartPaymentIn` (`bodies.decode_value`); JSON `null` is refused as the route refuses
  it (`StartPaymentIn.required`). A body either refuses is answered with their 400 or 422 after
  the caller's check, as the route answers it.

A plain request runs what the route runs, in the route's order (`common.write_layer`): the
caller from the `Actor` provider the guard asks dishka for (any signed-in user), before any byte
of the body is read; then the body and `StartPayment`; the answer is 201 with the route's
`PaymentOut`. A start with no body at all (the provider left to the default), one whose body is
not whole, and any other request reach the router with what was read of the body
(`common.replaying`); errors are answered by the app's own exception handlers.
`scope["path_template"]` is the route's. `tests/e2e/test_payment_start_fast_path.py` holds the
served forms to Litestar's own answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from dishka import AsyncContainer

from application.ids import MAX_DB_ID
from application.payments.start_payment import StartPayment
from application.ports import PaymentOut
from entrypoints.http.bodies import parse_json
from entrypoints.http.fast_path.common import Call, Write, plain_number, signed_in, write_layer
from entrypoints.http.payments import StartPaymentIn

_encoder = msgspec.json.Encoder()


def payment_starts(
    container: AsyncContainer, prefix: str, exception_handlers: Mapping[type[Exception], Any], max_body: int
) -> Any:
    """The layer for `wrap_router`: plain `POST {prefix}/payments/orders/{order_id}`; errors are
    answered by `exception_handlers` (the app's own); bodies over `max_body` bytes go to the router."""
    # A deliberate twin of `refunds.refund_requests`: the same `Write`, for another route.
    orders = f"{prefix}/payments/orders/"

    def order_of(path: str) -> int | None:
        if not path.startswith(orders):
            return None
        return plain_number(path[len(orders) :].encode(), 0, MAX_DB_ID)

    async def start(call: Call) -> bytes:
        assert call.actor is not None
        start_payment = await call.requested.get(StartPayment)
        started = await start_payment(call.actor, call.parameter, call.data.provider)
        return _encoder.encode(PaymentOut.of(started))

    write = Write(
        template=f"{prefix}/payments/orders/{{order_id}}",
        status=201,
        match=order_of,
        caller=signed_in,
        decode=lambda body: StartPaymentIn.required(parse_json(body)),
        run=start,
    )
    return write_layer(container, exception_handlers, max_body, write)
